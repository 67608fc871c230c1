package gateway

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"stargate/platform"
)

// failures records OnFailure calls.
type failures struct {
	mu     sync.Mutex
	causes []error
	got    []*Backend
}

func (r *failures) hook(then func(t *Target, b *Backend, cause error)) func(*Target, *Backend, error) {
	return func(t *Target, b *Backend, cause error) {
		r.mu.Lock()
		r.causes = append(r.causes, cause)
		r.got = append(r.got, b)
		r.mu.Unlock()
		if then != nil {
			then(t, b, cause)
		}
	}
}

func (r *failures) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.causes)
}

func TestTimeout(t *testing.T) {
	var f *fakeInstance
	g, tg, f := served(t, func(w io.Writer, r *fakeReq) bool { return f.hang(w, r) }, 200*time.Millisecond)
	var rec failures
	g.OnFailure = rec.hook(func(_ *Target, b *Backend, cause error) { b.MarkDead(cause.Error()) })
	failed := tg.Backends()[0]

	start := time.Now()
	_, err := invoke(g, "GET", shortPath, nil)
	took := time.Since(start)
	if !errors.Is(err, platform.ErrTimeout) {
		t.Fatalf("Serve = %v, want ErrTimeout", err)
	}
	if took < 180*time.Millisecond || took > time.Second {
		t.Errorf("timed out after %v, want about 200ms", took)
	}
	if got := rec.count(); got != 1 {
		t.Fatalf("OnFailure called %d times, want 1", got)
	}
	if rec.got[0] != failed || !errors.Is(rec.causes[0], platform.ErrTimeout) {
		t.Errorf("OnFailure(%v, %v), want the stuck backend and a timeout", rec.got[0].ID(), rec.causes[0])
	}
	if n := len(tg.Backends()); n != 0 {
		t.Errorf("%d backends in service, want the stuck one retired", n)
	}
	if !failed.Broken() {
		t.Error("the stuck backend's connection is still open")
	}
	s := tg.Stats()
	if s.Invocations != 1 || s.Errors != 1 || s.Timeouts != 1 {
		t.Errorf("Stats = %+v", s)
	}

	// Nothing replaced it: the next call waits its timeout for a backend,
	// then is turned away as the queue's bound says (429, not 504: nothing
	// of the function ran).
	start = time.Now()
	_, err = invoke(g, "GET", shortPath, nil)
	if !errors.Is(err, platform.ErrOverloaded) || !strings.Contains(err.Error(), "became free") {
		t.Errorf("Serve without a backend = %v, want ErrOverloaded waiting for one", err)
	}
	if took := time.Since(start); took < 180*time.Millisecond || took > time.Second {
		t.Errorf("waited %v, want about 200ms", took)
	}
	if got := rec.count(); got != 1 {
		t.Errorf("OnFailure called %d times, want 1", got)
	}
}

type result struct {
	body string // the query the echo answered
	err  error
}

// stuckRun is what became of concurrent calls to a stuck instance.
type stuckRun struct {
	head      result
	pipelined map[string]result // the calls the instance read after the head
	all       map[string]result
	retries   int64
	failures  int // OnFailure calls
}

