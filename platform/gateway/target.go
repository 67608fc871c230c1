package gateway

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"stargate/platform"
)

// Target is one loaded function as the gateway serves it: its settings and
// the backends that serve its calls. A call takes a backend with a free slot
// (fewer calls than the function's concurrency), else one it may be
// pipelined to (see pipelinable), else it waits in a bounded FIFO queue; in
// the last two cases the target tells OnDemand, so that the controller can
// start another instance.
type Target struct {
	Key     platform.FunctionKey
	timeout atomic.Int64 // nanoseconds
	limits  atomic.Pointer[Limits]

	// OnDemand is told that a call found no backend with a free slot. It
	// must not block: the controller starts an instance in the background
	// when the function may grow. Optional.
	OnDemand func(t *Target)

	mu       sync.Mutex
	closed   bool
	backends []*Backend // in service, oldest first
	waiters  []chan grant

	invocations atomic.Int64
	errors      atomic.Int64
	timeouts    atomic.Int64
	retries     atomic.Int64
	rejected    atomic.Int64
	queuedCalls atomic.Int64
	nanos       atomic.Int64
}

// Limits bound how a target's calls are spread and queued.
type Limits struct {
	// Concurrency is how many calls one instance takes at once.
	Concurrency int
	// QueueLength bounds the calls waiting for an instance.
	QueueLength int
	// QueueWait bounds how long one call waits for an instance.
	QueueWait time.Duration
	// MaxInstances: OnDemand is only told while there are fewer backends.
	MaxInstances int
}

// grant is what a waiting call is handed: a backend, or why it gets none.
type grant struct {
	b   *Backend
	err error
}

var (
	errClosed       = errors.New("unloaded")
	errQueueFull    = errors.New("queue full")
	errQueueTimeout = errors.New("queue timeout")
)

// NewTarget builds a target with no backends yet.
func NewTarget(key platform.FunctionKey, timeout time.Duration) *Target {
	t := &Target{Key: key}
	t.SetTimeout(timeout)
	t.SetLimits(Limits{Concurrency: 1, QueueLength: 100, QueueWait: timeout, MaxInstances: 1})
	return t
}

// Timeout is the longest a call may run.
func (t *Target) Timeout() time.Duration { return time.Duration(t.timeout.Load()) }

// SetTimeout changes the timeout of calls that start from now on.
func (t *Target) SetTimeout(d time.Duration) { t.timeout.Store(int64(d)) }

// SetLimits changes how calls are spread and queued from now on.
func (t *Target) SetLimits(l Limits) {
	if l.Concurrency < 1 {
		l.Concurrency = 1
	}
	t.limits.Store(&l)
	t.mu.Lock()
	t.wake()
	t.mu.Unlock()
}

// pickFree returns the oldest backend with a free slot, counting the call:
// load is packed onto few instances so that the others go idle and retire.
// Called with mu held.
func (t *Target) pickFree(concurrency int32) *Backend {
	for _, b := range t.backends {
		if b.inflight.Load() < concurrency {
			b.inflight.Add(1)
			return b
		}
	}
	return nil
}

// pickPipelined returns the least busy backend a call may be queued on
// inside the instance, counting the call. Called with mu held.
func (t *Target) pickPipelined(now int64) *Backend {
	var best *Backend
	for _, b := range t.backends {
		if b.pipelinable(now) && (best == nil || b.inflight.Load() < best.inflight.Load()) {
			best = b
		}
	}
	if best != nil {
		best.inflight.Add(1)
	}
	return best
}

func (t *Target) pick(now int64) *Backend {
	if b := t.pickFree(int32(t.limits.Load().Concurrency)); b != nil {
		return b
	}
	return t.pickPipelined(now)
}

