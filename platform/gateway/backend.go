package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"stargate/platform"
)

// SocketName is the unix socket every runtime listens on inside its socket
// directory.
const SocketName = "fn.sock"

// Backend is one instance as the gateway sees it: a pooled HTTP/1.1 client
// over the instance's unix socket.
type Backend struct {
	Instance platform.Instance
	hc       *fasthttp.HostClient

	retired  atomic.Bool
	inflight atomic.Int32
}

// BackendOptions tune the client of one backend.
type BackendOptions struct {
	MaxResponseBytes int
	// Conns bounds the connections to the instance; the target's own slot
	// accounting keeps it from being exceeded.
	Conns int
}

// NewBackend builds a client for an instance whose socket exists.
func NewBackend(inst platform.Instance, opts BackendOptions) *Backend {
	sock := filepath.Join(inst.SocketDir, SocketName)
	conns := opts.Conns
	if conns <= 0 {
		conns = 1
	}
	hc := &fasthttp.HostClient{
		Addr: "instance",
		Dial: func(string) (net.Conn, error) {
			return net.DialTimeout("unix", sock, 2*time.Second)
		},
		MaxConns:            conns + 1,
		MaxIdleConnDuration: time.Hour,
		// A call is never repeated behind the caller's back: functions need
		// not be idempotent.
		MaxIdemponentCallAttempts:     1,
		RetryIf:                       func(*fasthttp.Request) bool { return false },
		MaxResponseBodySize:           opts.MaxResponseBytes,
		NoDefaultUserAgentHeader:      true,
		DisableHeaderNamesNormalizing: true,
		DisablePathNormalizing:        true,
		ReadBufferSize:                16 << 10,
		WriteBufferSize:               16 << 10,
	}
	return &Backend{Instance: inst, hc: hc}
}

// ID is the instance's ID.
func (b *Backend) ID() string { return b.Instance.ID }

// Close drops the backend's idle connections.
func (b *Backend) Close() { b.hc.CloseIdleConnections() }

// Inflight is the number of calls the backend is serving now.
func (b *Backend) Inflight() int { return int(b.inflight.Load()) }

// ReadyError is the runtime's answer when a function cannot be served.
type ReadyError struct {
	Status  int
	Code    string
	Message string
	Details json.RawMessage
}

func (e *ReadyError) Error() string { return e.Code + ": " + e.Message }

// Ready asks the instance to import its function. It returns a *ReadyError
// when the runtime answered that it cannot serve it, and other errors when it
// did not answer.
func (b *Backend) Ready(ctx context.Context) error {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI("http://instance/_stargate/ready")
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(30 * time.Second)
	}
	if err := b.hc.DoDeadline(req, resp, deadline); err != nil {
		return fmt.Errorf("ready: %w", err)
	}
	if resp.StatusCode() == fasthttp.StatusOK {
		return nil
	}
	var body struct {
		Code    string          `json:"code"`
		Message string          `json:"message"`
		Details json.RawMessage `json:"details"`
	}
	if err := json.Unmarshal(resp.Body(), &body); err != nil || body.Code == "" {
		return &ReadyError{Status: resp.StatusCode(), Code: "not_ready", Message: truncate(string(resp.Body()), 512)}
	}
	return &ReadyError{Status: resp.StatusCode(), Code: body.Code, Message: truncate(body.Message, 4096), Details: body.Details}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
