package controller

import (
	"context"
	"fmt"
	"time"

	"stargate/platform"
	"stargate/platform/gateway"
)

// limits are the gateway's view of a function's scaling settings.
func (c *Controller) limits(fn platform.Function) gateway.Limits {
	wait := c.opts.QueueWait
	if t := fn.Timeout(); t < wait {
		wait = t
	}
	return gateway.Limits{
		Concurrency:  fn.Scaling.Concurrency,
		QueueLength:  c.opts.QueueLength,
		QueueWait:    wait,
		MaxInstances: fn.Scaling.MaxInstances,
	}
}

// reserve counts one more instance against the platform-wide cap.
func (c *Controller) reserve() bool {
	for {
		n := c.instances.Load()
		if n >= int64(c.opts.MaxInstances) {
			return false
		}
		if c.instances.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

func (c *Controller) unreserve() { c.instances.Add(-1) }

// errAtCapacity answers a start the platform-wide cap does not allow.
func (c *Controller) errAtCapacity() error {
	return fmt.Errorf("%w: the platform runs its maximum of %d instances", platform.ErrOverloaded, c.opts.MaxInstances)
}

// onDemand runs on the call path when a call found no instance with a free
// slot and the function has room to grow: start one more instance, one at a
// time per function, in the background.
func (c *Controller) onDemand(e *entry) {
	if e.starting.Load() > 0 || c.ctx.Err() != nil {
		return
	}
	c.startOne(e, true)
}

// topUp starts an instance when the function has fewer than floor (or its
// minimum, if higher) in service and none starting.
func (c *Controller) topUp(e *entry, floor int) {
	c.mu.RLock()
	floor = max(floor, e.fn.Scaling.MinInstances)
	c.mu.RUnlock()
	if len(e.target.Backends()) < floor {
		c.startOne(e, false)
	}
}

// startOne starts one instance for e in the background unless one is
// starting already, or the last start failed and its back-off has not
// passed (then calls waiting with nothing to serve them are told why).
func (c *Controller) startOne(e *entry, demanded bool) {
	if time.Now().UnixNano() < e.retryAt.Load() {
		if err := e.lastErr.Load(); err != nil && len(e.target.Backends()) == 0 {
			e.target.FailWaiters(*err)
		}
		return
	}
	if !e.starting.CompareAndSwap(0, 1) {
		return
	}
	c.goBackground(func() {
		defer e.starting.Store(0)
		for c.grow(e, demanded) && c.wanted(e) {
		}
	})
}

// grow starts one instance for e and puts it into service. A start that
// fails while calls wait and nothing serves them turns those calls away
// with the reason, rather than leaving them to time out, and backs off.
// It reports whether an instance went into service.
func (c *Controller) grow(e *entry, demanded bool) bool {
	c.mu.RLock()
	fn, current := e.fn, c.loaded[e.fn.Key()] == e
	c.mu.RUnlock()
	t := e.target
	if !current || len(t.Backends()) >= fn.Scaling.MaxInstances {
		return false
	}
	b, err := c.startInstance(c.ctx, &fn)
	if err != nil {
		n := e.failures.Add(1)
		backoff := min(startBackoff<<min(n-1, 8), maxStartBackoff)
		e.retryAt.Store(time.Now().Add(backoff).UnixNano())
		why := fmt.Errorf("%w: no instance of %s could start: %v", platform.ErrUnavailable, fn.Name, err)
		e.lastErr.Store(&why)
		c.log.Warn("start instance", "function", fn.Key().String(), "err", err, "retry_in", backoff)
		if len(t.Backends()) == 0 {
			t.FailWaiters(why)
		}
		return false
	}
	e.failures.Store(0)
	e.retryAt.Store(0)
	if demanded {
		e.coldStarts.Add(1)
	}
	c.mu.RLock()
	stale := c.loaded[fn.Key()] != e || e.fn.Revision != fn.Revision
	c.mu.RUnlock()
	if stale || !t.Add(b) {
		c.stopBackend(b) // unloaded or reloaded meanwhile
		return false
	}
	c.watch(t, b)
	c.reweigh(e)
	return true
}

// wanted reports whether calls still wait for e while it may grow: calls
// that queued during a burst asked for an instance once.
func (c *Controller) wanted(e *entry) bool {
	c.mu.RLock()
	max := e.fn.Scaling.MaxInstances
	c.mu.RUnlock()
	return e.target.Waiting() > 0 && len(e.target.Backends()) < max && c.ctx.Err() == nil
}

// pruneEvery is how often built Go binaries no function uses are removed.
const pruneEvery = 10 * time.Minute

// Back-off between failed starts of one function.
const (
	startBackoff    = 200 * time.Millisecond
	maxStartBackoff = 30 * time.Second
)

// maintain keeps every function between its bounds: instances idle past
// their timeout beyond the minimum are retired, and missing ones up to the
// minimum are started. It runs until shutdown.
func (c *Controller) maintain(every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	lastPrune := time.Now()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-tick.C:
		}
		if time.Since(lastPrune) > pruneEvery {
			lastPrune = time.Now()
			c.pruneGoBinaries(c.ctx)
		}
		c.mu.RLock()
		entries := make([]*entry, 0, len(c.loaded))
		for _, e := range c.loaded {
			entries = append(entries, e)
		}
		c.mu.RUnlock()
		for _, e := range entries {
			c.mu.RLock()
			sc := e.fn.Scaling
			c.mu.RUnlock()
			for _, b := range e.target.RetireIdle(sc.MinInstances, sc.IdleTimeout()) {
				c.log.Info("retiring idle instance", "function", e.fn.Key().String(), "container", shortID(b.ID()))
				c.goBackground(func() { c.stopBackend(b) })
			}
			c.topUp(e, 0)
			c.reweigh(e)
		}
	}
}

// functionShare is the CPU weight of one function however many instances
// it runs: its instances split it. When CPUs are contended, a function
// scaled out to many busy instances so gets no more CPU than a neighbour
// with one, and a neighbour waking up gets the CPU at once.
const functionShare = 1024

// reweigh gives e's instances their part of the function's share when their
// number changed since the last time.
func (c *Controller) reweigh(e *entry) {
	bs := e.target.Backends()
	n := int32(len(bs))
	if n == 0 || e.weighed.Load() == n {
		return
	}
	e.weighed.Store(n)
	w := max(functionShare/int(n), 2)
	c.goBackground(func() {
		ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
		defer cancel()
		for _, b := range bs {
			if err := c.rt.Weigh(ctx, b.ID(), w); err != nil {
				c.log.Warn("set CPU weight", "container", shortID(b.ID()), "err", err)
				e.weighed.Store(0) // try again next round
			}
		}
	})
}