// acquire returns a backend for one call, waiting until deadline (or the
// queue's own bound) for one.
func (t *Target) acquire(deadline time.Time) (*Backend, error) {
	lim := t.limits.Load()
	now := time.Now()
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil, errClosed
	}
	if b := t.pickFree(int32(lim.Concurrency)); b != nil {
		t.mu.Unlock()
		return b, nil
	}
	grow := len(t.backends) < lim.MaxInstances
	if b := t.pickPipelined(now.UnixNano()); b != nil {
		t.mu.Unlock()
		t.demand(grow)
		return b, nil
	}
	if len(t.waiters) >= lim.QueueLength {
		t.mu.Unlock()
		t.demand(grow)
		t.rejected.Add(1)
		return nil, errQueueFull
	}
	ch := make(chan grant, 1)
	t.waiters = append(t.waiters, ch)
	t.mu.Unlock()
	t.queuedCalls.Add(1)
	t.demand(grow)

	if qd := now.Add(lim.QueueWait); qd.Before(deadline) {
		deadline = qd
	}
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case g := <-ch:
		return g.b, g.err
	case <-timer.C:
	}
	t.mu.Lock()
	for i, w := range t.waiters {
		if w == ch {
			t.waiters = append(t.waiters[:i], t.waiters[i+1:]...)
			t.mu.Unlock()
			t.rejected.Add(1)
			return nil, errQueueTimeout
		}
	}
	t.mu.Unlock()
	// A grant came just as the timer fired: take it.
	g := <-ch
	return g.b, g.err
}

func (t *Target) demand(grow bool) {
	if grow && t.OnDemand != nil {
		t.OnDemand(t)
	}
}

// release ends a call on b and hands free capacity to waiting calls.
func (t *Target) release(b *Backend) {
	b.lastUsed.Store(time.Now().UnixNano())
	t.mu.Lock()
	b.inflight.Add(-1)
	t.wake()
	t.mu.Unlock()
}

// wake hands backends to waiting calls while some can take one. Called with
// mu held.
func (t *Target) wake() {
	if len(t.waiters) == 0 {
		return
	}
	now := time.Now().UnixNano()
	for len(t.waiters) > 0 {
		b := t.pick(now)
		if b == nil {
			return
		}
		w := t.waiters[0]
		t.waiters = t.waiters[1:]
		w <- grant{b: b}
	}
}

// Add puts a ready backend into service; false if the target is closed.
func (t *Target) Add(b *Backend) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.backends = append(t.backends, b)
	t.wake()
	return true
}

// Replace puts the given backends into service and retires every other one,
// atomically: calls that have not got a backend yet get a new one, calls in
// flight finish on the old one. It returns the retired backends.
func (t *Target) Replace(fresh []*Backend) []*Backend {
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.backends
	for _, b := range old {
		b.retired.Store(true)
	}
	t.backends = append([]*Backend(nil), fresh...)
	t.wake()
	return old
}

// Retire takes one backend out of service; calls in flight on it finish.
// It reports whether the backend was in service.
func (t *Target) Retire(b *Backend) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if b.retired.Swap(true) {
		return false
	}
	for i, x := range t.backends {
		if x == b {
			t.backends = append(t.backends[:i], t.backends[i+1:]...)
			break
		}
	}
	return true
}

// RetireIdle takes out of service the backends, beyond the keep oldest,
// that have served nothing for idle, and returns them.
func (t *Target) RetireIdle(keep int, idle time.Duration) []*Backend {
	cutoff := time.Now().Add(-idle).UnixNano()
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []*Backend
	// The newest go first: load is packed onto the oldest.
	for i := len(t.backends) - 1; i >= keep; i-- {
		b := t.backends[i]
		if b.inflight.Load() == 0 && b.lastUsed.Load() < cutoff {
			b.retired.Store(true)
			t.backends = append(t.backends[:i], t.backends[i+1:]...)
			out = append(out, b)
		}
	}
	return out
}

// FailWaiters turns away every waiting call with err: nothing will serve
// them soon (the function's instances cannot start).
func (t *Target) FailWaiters(err error) {
	t.mu.Lock()
	waiters := t.waiters
	t.waiters = nil
	t.mu.Unlock()
	for _, w := range waiters {
		w <- grant{err: err}
	}
}

// Close retires every backend and turns away waiting calls; it returns the
// retired backends.
func (t *Target) Close() []*Backend {
	t.mu.Lock()
	t.closed = true
	old := t.backends
	for _, b := range old {
		b.retired.Store(true)
	}
	t.backends = nil
	waiters := t.waiters
	t.waiters = nil
	t.mu.Unlock()
	for _, w := range waiters {
		w <- grant{err: errClosed}
	}
	return old
}

// Closed reports whether the target was closed.
func (t *Target) Closed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed
}

// Backends returns the backends in service.
func (t *Target) Backends() []*Backend {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]*Backend(nil), t.backends...)
}

// Waiting is the number of calls waiting for an instance.
func (t *Target) Waiting() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.waiters)
}
