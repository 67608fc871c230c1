package golang

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"stargate/platform"
)

// fakeRuntime "runs" builder containers in process: build gets the host
// path of the output folder and returns the exit state, or blocks (running)
// until Stop.
type fakeRuntime struct {
	t      *testing.T
	build  func(out string) platform.InstanceState
	starts atomic.Int32

	mu     sync.Mutex
	states map[string]platform.InstanceState
	specs  []platform.InstanceSpec
}

var _ platform.Runtime = (*fakeRuntime)(nil)

func (f *fakeRuntime) Start(ctx context.Context, spec platform.InstanceSpec) (platform.Instance, error) {
	n := f.starts.Add(1)
	var out string
	for i, a := range spec.Cmd {
		if a == "--out" {
			out = filepath.Join(spec.SocketDir, strings.TrimPrefix(spec.Cmd[i+1], "/run/stargate/"))
		}
	}
	if !isFile(filepath.Join(spec.CodeDir, "fn", "stargate_binding.go")) {
		f.t.Errorf("the builder does not see the module at /code")
	}
	id := "c" + string(rune('0'+n))
	st := f.build(out)
	f.mu.Lock()
	f.states[id] = st
	f.specs = append(f.specs, spec)
	f.mu.Unlock()
	return platform.Instance{ID: id}, nil
}

func (f *fakeRuntime) Stop(ctx context.Context, id string) error {
	f.mu.Lock()
	delete(f.states, id)
	f.mu.Unlock()
	return nil
}

func (f *fakeRuntime) List(context.Context) ([]platform.Instance, error) { return nil, nil }
func (f *fakeRuntime) Ping(context.Context) error                        { return nil }

func (f *fakeRuntime) Weigh(context.Context, string, int) error { return nil }

func (f *fakeRuntime) State(ctx context.Context, id string) (platform.InstanceState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.states[id]
	if !ok {
		return st, platform.ErrInstanceNotFound
	}
	return st, nil
}

func elfOutput(out string) platform.InstanceState {
	_ = os.WriteFile(filepath.Join(out, "fn"), []byte("\x7fELF fake binary"), 0o755)
	return platform.InstanceState{}
}

