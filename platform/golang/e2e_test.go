package golang

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"stargate/platform"
	"stargate/platform/docker"
	"stargate/platform/sockdir"
)

// engine returns a runtime on the local Docker engine in a namespace of its
// own, whose containers are removed at the end; it skips without an engine
// and fails without the Go images.
func engine(t *testing.T) *docker.Runtime {
	t.Helper()
	if testing.Short() {
		t.Skip("needs the Docker engine")
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	ns := "golang-test-" + hex.EncodeToString(b[:])
	rt, err := docker.New(docker.Options{Namespace: ns, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Skipf("no Docker engine: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rt.Ping(ctx); err != nil {
		t.Skipf("no Docker engine: %v", err)
	}
	for _, image := range []string{DefaultBuilderImage, DefaultRuntimeImage} {
		if out, err := exec.Command("docker", "image", "inspect", "-f", "{{.Id}}", image).CombinedOutput(); err != nil {
			t.Fatalf("image %s is missing (run make images): %s", image, out)
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		list, _ := rt.List(ctx)
		for _, inst := range list {
			_ = rt.Stop(ctx, inst.ID)
		}
		rt.Close()
	})
	return rt
}

// TestEndToEnd builds testdata/textstats.go (127 lines) in the walled
// builder, cold and warm, runs it in a walled instance from the Go runtime
// image and calls it over its socket.
func TestEndToEnd(t *testing.T) {
	rt := engine(t)
	ctx := context.Background()
	// A fresh folder: the first build fills an empty build cache.
	b, err := NewBuilder(rt, BuilderOptions{Dir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	key := platform.FunctionKey{Hash: "golangtest", Name: "Analyze"}
	src := readTestdata(t, "textstats.go")
	start := time.Now()
	if _, err := b.Build(ctx, key, "textstats", "Analyze", src); err != nil {
		t.Fatalf("cold build: %v", err)
	}
	cold := time.Since(start)

	// Warm: changed source (a new binary), cache full; then start and ready.
	src = append(src, "\n// changed: a new revision\n"...)
	start = time.Now()
	bin, err := b.Build(ctx, key, "textstats", "Analyze", src)
	if err != nil || bin.Cached {
		t.Fatalf("warm build: %+v %v", bin, err)
	}
	warm := time.Since(start)
	fn := &platform.Function{Hash: key.Hash, Name: key.Name, Module: "textstats", Language: platform.LanguageGo,
		Type: platform.TypeScan, TimeoutSeconds: 10, MemoryMB: 64, Revision: bin.Key}
	sock, started := startInstance(t, rt, fn, bin)
	load := time.Since(start)

	// Unchanged source: no build at all.
	start = time.Now()
	again, err := b.Build(ctx, key, "textstats", "Analyze", src)
	if err != nil || !again.Cached || again.Dir != bin.Dir {
		t.Fatalf("unchanged source: %+v %v", again, err)
	}
	hit := time.Since(start)
	t.Logf("timings: cold build %v; warm build %v; warm build + start + ready %v (instance %v); unchanged source %v",
		cold.Round(time.Millisecond), warm.Round(time.Millisecond), load.Round(time.Millisecond),
		started.Round(time.Millisecond), hit.Round(time.Microsecond))
	if load > 5*time.Second {
		t.Errorf("warm build and load took %v, the goal is 5 s", load)
	}
	exercise(t, sock)
	compileError(t, b)
}

// startInstance runs bin as fn's instance and waits until it answers ready.
func startInstance(t *testing.T, rt platform.Runtime, fn *platform.Function, bin Binary) (string, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sockDir := filepath.Join(shortTempDir(t, "gi"), "s")
	if err := sockdir.Prepare(sockDir); err != nil {
		t.Fatal(err)
	}
	sandbox := t.TempDir()
	start := time.Now()
	spec := Instance(DefaultRuntimeImage, fn, InstanceDirs{Socket: sockDir, Binary: bin.Dir, Sandbox: sandbox}, 1e9, 64)
	spec.SandboxID = dirID(t, sandbox)
	inst, err := rt.Start(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Stop(context.Background(), inst.ID) })
	alive := func(ctx context.Context) error {
		st, err := rt.State(ctx, inst.ID)
		if err == nil && !st.Running {
			return &platform.DiedError{Reason: "exit code " + strconv.Itoa(st.ExitCode)}
		}
		return nil
	}
	if err := sockdir.WaitAndLock(ctx, sockDir, SocketName, alive); err != nil {
		t.Fatalf("instance did not start: %v", err)
	}
	sock := filepath.Join(sockDir, SocketName)
	if a := call(t, sock, get("/_stargate/ready"))[0]; a.Status != 200 {
		t.Fatalf("ready: %d %s", a.Status, a.Raw)
	}
	return sock, time.Since(start)
}

// compileError: a file that passes the validator but not the compiler
// comes back as compile-error violations at the agent's positions.
func compileError(t *testing.T, b *Builder) {
	t.Helper()
	src := []byte("package p\n\nimport \"strings\"\n\nfunc F(x int) string {\n\treturn strings.Repeat(\"a\", x) + helper()\n}\n\nfunc G() string { return 1 }\n")
	start := time.Now()
	_, err := b.Build(context.Background(), platform.FunctionKey{Hash: "golangtest", Name: "F"}, "bad", "F", src)
	t.Logf("a compile error comes back in %v", time.Since(start).Round(time.Millisecond))
	var re *platform.RejectedError
	if !errors.As(err, &re) {
		t.Fatalf("want a rejection, got %v", err)
	}
	want := map[int]int{6: 34, 9: 26} // line: column
	for _, v := range re.Violations {
		if v.Rule != "compile-error" || v.File != "bad.go" || want[v.Line] != v.Col {
			t.Errorf("violation %+v", v)
		}
		delete(want, v.Line)
	}
	if len(want) > 0 {
		t.Errorf("missing violations at lines %v: %+v", want, re.Violations)
	}
	if entries, _ := os.ReadDir(filepath.Join(b.opts.Dir, "bin")); len(entries) != 2 {
		t.Errorf("want the 2 binaries of textstats, got %v", entries)
	}
}
