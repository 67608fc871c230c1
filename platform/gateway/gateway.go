// Package gateway is the invoke path: it maps /improved/... paths to loaded
// functions and proxies each call to a free instance over its unix socket.
// Routes live in memory behind an atomic pointer, so a call touches no lock
// but its function's pool, and neither the store nor the disk.
package gateway

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"stargate/platform"
)

// Gateway routes calls to targets.
type Gateway struct {
	routes atomic.Pointer[map[string]*Target]
	mu     sync.Mutex // serialises route writers

	// OnFailure is told, once per backend, that the backend failed in a
	// way that means its instance is dead or stuck (timeouts, broken
	// connections, bad answers); the backend is out of service already. It
	// must not block: it should find out why (and say so with
	// Backend.MarkDead) and replace the instance in the background.
	OnFailure func(t *Target, b *Backend, cause error)
}

// New returns a gateway with no routes.
func New() *Gateway {
	g := &Gateway{}
	empty := map[string]*Target{}
	g.routes.Store(&empty)
	return g
}

// Set points each path at target, replacing what it pointed at.
func (g *Gateway) Set(target *Target, paths ...string) {
	g.update(func(m map[string]*Target) {
		for _, p := range paths {
			m[p] = target
		}
	})
}

// Remove drops every path that points at target and returns them.
func (g *Gateway) Remove(target *Target) []string {
	var gone []string
	g.update(func(m map[string]*Target) {
		for p, t := range m {
			if t == target {
				delete(m, p)
				gone = append(gone, p)
			}
		}
	})
	return gone
}

// RemovePaths drops the given paths if they point at target.
func (g *Gateway) RemovePaths(target *Target, paths ...string) {
	g.update(func(m map[string]*Target) {
		for _, p := range paths {
			if m[p] == target {
				delete(m, p)
			}
		}
	})
}

// Lookup returns the target a path points at.
func (g *Gateway) Lookup(path string) (*Target, bool) {
	t, ok := (*g.routes.Load())[path]
	return t, ok
}

// update copies the route map, lets fn change the copy and publishes it:
// writers are rare, readers never wait.
func (g *Gateway) update(fn func(map[string]*Target)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	old := *g.routes.Load()
	next := make(map[string]*Target, len(old)+2)
	for k, v := range old {
		next[k] = v
	}
	fn(next)
	g.routes.Store(&next)
}

// Serve proxies one call. The response is written to ctx on success and on
// errors the function itself answered (bad arguments, exceptions); errors of
// the platform (no route, timeout, dead instance) are returned for the
// caller's error handler to write.
func (g *Gateway) Serve(ctx *fasthttp.RequestCtx) error {
	t, ok := (*g.routes.Load())[string(ctx.Path())]
	if !ok {
		return fmt.Errorf("%w: no function is loaded at %s", platform.ErrRouteNotFound, ctx.Path())
	}
	query := ctx.URI().QueryString()
	if !cleanQuery(query) {
		return platform.Invalid("query", "holds bytes that are not allowed in a URL")
	}
	start := time.Now()
	timeout := t.Timeout()
	t.invocations.Add(1)
	defer func() { t.nanos.Add(int64(time.Since(start))) }()

	c := getCall()
	defer putCall(c)
	// Only what the function needs crosses the wall: never the caller's
	// headers (an Authorization header must not reach untrusted code).
	c.method, c.target, c.query, c.body = ctx.Method(), invokeTarget, query, ctx.Request.Body()
	c.timeout = timeout
	deadline := start.Add(timeout)
	for attempt := 0; ; attempt++ {
		b, err := t.acquire(deadline)
		if err != nil {
			t.errors.Add(1)
			return t.acquireError(err)
		}
		c.err = nil
		b.pipe.do(c)
		t.release(b)
		if c.err == nil {
			break
		}
		err = g.failed(t, b, c.err, timeout)
		// A call that never started is safe to send once more; the failed
		// instance is out of service by now.
		if attempt == 0 && (c.err == errNotSent || c.err == errNotExecuted) {
			t.retries.Add(1)
			// It never ran: it gets a whole timeout to find an instance
			// again (the replacement is starting now).
			deadline = time.Now().Add(timeout)
			continue
		}
		t.errors.Add(1)
		return g.explain(b, err)
	}
	if c.status >= 500 {
		t.errors.Add(1)
	}
	// The instance is untrusted: none of its headers are passed on.
	ctx.SetStatusCode(c.status)
	ctx.SetContentType("application/json")
	ctx.SetBody(c.resp)
	return nil
}

var invokeTarget = []byte("/invoke")

// acquireError says why a call got no instance.
func (t *Target) acquireError(err error) error {
	lim := t.limits.Load()
	switch err {
	case errClosed:
		return fmt.Errorf("%w: %s was unloaded", platform.ErrRouteNotFound, t.Key.Name)
	case errQueueFull:
		return fmt.Errorf("%w: %d calls of %s are already waiting for an instance", platform.ErrOverloaded, lim.QueueLength, t.Key.Name)
	case errQueueTimeout:
		return fmt.Errorf("%w: no instance of %s became free in time", platform.ErrOverloaded, t.Key.Name)
	}
	return err
}

// failed turns a pipe error into the error the caller gets and takes the
// backend out of service: every such error means the instance is dead or
// stuck. The first call to see it has it replaced.
func (g *Gateway) failed(t *Target, b *Backend, err error, timeout time.Duration) error {
	var out error
	var bad *badResponse
	switch {
	case err == errTimeout:
		t.timeouts.Add(1)
		out = fmt.Errorf("%w: %s did not answer within %s; its instance was replaced", platform.ErrTimeout, t.Key.Name, timeout)
	case errors.As(err, &bad):
		out = fmt.Errorf("%w: %s", platform.ErrBadResponse, bad.Error())
	case err == errNotSent, err == errNotExecuted:
		out = &platform.DiedError{Reason: "the instance failed before the call started"}
	default:
		out = &platform.DiedError{Reason: describeConnError(err)}
	}
	if t.Retire(b) && g.OnFailure != nil {
		g.OnFailure(t, b, out)
	}
	return out
}

// explain waits briefly for the reason an instance died (its exit code, an
// out-of-memory kill), which the platform learns from the engine.
func (g *Gateway) explain(b *Backend, err error) error {
	var died *platform.DiedError
	if !errors.As(err, &died) || g.OnFailure == nil {
		return err
	}
	if reason, ok := b.DeathReason(3 * time.Second); ok && reason != "" {
		return &platform.DiedError{Reason: reason}
	}
	return err
}

// cleanQuery reports whether a raw query may be put in a request line.
func cleanQuery(q []byte) bool {
	for _, c := range q {
		if c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

func describeConnError(err error) string {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "the instance closed the connection mid-call"
	}
	// Anything else stays vague on purpose: raw errors name host paths.
	return "the connection to the instance failed"
}
