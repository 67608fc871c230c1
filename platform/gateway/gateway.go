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

	// OnFailure is told when a backend failed a call in a way that may mean
	// the instance is gone or stuck (timeouts, broken connections). It
	// returns the error to report to the caller, typically a
	// *platform.DiedError saying why, and takes care of replacing the
	// instance. Optional.
	OnFailure func(t *Target, b *Backend, err error) error
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
	start := time.Now()
	timeout := t.Timeout()
	t.invocations.Add(1)
	b, ok := t.acquire(start.Add(timeout))
	if !ok {
		t.errors.Add(1)
		if t.Closed() {
			return fmt.Errorf("%w: %s was unloaded", platform.ErrRouteNotFound, t.Key.Name)
		}
		t.timeouts.Add(1)
		return fmt.Errorf("%w: no instance of %s became free within %s", platform.ErrTimeout, t.Key.Name, timeout)
	}
	err := g.forward(ctx, t, b, time.Now().Add(timeout), timeout)
	t.release(b)
	t.nanos.Add(int64(time.Since(start)))
	return err
}

var invokePath = []byte("/invoke")

func (g *Gateway) forward(ctx *fasthttp.RequestCtx, t *Target, b *Backend, deadline time.Time, timeout time.Duration) error {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)

	// Only what the function needs crosses the wall: never the caller's
	// headers (an Authorization header must not reach untrusted code).
	req.Header.SetMethodBytes(ctx.Method())
	req.Header.SetHost("instance")
	req.SetRequestURIBytes(invokePath)
	if q := ctx.URI().QueryString(); len(q) > 0 {
		req.URI().SetQueryStringBytes(q)
	}
	if body := ctx.Request.Body(); len(body) > 0 {
		req.Header.SetContentTypeBytes(ctx.Request.Header.ContentType())
		req.SetBodyRaw(body)
	}

	err := b.hc.DoDeadline(req, resp, deadline)
	if err != nil {
		t.errors.Add(1)
		if errors.Is(err, fasthttp.ErrTimeout) {
			t.timeouts.Add(1)
			err = fmt.Errorf("%w: %s did not answer within %s; its instance was replaced", platform.ErrTimeout, t.Key.Name, timeout)
		} else if errors.Is(err, fasthttp.ErrBodyTooLarge) {
			return fmt.Errorf("%w: %s answered more than the response size limit", platform.ErrBadResponse, t.Key.Name)
		} else {
			err = &platform.DiedError{Reason: describeConnError(err)}
		}
		if g.OnFailure != nil {
			return g.OnFailure(t, b, err)
		}
		return err
	}
	status := resp.StatusCode()
	if status < 200 || status > 599 {
		status = fasthttp.StatusBadGateway
	}
	if status >= 500 {
		t.errors.Add(1)
	}
	// The instance is untrusted: none of its headers are passed on.
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	ctx.SetBody(resp.Body())
	return nil
}

func describeConnError(err error) string {
	switch {
	case errors.Is(err, fasthttp.ErrConnectionClosed), errors.Is(err, io.EOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "the instance closed the connection mid-call"
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ENOENT):
		return "the instance is not listening"
	}
	// Anything else stays vague on purpose: raw errors name host paths.
	return "the connection to the instance failed"
}
