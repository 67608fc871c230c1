package gateway

import (
	"sync"
	"sync/atomic"
	"time"

	"stargate/platform"
)

// Target is one loaded function as the gateway serves it: its settings and
// the pool of backends that serve its calls. A call takes a backend that can
// take one (see Backend.canTake) or waits, in FIFO order, until one can.
type Target struct {
	Key     platform.FunctionKey
	timeout atomic.Int64 // nanoseconds

	mu       sync.Mutex
	closed   bool
	backends []*Backend      // in service
	waiters  []chan *Backend // a nil handed over means the target closed

	invocations atomic.Int64
	errors      atomic.Int64
	timeouts    atomic.Int64
	retries     atomic.Int64
	nanos       atomic.Int64
}

// NewTarget builds a target with no backends yet.
func NewTarget(key platform.FunctionKey, timeout time.Duration) *Target {
	t := &Target{Key: key}
	t.SetTimeout(timeout)
	return t
}

// Timeout is the longest a call may wait for an instance, and then run.
func (t *Target) Timeout() time.Duration { return time.Duration(t.timeout.Load()) }

// SetTimeout changes the timeout of calls that start from now on.
func (t *Target) SetTimeout(d time.Duration) { t.timeout.Store(int64(d)) }

// pick returns a backend that can take a call, counting the call. Called
// with mu held.
func (t *Target) pick(now int64) *Backend {
	var best *Backend
	for _, b := range t.backends {
		if b.canTake(now) && (best == nil || b.inflight.Load() < best.inflight.Load()) {
			best = b
		}
	}
	if best != nil {
		best.inflight.Add(1)
	}
	return best
}

// acquire returns a backend for one call, waiting until deadline for one.
func (t *Target) acquire(deadline time.Time) (*Backend, bool) {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil, false
	}
	if b := t.pick(time.Now().UnixNano()); b != nil {
		t.mu.Unlock()
		return b, true
	}
	ch := make(chan *Backend, 1)
	t.waiters = append(t.waiters, ch)
	t.mu.Unlock()

	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case b := <-ch:
		return b, b != nil
	case <-timer.C:
	}
	t.mu.Lock()
	for i, w := range t.waiters {
		if w == ch {
			t.waiters = append(t.waiters[:i], t.waiters[i+1:]...)
			t.mu.Unlock()
			return nil, false
		}
	}
	t.mu.Unlock()
	// A backend was handed over just as the timer fired: give it back.
	if b := <-ch; b != nil {
		t.release(b)
	}
	return nil, false
}

// release ends a call on b and hands free capacity to waiting calls.
func (t *Target) release(b *Backend) {
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
		w <- b
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
		w <- nil
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

// Stats are a target's counters since it was loaded in this process.
type Stats struct {
	Instances   int     `json:"instances"`
	Busy        int     `json:"busy"`
	Inflight    int     `json:"inflight"`
	Queued      int     `json:"queued"`
	Invocations int64   `json:"invocations"`
	Errors      int64   `json:"errors"`
	Timeouts    int64   `json:"timeouts"`
	Retries     int64   `json:"retries"`
	MeanMillis  float64 `json:"mean_ms"`
}

// Stats reads the target's counters.
func (t *Target) Stats() Stats {
	t.mu.Lock()
	s := Stats{Instances: len(t.backends), Queued: len(t.waiters)}
	for _, b := range t.backends {
		if n := int(b.inflight.Load()); n > 0 {
			s.Busy++
			s.Inflight += n
		}
	}
	t.mu.Unlock()
	s.Invocations = t.invocations.Load()
	s.Errors = t.errors.Load()
	s.Timeouts = t.timeouts.Load()
	s.Retries = t.retries.Load()
	if s.Invocations > 0 {
		s.MeanMillis = float64(t.nanos.Load()) / float64(s.Invocations) / 1e6
	}
	return s
}
