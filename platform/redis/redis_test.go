package redis_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"

	"stargate/platform"
	"stargate/platform/redis"
	"stargate/platform/redis/redistest"
	"stargate/platform/storetest"
)

func TestMain(m *testing.M) {
	// The reaper image cannot be pulled here; containers are terminated by
	// t.Cleanup instead.
	os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	os.Exit(m.Run())
}

func TestStore(t *testing.T) {
	_, url := redistest.Start(t)
	storetest.Run(t, func(t *testing.T) platform.Store {
		// One server, one prefix per case.
		return open(t, url, "test:"+t.Name()+":")
	})
}

func TestPersistence(t *testing.T) {
	_, url := redistest.Start(t)
	storetest.RunPersistence(t, func(t *testing.T, state string) platform.Store {
		return open(t, url, "test:"+state+":")
	})
}

// TestPrefix checks that the default prefix is the documented one and that
// stores under different prefixes do not see each other.
func TestPrefix(t *testing.T) {
	_, url := redistest.Start(t)
	ctx := t.Context()
	def, err := redis.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer def.Close()
	fn := storetest.Sample("aaaa", "add", platform.TypeAPI)
	if err := def.Save(ctx, fn); err != nil {
		t.Fatal(err)
	}
	explicit := open(t, url, redis.DefaultPrefix)
	defer explicit.Close()
	if _, err := explicit.Get(ctx, fn.Key()); err != nil {
		t.Errorf("get under %q: %v", redis.DefaultPrefix, err)
	}
	other := open(t, url, "other:")
	defer other.Close()
	if err := other.Save(ctx, storetest.Sample("bbbb", "add", platform.TypeAPI)); err != nil {
		t.Errorf("save under another prefix: %v", err)
	}
}

// TestUnavailable checks that New fails fast, with ErrUnavailable and
// without repeating the password, when nothing listens at the address.
func TestUnavailable(t *testing.T) {
	url := fmt.Sprintf("redis://:s3cret@127.0.0.1:%d/0", closedPort(t))
	start := time.Now()
	s, err := redis.New(t.Context(), url)
	if err == nil {
		s.Close()
		t.Fatal("new: no error")
	}
	if !errors.Is(err, platform.ErrUnavailable) {
		t.Errorf("new: got %v, want ErrUnavailable", err)
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("new: error %q repeats the password", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("new took %v", took)
	}

	for _, bad := range []string{"http://:s3cret@localhost:6379", "redis://:s3cret@localhost:6379/notanumber", "redis://:s3cret@[::1"} {
		_, err := redis.New(t.Context(), bad)
		if err == nil || errors.Is(err, platform.ErrUnavailable) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("new %q: got %v, want a parse error without the password", bad, err)
		}
	}
}

// TestReconnect stops Redis under a live store, checks that every method
// reports ErrUnavailable while its port is closed, starts Redis again and
// checks that the same store works: the client reconnects by itself. The
// host port is pinned so that it survives the restart.
func TestReconnect(t *testing.T) {
	port := closedPort(t)
	ctr, url := redistest.Start(t, testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
		hc.PortBindings = network.PortMap{
			network.MustParsePort("6379/tcp"): {{HostPort: strconv.Itoa(port)}},
		}
	}))
	ctx := t.Context()
	s := open(t, url, "test:reconnect:")
	defer s.Close()
	a := storetest.Sample("aaaa", "add", platform.TypeAPI)
	if err := s.Save(ctx, a); err != nil {
		t.Fatalf("save: %v", err)
	}

	timeout := 5 * time.Second
	if err := ctr.Stop(ctx, &timeout); err != nil {
		t.Fatalf("stop redis: %v", err)
	}
	addr := strings.TrimPrefix(url, "redis://")
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatalf("%s still open with redis stopped", addr)
	}
	calls := map[string]func(ctx context.Context) error{
		"ping":   s.Ping,
		"save":   func(ctx context.Context) error { return s.Save(ctx, a) },
		"get":    func(ctx context.Context) error { _, err := s.Get(ctx, a.Key()); return err },
		"delete": func(ctx context.Context) error { return s.Delete(ctx, a.Key()) },
		"list":   func(ctx context.Context) error { _, err := s.List(ctx); return err },
	}
	for name, call := range calls {
		start := time.Now()
		err := call(ctx)
		if !errors.Is(err, platform.ErrUnavailable) {
			t.Errorf("%s with redis down: got %v, want ErrUnavailable", name, err)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("%s with redis down took %v", name, took)
		}
	}

	if err := ctr.Start(ctx); err != nil {
		t.Fatalf("start redis: %v", err)
	}
	mapped, err := ctr.MappedPort(ctx, "6379/tcp")
	if err != nil {
		t.Fatal(err)
	}
	if int(mapped.Num()) != port {
		t.Fatalf("host port moved from %d to %d", port, mapped.Num())
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := s.Ping(ctx)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no reconnect within 30s: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The server lost its data and its script cache (the image keeps
	// nothing on disk); the store must work as if new.
	for i := range 20 {
		fn := storetest.Sample(fmt.Sprintf("hash%02d", i), fmt.Sprintf("fn%02d", i), platform.TypeScan)
		if err := s.Save(ctx, fn); err != nil {
			t.Fatalf("save #%d after restart: %v", i, err)
		}
		if _, err := s.Get(ctx, fn.Key()); err != nil {
			t.Fatalf("get #%d after restart: %v", i, err)
		}
	}
	fns, err := s.List(ctx)
	if err != nil || len(fns) != 20 {
		t.Fatalf("list after restart: got %d functions, %v; want 20", len(fns), err)
	}
	if err := s.Delete(ctx, fns[0].Key()); err != nil {
		t.Fatalf("delete after restart: %v", err)
	}
}

func open(t *testing.T, url, prefix string) platform.Store {
	t.Helper()
	s, err := redis.New(t.Context(), url, redis.WithPrefix(prefix))
	if err != nil {
		t.Fatalf("new: %v", err)
	}
	return s
}

// closedPort returns a local port that nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// TestVersions: replicas learn what changed from one cheap read. Every
// save changes the function's stamp, a delete removes it.
func TestVersions(t *testing.T) {
	_, url := redistest.Start(t)
	ctx := t.Context()
	s := open(t, url, "versions:").(*redis.Store)
	defer s.Close()
	a := storetest.Sample("aaaa", "add", platform.TypeAPI)
	b := storetest.Sample("bbbb", "sub", platform.TypeScan)
	for _, fn := range []platform.Function{a, b} {
		if err := s.Save(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	got, epoch, err := s.Versions(ctx)
	if err != nil || epoch == "" {
		t.Fatal(err, epoch)
	}
	if len(got) != 2 || got[a.Key()] != a.Stamp() || got[b.Key()] != b.Stamp() {
		t.Fatalf("Versions = %v, want the stamps of %s and %s", got, a.Key(), b.Key())
	}
	a.Scaling.MaxInstances = 9
	if err := s.Save(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, b.Key()); err != nil {
		t.Fatal(err)
	}
	got, again, err := s.Versions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[a.Key()] != a.Stamp() {
		t.Fatalf("after a rescale and a delete: %v", got)
	}
	if again != epoch {
		t.Errorf("epoch changed from %q to %q without a reset", epoch, again)
	}
}
