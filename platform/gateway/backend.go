package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"stargate/platform"
)

// SocketName is the unix socket every runtime listens on inside its socket
// directory.
const SocketName = "fn.sock"

// Pipelining limits: a backend takes another call while it has fewer than
// maxDepth, the call it runs now started less than youngHead ago, and the
// calls already queued are expected to finish within maxQueueWait. Slow
// functions so never queue calls inside the instance, where nothing could
// move them elsewhere or bound their wait; they wait in the gateway, bounded
// by their timeout.
const (
	maxDepth     = 32
	youngHead    = time.Millisecond
	maxQueueWait = time.Millisecond
)

// Backend is one instance as the gateway sees it: a pipelined connection
// over the instance's unix socket.
type Backend struct {
	Instance platform.Instance
	pipe     *pipe

	retired  atomic.Bool
	inflight atomic.Int32 // calls handed out and not yet released
	lastUsed atomic.Int64 // unix nanos the last call ended

	deathOnce   sync.Once
	dead        chan struct{}
	deathReason string
}

// BackendOptions tune the client of one backend.
type BackendOptions struct {
	MaxResponseBytes int
}

// Dial connects to an instance whose socket exists.
func Dial(ctx context.Context, inst platform.Instance, opts BackendOptions) (*Backend, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", filepath.Join(inst.SocketDir, SocketName))
	if err != nil {
		return nil, fmt.Errorf("connect to instance: %w", err)
	}
	b := &Backend{Instance: inst, pipe: newPipe(conn, opts.MaxResponseBytes), dead: make(chan struct{})}
	b.lastUsed.Store(time.Now().UnixNano())
	return b, nil
}

// MarkDead records why the instance stopped serving; calls that failed on it
// report that reason.
func (b *Backend) MarkDead(reason string) {
	b.deathOnce.Do(func() {
		b.deathReason = reason
		close(b.dead)
	})
}

// DeathReason waits up to wait for MarkDead.
func (b *Backend) DeathReason(wait time.Duration) (string, bool) {
	select {
	case <-b.dead:
		return b.deathReason, true
	case <-time.After(wait):
		return "", false
	}
}

// ID is the instance's ID.
func (b *Backend) ID() string { return b.Instance.ID }

// Close closes the connection; calls in flight fail.
func (b *Backend) Close() { b.pipe.close() }

// Inflight is the number of calls the backend is serving now.
func (b *Backend) Inflight() int { return int(b.inflight.Load()) }

// Broken reports whether the connection to the instance failed.
func (b *Backend) Broken() bool { return b.pipe.broken() }

// Lost is closed when the connection to the instance fails, with or
// without a call in flight: an instance that dies idle is noticed at once.
func (b *Backend) Lost() <-chan struct{} { return b.pipe.lost() }

// Err is why the connection failed, once Lost is closed.
func (b *Backend) Err() error {
	b.pipe.mu.Lock()
	defer b.pipe.mu.Unlock()
	return b.pipe.err
}

// pipelinable reports whether one more call may be queued inside the
// instance now, behind the ones it has.
func (b *Backend) pipelinable(now int64) bool {
	n := b.inflight.Load()
	if n == 0 {
		return true
	}
	return n < maxDepth && b.pipe.headAge(now) < youngHead &&
		time.Duration(n)*b.pipe.serviceTime() < maxQueueWait
}

// IdleFor is how long the backend has served nothing; 0 while busy.
func (b *Backend) IdleFor() time.Duration {
	if b.inflight.Load() > 0 {
		return 0
	}
	return time.Duration(time.Now().UnixNano() - b.lastUsed.Load())
}

// ReadyError is the runtime's answer when a function cannot be served.
type ReadyError struct {
	Status  int
	Code    string
	Message string
	Details json.RawMessage
}

func (e *ReadyError) Error() string { return e.Code + ": " + e.Message }

var (
	readyTarget = []byte("/_stargate/ready")
	methodGET   = []byte("GET")
)

// Ready asks the instance to import its function. It returns a *ReadyError
// when the runtime answered that it cannot serve it, and other errors when it
// did not answer.
func (b *Backend) Ready(ctx context.Context) error { return b.ready(ctx, nil) }

// Assign gives a pre-warmed instance its function (whose files the platform
// has just mounted into its slot) and waits until it is ready, as Ready.
func (b *Backend) Assign(ctx context.Context, module, function string) error {
	q := url.Values{"module": {module}, "function": {function}}
	return b.ready(ctx, []byte(q.Encode()))
}

func (b *Backend) ready(ctx context.Context, query []byte) error {
	c := getCall()
	defer putCall(c)
	c.method, c.target, c.query = methodGET, readyTarget, query
	c.timeout = 30 * time.Second
	if deadline, ok := ctx.Deadline(); ok {
		c.timeout = time.Until(deadline)
	}
	b.pipe.do(c)
	if c.err != nil {
		return fmt.Errorf("ready: %w", c.err)
	}
	if c.status == 200 {
		return nil
	}
	var body struct {
		Code    string          `json:"code"`
		Message string          `json:"message"`
		Details json.RawMessage `json:"details"`
	}
	if err := json.Unmarshal(c.resp, &body); err != nil || body.Code == "" {
		return &ReadyError{Status: c.status, Code: "not_ready", Message: truncate(string(c.resp), 512)}
	}
	return &ReadyError{Status: c.status, Code: body.Code, Message: truncate(body.Message, 4096), Details: body.Details}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