func newFakeBuilder(t *testing.T, build func(out string) platform.InstanceState) (*Builder, *fakeRuntime) {
	rt := &fakeRuntime{t: t, build: build, states: map[string]platform.InstanceState{}}
	b, err := NewBuilder(rt, BuilderOptions{Dir: t.TempDir(), Timeout: 300 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return b, rt
}

var simple = []byte("package p\n\nfunc F(x int) int { return x }\n")

func TestBuildCaches(t *testing.T) {
	b, rt := newFakeBuilder(t, elfOutput)
	ctx := context.Background()
	key := platform.FunctionKey{Hash: "h", Name: "F"}
	var wg sync.WaitGroup
	bins := make([]Binary, 5)
	for i := range bins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if bins[i], err = b.Build(ctx, key, "m", "F", simple); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := rt.starts.Load(); n != 1 {
		t.Fatalf("%d builds for one module", n)
	}
	fi, err := os.Stat(filepath.Join(bins[0].Dir, "fn"))
	if err != nil || fi.Mode().Perm() != 0o555 {
		t.Fatalf("binary: %v %v", fi, err)
	}
	again, err := b.Build(ctx, key, "m", "F", simple)
	if err != nil || !again.Cached || again.Dir != bins[0].Dir || rt.starts.Load() != 1 {
		t.Fatalf("second build: %+v %v, %d starts", again, err, rt.starts.Load())
	}
	spec := rt.specs[0]
	if spec.Role != platform.RoleBuilder || spec.Image != DefaultBuilderImage || spec.MemoryMB != 1024 ||
		spec.NanoCPUs != 2e9 || spec.PidsLimit != 256 || spec.SandboxDir != "" {
		t.Errorf("builder spec %+v", spec)
	}
	// Prune keeps what is asked for.
	other, err := b.Build(ctx, key, "m", "F", append(simple, "// other\n"...))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Prune(map[string]bool{bins[0].Key: true}); err != nil {
		t.Fatal(err)
	}
	if !isFile(filepath.Join(bins[0].Dir, "fn")) || isFile(filepath.Join(other.Dir, "fn")) {
		t.Error("prune removed the wrong binaries")
	}
	// Nothing of the build is left behind.
	for _, d := range []string{"src", "work/out"} {
		if entries, _ := os.ReadDir(filepath.Join(b.opts.Dir, d)); len(entries) > 0 {
			t.Errorf("%s not cleaned: %v", d, entries)
		}
	}
}

func TestBuildFailures(t *testing.T) {
	tests := []struct {
		name  string
		src   []byte
		build func(out string) platform.InstanceState
		rule  string // a RejectedError with this rule; "" any other error
		want  string
	}{
		{"compile error", []byte("package p\n\nfunc F(x int) string {\n\treturn x\n}\n"), func(out string) platform.InstanceState {
			_ = os.WriteFile(filepath.Join(out, "build.log"), []byte("# stargatefn/fn\nfn/fn.go:4:9: cannot use x (variable of type int) as string value in return statement\n"), 0o644)
			return platform.InstanceState{ExitCode: 1}
		}, "compile-error", "m.go:4:9"},
		{"out of memory", simple, func(string) platform.InstanceState {
			return platform.InstanceState{OOMKilled: true, ExitCode: 137}
		}, "build-limit", "out of memory"},
		{"helper timeout", simple, func(string) platform.InstanceState { return platform.InstanceState{ExitCode: 124} }, "build-limit", "longer than"},
		{"wall time", simple, func(string) platform.InstanceState { return platform.InstanceState{Running: true} }, "build-limit", "longer than"},
		{"not an executable", simple, func(out string) platform.InstanceState {
			_ = os.WriteFile(filepath.Join(out, "fn"), []byte("#!/bin/sh\n"), 0o755)
			return platform.InstanceState{}
		}, "", "not an executable"},
		{"fifo", simple, func(out string) platform.InstanceState {
			_ = syscall.Mkfifo(filepath.Join(out, "fn"), 0o666)
			return platform.InstanceState{}
		}, "", "not a regular file"},
		{"symlink", simple, func(out string) platform.InstanceState {
			_ = os.Symlink("/etc/passwd", filepath.Join(out, "fn"))
			return platform.InstanceState{}
		}, "", "no binary"},
		{"log symlink", simple, func(out string) platform.InstanceState {
			_ = os.Symlink("/etc/passwd", filepath.Join(out, "build.log"))
			return platform.InstanceState{ExitCode: 1}
		}, "compile-error", "exited with code 1 without a message"},
		{"invalid source", []byte("package p\nimport \"os\"\nfunc F() { os.Exit(0) }"), nil, "banned-import", "m.go:2:8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, rt := newFakeBuilder(t, tt.build)
			_, err := b.Build(context.Background(), platform.FunctionKey{Hash: "h", Name: "F"}, "m", "F", tt.src)
			var re *platform.RejectedError
			switch {
			case err == nil:
				t.Fatal("built")
			case tt.rule != "":
				if !errors.As(err, &re) || re.Violations[0].Rule != tt.rule {
					t.Fatalf("want %s, got %v", tt.rule, err)
				}
				v := re.Violations[0]
				if got := v.File + ":" + strconv.Itoa(v.Line) + ":" + strconv.Itoa(v.Col) + " " + v.Message; !strings.Contains(got, tt.want) && !strings.Contains(v.Message, tt.want) {
					t.Errorf("violation %s, want %s", got, tt.want)
				}
			case errors.As(err, &re) || !strings.Contains(err.Error(), tt.want):
				t.Fatalf("want an error with %q, got %v", tt.want, err)
			}
			if tt.build == nil && rt.starts.Load() != 0 {
				t.Error("a rejected source reached the builder")
			}
			rt.mu.Lock()
			defer rt.mu.Unlock()
			if len(rt.states) != 0 {
				t.Errorf("builder containers left: %v", rt.states)
			}
		})
	}
}
