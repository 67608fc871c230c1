package golang_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"stargate/platform"
	"stargate/platform/controller"
	"stargate/platform/docker"
	"stargate/platform/golang"
	"stargate/platform/sandbox"
	"stargate/platform/sockdir"
)

// TestReloadVersusPython compares reloading an unchanged Go function (a
// binary cache hit, then an instance start) with starting the same trivial
// function in Python, each to its first ready answer. An external test
// package: it uses controller.PythonInstance, and the controller will one
// day import this package.
func TestReloadVersusPython(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the Docker engine")
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	rt, err := docker.New(docker.Options{Namespace: "golang-reload-" + hex.EncodeToString(b[:]), Logger: slog.New(slog.DiscardHandler)})
	if err != nil || rt.Ping(context.Background()) != nil {
		t.Skip("no Docker engine")
	}
	defer rt.Close()
	const pyImage = "stargate/python-runtime:dev"
	for _, image := range []string{pyImage, golang.DefaultBuilderImage, golang.DefaultRuntimeImage} {
		if out, err := exec.Command("docker", "image", "inspect", image).CombinedOutput(); err != nil {
			t.Fatalf("image %s is missing (run make images): %.200s", image, out)
		}
	}
	ctx := context.Background()
	root := t.TempDir()
	builder, err := golang.NewBuilder(rt, golang.BuilderOptions{Dir: filepath.Join(root, "go"), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	goSrc := []byte("package p\n\nfunc Echo(s string) string { return s }\n")
	key := platform.FunctionKey{Hash: "reload", Name: "Echo"}
	if _, err := builder.Build(ctx, key, "echo", "Echo", goSrc); err != nil {
		t.Fatal(err)
	}
	codeDir := filepath.Join(root, "code")
	_ = os.MkdirAll(codeDir, 0o755)
	if err := os.WriteFile(filepath.Join(codeDir, "echo.py"), []byte("def Echo(s: str) -> str:\n    return s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fn := &platform.Function{Hash: key.Hash, Name: key.Name, Module: "echo", MemoryMB: 128, Revision: "r"}
	var goTimes, pyTimes []time.Duration
	for range 5 {
		start := time.Now()
		bin, err := builder.Build(ctx, key, "echo", "Echo", goSrc)
		if err != nil || !bin.Cached {
			t.Fatalf("reload: %+v %v", bin, err)
		}
		sock := sockDir(t, "g")
		goTimes = append(goTimes, startReady(t, rt, golang.Instance(golang.DefaultRuntimeImage, fn,
			golang.InstanceDirs{Socket: sock, Binary: bin.Dir, Sandbox: codeDir}, 1e9, 64), start))
		start = time.Now()
		sock = sockDir(t, "p")
		pyTimes = append(pyTimes, startReady(t, rt, controller.PythonInstance(pyImage, fn,
			controller.InstanceDirs{Socket: sock, Code: codeDir, Sandbox: codeDir}, 1e9, 64), start))
	}
	slices.Sort(goTimes)
	slices.Sort(pyTimes)
	t.Logf("reload to ready, median of 5: Go (cache hit + start) %v, Python (start + import) %v",
		goTimes[2].Round(time.Millisecond), pyTimes[2].Round(time.Millisecond))
	if goTimes[2] > pyTimes[2]+50*time.Millisecond {
		t.Errorf("reloading Go (%v) is slower than loading Python (%v)", goTimes[2], pyTimes[2])
	}
}

func sockDir(t *testing.T, kind string) string {
	dir, err := os.MkdirTemp("", "rl"+kind)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sockdir.Remove(dir) })
	if err := sockdir.Prepare(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startReady starts spec and returns the time from start to its first
// ready answer; the instance is removed at the end of the test.
func startReady(t *testing.T, rt *docker.Runtime, spec platform.InstanceSpec, start time.Time) time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fi, err := os.Lstat(spec.SandboxDir)
	if err != nil {
		t.Fatal(err)
	}
	spec.SandboxID = sandbox.FileID(fi)
	inst, err := rt.Start(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Stop(context.Background(), inst.ID) })
	if err := sockdir.WaitAndLock(ctx, spec.SocketDir, golang.SocketName, nil); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("unix", filepath.Join(spec.SocketDir, golang.SocketName))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("GET /_stargate/ready HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("ready: %v %v", resp, err)
	}
	return time.Since(start)
}
