package gateway

import (
	"sync"
	"sync/atomic"
	"time"

	"stargate/platform"
)

// Target is one loaded function as the gateway serves it: its settings and
// the pool of backends that serve its calls. Each backend serves one call at
// a time (a Python instance runs one call at a time anyway); a call that
// finds no free backend waits in FIFO order.
type Target struct {
	Key     platform.FunctionKey
	timeout atomic.Int64 // nanoseconds

	mu       sync.Mutex
	closed   bool
	backends []*Backend      // live, not retired
	idle     []*Backend      // free backends; a subset of backends
	waiters  []chan *Backend // a nil handed over means the target closed

	invocations atomic.Int64
	errors      atomic.Int64
	timeouts    atomic.Int64
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

// acquire returns a free backend, waiting until deadline for one.
func (t *Target) acquire(deadline time.Time) (*Backend, bool) {
	t.mu.Lock()
	if n := len(t.idle); n > 0 {
		b := t.idle[n-1]
		t.idle = t.idle[:n-1]
		t.mu.Unlock()
		b.inflight.Add(1)
		return b, true
	}
	ch := make(chan *Backend, 1)
	t.waiters = append(t.waiters, ch)
	t.mu.Unlock()

	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case b := <-ch:
		if b == nil {
			return nil, false
		}
		b.inflight.Add(1)
		return b, true
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
	// A backend was handed over just as the timer fired: pass it on.
	if b := <-ch; b != nil {
		t.put(b)
	}
	return nil, false
}

// release gives a backend back after a call.
func (t *Target) release(b *Backend) {
	b.inflight.Add(-1)
	t.put(b)
}

func (t *Target) put(b *Backend) {
	if b.retired.Load() {
		return
	}
	t.mu.Lock()
	if b.retired.Load() {
		t.mu.Unlock()
		return
	}
	if len(t.waiters) > 0 {
		w := t.waiters[0]
		t.waiters = t.waiters[1:]
		t.mu.Unlock()
		w <- b
		return
	}
	t.idle = append(t.idle, b)
	t.mu.Unlock()
}

// Add puts a ready backend into service; false if the target is closed.
func (t *Target) Add(b *Backend) bool {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return false
	}
	t.backends = append(t.backends, b)
	t.mu.Unlock()
	t.put(b)
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
	t.backends, t.idle = nil, nil
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

// Replace puts the given backends into service and retires every other one,
// atomically: calls that have not got a backend yet get a new one, calls in
// flight finish on the old one. It returns the retired backends.
func (t *Target) Replace(fresh []*Backend) []*Backend {
	t.mu.Lock()
	old := t.backends
	for _, b := range old {
		b.retired.Store(true)
	}
	t.backends = append([]*Backend(nil), fresh...)
	t.idle = t.idle[:0]
	t.mu.Unlock()
	for _, b := range fresh {
		t.put(b)
	}
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
	t.backends = remove(t.backends, b)
	t.idle = remove(t.idle, b)
	return true
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
	Queued      int     `json:"queued"`
	Invocations int64   `json:"invocations"`
	Errors      int64   `json:"errors"`
	Timeouts    int64   `json:"timeouts"`
	MeanMillis  float64 `json:"mean_ms"`
}

// Stats reads the target's counters.
func (t *Target) Stats() Stats {
	t.mu.Lock()
	s := Stats{Instances: len(t.backends), Busy: len(t.backends) - len(t.idle), Queued: len(t.waiters)}
	t.mu.Unlock()
	s.Invocations = t.invocations.Load()
	s.Errors = t.errors.Load()
	s.Timeouts = t.timeouts.Load()
	if s.Invocations > 0 {
		s.MeanMillis = float64(t.nanos.Load()) / float64(s.Invocations) / 1e6
	}
	return s
}

func remove(list []*Backend, b *Backend) []*Backend {
	for i, x := range list {
		if x == b {
			return append(list[:i], list[i+1:]...)
		}
	}
	return list
}