// behindStuckHead sends 20 concurrent calls to an instance that reads
// every request and answers none; OnFailure marks it dead and calls
// replace with a healthy backend. It tries until some calls were pipelined
// behind the head, which depends on scheduling.
func behindStuckHead(t *testing.T, replace func(tg *Target, healthy *Backend)) (stuckRun, bool) {
	for range 5 {
		swallow := func(io.Writer, *fakeReq) bool { return true }
		g, tg, stuck := served(t, swallow, 300*time.Millisecond)
		for _, b := range tg.Backends() {
			b.pipe.service.Store(int64(time.Microsecond)) // as if its calls had been fast: they pipeline
		}
		healthy := newFake(t, echo).backend(t, "b")
		var rec failures
		g.OnFailure = rec.hook(func(tg *Target, b *Backend, _ error) {
			b.MarkDead("stuck")
			replace(tg, healthy)
		})
		const n = 20
		results := make([]result, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				ctx, err := invoke(g, "GET", fmt.Sprintf("%s?i=%d", shortPath, i), nil)
				results[i] = result{err: err}
				if err == nil {
					results[i].body = echoed(ctx.Response.Body())["query"]
				}
			}()
		}
		close(start)
		wg.Wait()

		reqs := stuck.requests()
		if len(reqs) < 2 {
			continue
		}
		run := stuckRun{pipelined: map[string]result{}, all: map[string]result{}, retries: tg.Stats().Retries, failures: rec.count()}
		for i, r := range results {
			run.all[fmt.Sprintf("i=%d", i)] = r
		}
		run.head = run.all[reqs[0].Query]
		for _, r := range reqs[1:] {
			run.pipelined[r.Query] = run.all[r.Query]
		}
		return run, true
	}
	return stuckRun{}, false
}

// Calls pipelined behind a stuck head never started: when the head times
// out they are sent again, here to a replacement that OnFailure adds at
// once. None gets another's answer; the head times out.
func TestCallsBehindStuckHeadAreRetried(t *testing.T) {
	run, ok := behindStuckHead(t, func(tg *Target, healthy *Backend) { tg.Add(healthy) })
	if !ok {
		t.Fatal("no call was pipelined behind the head in 5 tries")
	}
	if run.failures != 1 {
		t.Errorf("OnFailure called %d times, want 1", run.failures)
	}
	if !errors.Is(run.head.err, platform.ErrTimeout) {
		t.Errorf("the head call got %v, want ErrTimeout", run.head.err)
	}
	for q, r := range run.all {
		if r.err == nil && r.body != q {
			t.Errorf("call %s got the answer to %q", q, r.body)
		}
		// Calls that waited in the gateway past the queue's bound are
		// turned away (429); none fails any other way.
		if r.err != nil && !errors.Is(r.err, platform.ErrTimeout) && !errors.Is(r.err, platform.ErrOverloaded) {
			t.Errorf("call %s = %v, want an answer, ErrTimeout or ErrOverloaded", q, r.err)
		}
	}
	if run.retries < int64(len(run.pipelined)) {
		t.Errorf("Retries = %d, want at least %d", run.retries, len(run.pipelined))
	}
	ok = false
	for _, r := range run.pipelined {
		ok = ok || r.err == nil
	}
	t.Logf("%d calls pipelined behind the head, %d retried, one served: %v", len(run.pipelined), run.retries, ok)
}

// OnFailure "must not block" and replaces the instance "in the background":
// the calls that never started behind a stuck head should reach the
// replacement, which here is ready 20ms later.
func TestCallsBehindStuckHeadReachBackgroundReplacement(t *testing.T) {
	run, ok := behindStuckHead(t, func(tg *Target, healthy *Backend) {
		time.AfterFunc(20*time.Millisecond, func() { tg.Add(healthy) })
	})
	if !ok {
		t.Fatal("no call was pipelined behind the head in 5 tries")
	}
	for q, r := range run.pipelined {
		if r.err != nil || r.body != q {
			// Calls that never started get a whole timeout again to
			// find an instance: the replacement arrives after 20ms.
			t.Errorf("call %s, queued behind the stuck head, = %q, %v; want its answer from the replacement", q, r.body, r.err)
		}
	}
}

