// Package redistest starts a real Redis for tests: a container from the
// locally built stargate/redis image (there is no registry to pull from).
package redistest

import (
	"context"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
)

// Image is built by deploy/images/build.sh.
const Image = "stargate/redis:dev"

// Start starts a Redis container from the local image for this test and
// returns it with its URL. It skips the test when Docker is not reachable and
// fails it when the image was not built.
func Start(t *testing.T, opts ...testcontainers.ContainerCustomizer) (*testcontainers.DockerContainer, string) {
	t.Helper()
	ctx := t.Context()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		t.Skipf("docker is not reachable, skipping redis tests: %v", err)
	}
	_, err = cli.ImageInspect(ctx, Image)
	cli.Close()
	switch {
	case errdefs.IsNotFound(err):
		t.Fatalf("image %s is missing: build it with `make images` or `bash deploy/images/build.sh redis`", Image)
	case err != nil:
		t.Skipf("docker is not reachable, skipping redis tests: %v", err)
	}

	opts = append([]testcontainers.ContainerCustomizer{
		testcontainers.WithExposedPorts("6379/tcp"),
		testcontainers.WithLabels(map[string]string{"io.stargate.test": "1"}),
		testcontainers.WithWaitStrategy(wait.ForLog("Ready to accept connections").WithStartupTimeout(30 * time.Second)),
	}, opts...)
	ctr, err := testcontainers.Run(ctx, Image, opts...)
	t.Cleanup(func() {
		if ctr == nil {
			return
		}
		if err := ctr.Terminate(context.Background()); err != nil {
			t.Errorf("terminate redis: %v", err)
		}
	})
	if err != nil {
		t.Fatalf("start redis: %v", err)
	}
	return ctr, "redis://" + Address(t, ctr)
}

// Address returns host:port where the container's Redis answers.
// Testcontainers guesses the host; inside a container it guesses the default
// gateway, which is wrong when the Docker daemon runs in this same container
// and publishes ports on localhost. Try its guess, then localhost.
func Address(t *testing.T, ctr *testcontainers.DockerContainer) string {
	t.Helper()
	ctx := t.Context()
	port, err := ctr.MappedPort(ctx, "6379/tcp")
	if err != nil {
		t.Fatalf("redis port: %v", err)
	}
	host, err := ctr.Host(ctx)
	if err != nil {
		t.Fatalf("redis host: %v", err)
	}
	var errs []error
	for _, h := range []string{host, "127.0.0.1"} {
		addr := net.JoinHostPort(h, strconv.Itoa(int(port.Num())))
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err == nil {
			c.Close()
			return addr
		}
		errs = append(errs, err)
	}
	t.Fatalf("redis container is not reachable: %v", errors.Join(errs...))
	return ""
}
