package controller

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"stargate/platform"
)

func intp(n int) *int { return &n }

func TestLoadRequestNormalize(t *testing.T) {
	base := func() LoadRequest {
		return LoadRequest{Hash: "abc123", Function: "fn", Type: platform.TypeScan}
	}
	tests := []struct {
		name  string
		edit  func(*LoadRequest)
		field string // "" when valid
	}{
		{"defaults", func(*LoadRequest) {}, ""},
		{"traversal hash", func(r *LoadRequest) { r.Hash = "../etc" }, "visible_pixel_hash"},
		{"dotted function", func(r *LoadRequest) { r.Function = "os.system" }, "function_name"},
		{"keyword module", func(r *LoadRequest) { r.Module = "class" }, "module_name"},
		{"unknown type", func(r *LoadRequest) { r.Type = "root" }, "improvement_type"},
		{"timeout too long", func(r *LoadRequest) { r.TimeoutSeconds = 301 }, "timeout_seconds"},
		{"memory too small", func(r *LoadRequest) { r.MemoryMB = 16 }, "memory_mb"},
		{"max zero", func(r *LoadRequest) { r.MaxInstances = intp(0) }, "max_instances"},
		{"max past the limit", func(r *LoadRequest) { r.MaxInstances = intp(65) }, "max_instances"},
		{"min above max", func(r *LoadRequest) { r.MinInstances, r.MaxInstances = intp(3), intp(2) }, "min_instances"},
		{"negative min", func(r *LoadRequest) { r.MinInstances = intp(-1) }, "min_instances"},
		{"concurrency zero", func(r *LoadRequest) { r.Concurrency = intp(0) }, "concurrency"},
		{"idle zero", func(r *LoadRequest) { r.IdleTimeoutSeconds = intp(0) }, "idle_timeout_seconds"},
		{"min raises the default max", func(r *LoadRequest) { r.MinInstances = intp(6) }, ""},
		{"scale to zero", func(r *LoadRequest) { r.MinInstances = intp(0) }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base()
			tt.edit(&r)
			err := r.normalize()
			var invalid *platform.InvalidError
			switch {
			case tt.field == "" && err != nil:
				t.Fatalf("normalize = %v, want nil", err)
			case tt.field != "" && (!errors.As(err, &invalid) || invalid.Field != tt.field):
				t.Fatalf("normalize = %v, want an InvalidError on %s", err, tt.field)
			}
		})
	}
}

func TestScalingDefaults(t *testing.T) {
	r := LoadRequest{}
	got, err := r.scaling(64)
	if err != nil {
		t.Fatal(err)
	}
	want := platform.Scaling{MinInstances: 1, MaxInstances: 4, Concurrency: 1, IdleTimeoutSeconds: 300}
	if got != want {
		t.Errorf("scaling() = %+v, want %+v", got, want)
	}
	r.MinInstances = intp(6)
	if got, _ := r.scaling(64); got.MaxInstances != 6 {
		t.Errorf("min 6 with the default max: max = %d, want 6", got.MaxInstances)
	}
	// The platform-wide cap bounds a function's maximum.
	r = LoadRequest{MaxInstances: intp(10)}
	if _, err := r.scaling(8); err == nil {
		t.Error("max 10 on a platform capped at 8 was accepted")
	}
}

// A revision names the code and entry point, not the limits: a rescale
// keeps the running instances.
func TestRevisionAndSameInstances(t *testing.T) {
	fn := platform.Function{Hash: "h", Name: "f", Module: "m", Language: platform.LanguagePython, Type: "api",
		MemoryMB: 128, TimeoutSeconds: 30, Files: platform.Files{"m.py": []byte("def f(): return 1\n")}}
	fn.Revision = revision(&fn)
	scaled := fn
	scaled.TimeoutSeconds, scaled.Scaling.MaxInstances = 5, 9
	if revision(&scaled) != fn.Revision || !sameInstances(&fn, &scaled) {
		t.Error("a timeout or scaling change changed the revision or the instances")
	}
	if fn.Stamp() == scaled.Stamp() {
		t.Error("a scaling change did not change the stamp replicas compare")
	}
	edited := fn
	edited.Files = platform.Files{"m.py": []byte("def f(): return 2\n")}
	if revision(&edited) == fn.Revision {
		t.Error("new code kept the revision")
	}
	bigger := fn
	bigger.MemoryMB = 256
	if sameInstances(&fn, &bigger) {
		t.Error("a memory change kept the instances")
	}
}

// Work on one function is serialised; other functions proceed.
func TestKeyedMutex(t *testing.T) {
	var k keyedMutex
	a, b := platform.FunctionKey{Hash: "h", Name: "a"}, platform.FunctionKey{Hash: "h", Name: "b"}
	var inA, maxA atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock := k.lock(a)
			if n := inA.Add(1); n > maxA.Load() {
				maxA.Store(n)
			}
			time.Sleep(time.Millisecond)
			inA.Add(-1)
			unlock()
		}()
	}
	unlockA := k.lock(a)
	done := make(chan struct{})
	go func() { k.lock(b)(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("a lock on one function held up another")
	}
	unlockA()
	wg.Wait()
	if maxA.Load() != 1 {
		t.Errorf("%d holders of one function's lock at once", maxA.Load())
	}
	if len(k.locks) != 0 {
		t.Errorf("%d locks left after every holder released", len(k.locks))
	}
}

func TestDescribeExit(t *testing.T) {
	tests := []struct {
		st   platform.InstanceState
		want string
	}{
		{platform.InstanceState{OOMKilled: true, ExitCode: 137}, "it ran out of memory (limit 64 MiB) and was killed"},
		{platform.InstanceState{ExitCode: 137}, "it was killed (SIGKILL)"},
		{platform.InstanceState{ExitCode: 3}, "it exited with code 3"},
		{platform.InstanceState{}, "it exited"},
	}
	for _, tt := range tests {
		if got := describeExit(tt.st, 64); got != tt.want {
			t.Errorf("describeExit(%+v) = %q, want %q", tt.st, got, tt.want)
		}
	}
}