func TestInstanceClosesMidCall(t *testing.T) {
	closeIt := func(io.Writer, *fakeReq) bool { return false }
	tests := []struct {
		name       string
		onFailure  func(*Target, *Backend, error)
		wantReason string
	}{
		{"no hook", nil, "the instance closed the connection mid-call"},
		{"hook says why", func(_ *Target, b *Backend, _ error) { b.MarkDead("out of memory (128 MiB)") }, "out of memory (128 MiB)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, tg, _ := served(t, closeIt, 2*time.Second)
			var rec failures
			if tt.onFailure != nil {
				g.OnFailure = rec.hook(tt.onFailure)
			}
			_, err := invoke(g, "POST", shortPath, []byte("{}"))
			var died *platform.DiedError
			if !errors.As(err, &died) {
				t.Fatalf("Serve = %v, want a DiedError", err)
			}
			if died.Reason != tt.wantReason {
				t.Errorf("Reason = %q, want %q", died.Reason, tt.wantReason)
			}
			if strings.Contains(err.Error(), "/") {
				t.Errorf("error %q names a host path", err)
			}
			if tt.onFailure != nil && rec.count() != 1 {
				t.Errorf("OnFailure called %d times, want 1", rec.count())
			}
			if n := len(tg.Backends()); n != 0 {
				t.Errorf("%d backends in service after the instance died", n)
			}
		})
	}
}

// A head that dies mid-call fails; the calls behind it are retried.
func TestCallsBehindDeadHeadAreRetried(t *testing.T) {
	var seen atomic.Int32
	closeAfterTwo := func(io.Writer, *fakeReq) bool {
		// Read a second request (the one queued) before dying.
		return seen.Add(1) < 2
	}
	f := newFake(t, closeAfterTwo)
	b := f.backend(t, "a")
	head := &call{method: methodGET, target: invokeTarget, query: []byte("i=0"), timeout: 5 * time.Second, done: make(chan struct{}, 1)}
	behind := &call{method: methodGET, target: invokeTarget, query: []byte("i=1"), timeout: 5 * time.Second, done: make(chan struct{}, 1)}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); b.pipe.do(head) }()
	eventually(t, "the head to be pending", func() bool { return b.pipe.depth.Load() == 1 })
	go func() { defer wg.Done(); b.pipe.do(behind) }()
	wg.Wait()
	var ce *connError
	if !errors.As(head.err, &ce) {
		t.Errorf("head.err = %v, want a connError", head.err)
	}
	if behind.err != errNotExecuted {
		t.Errorf("behind.err = %v, want errNotExecuted", behind.err)
	}
	// Once broken, nothing more is sent.
	late := &call{method: methodGET, target: invokeTarget, timeout: time.Second, done: make(chan struct{}, 1)}
	b.pipe.do(late)
	if late.err != errNotSent {
		t.Errorf("late.err = %v, want errNotSent", late.err)
	}
}

func TestMarkDead(t *testing.T) {
	b := newFake(t, echo).backend(t, "a")
	if _, ok := b.DeathReason(10 * time.Millisecond); ok {
		t.Error("DeathReason before MarkDead reported one")
	}
	b.MarkDead("first")
	b.MarkDead("second")
	if got, ok := b.DeathReason(time.Second); !ok || got != "first" {
		t.Errorf("DeathReason = %q, %v, want first", got, ok)
	}
}

// Target.Timeout is "the longest a call may wait for an instance, and then
// run": read most leniently (a wait of up to the timeout, then a run of up
// to the timeout), no call may take longer than twice the timeout.
func TestTimeoutBoundsPipelinedCalls(t *testing.T) {
	const timeout = 300 * time.Millisecond
	slow := func(w io.Writer, r *fakeReq) bool {
		time.Sleep(200 * time.Millisecond) // each call alone is well in time
		return echo(w, r)
	}
	g, _, _ := served(t, slow, timeout)
	const n = 6
	took := make([]time.Duration, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			s := time.Now()
			_, errs[i] = invoke(g, "GET", fmt.Sprintf("%s?i=%d", shortPath, i), nil)
			took[i] = time.Since(s)
		}()
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil && !errors.Is(errs[i], platform.ErrTimeout) && !errors.Is(errs[i], platform.ErrOverloaded) {
			t.Errorf("call %d = %v, want an answer, ErrTimeout or ErrOverloaded", i, errs[i])
		}
		if took[i] > 2*timeout+100*time.Millisecond {
			// Calls of a function not known to be fast are not queued
			// inside the instance, where their wait would be unbounded.
			t.Errorf("call %d took %v (err %v) with a %v timeout", i, took[i], errs[i], timeout)
		}
	}
}
