// Package pycheck talks to the Python policy checker (runtimes/python/
// stargate_checker.py), a separate process that parses submitted code with
// Python's own ast module and never runs it. The checker listens on a unix
// socket and speaks newline-delimited JSON. Sidecar runs it as a walled
// container and restarts it when it dies.
package pycheck

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"stargate/platform"
)

// SocketName is the checker's socket inside its folder.
const SocketName = "checker.sock"

// maxResponse bounds one answer of the checker.
const maxResponse = 16 << 20

// Client is a Validator backed by a checker process.
type Client struct {
	socket  string
	conns   chan net.Conn
	timeout time.Duration
	seq     atomic.Int64
}

var _ platform.Validator = (*Client)(nil)

// NewClient returns a client of the checker listening on socket.
func NewClient(socket string) *Client {
	return &Client{socket: socket, conns: make(chan net.Conn, 4), timeout: 30 * time.Second}
}

type request struct {
	ID       int64             `json:"id"`
	Op       string            `json:"op"`
	Files    map[string]string `json:"files"`
	Module   *string           `json:"module"`
	Function string            `json:"function,omitempty"`
}

type response struct {
	ID         int64                `json:"id"`
	OK         bool                 `json:"ok"`
	Error      string               `json:"error"`
	Module     *string              `json:"module"`
	Candidates []string             `json:"candidates"`
	Function   *platform.Signature  `json:"function"`
	Files      []string             `json:"files"`
	Violations []platform.Violation `json:"violations"`
}

// Check asks the checker about a sandbox's Python code.
func (c *Client) Check(ctx context.Context, req platform.CheckRequest) (platform.CheckResult, error) {
	var pre []platform.Violation
	files := make(map[string]string, len(req.Files)) // never nil: the checker wants an object
	for name, src := range req.Files {
		// JSON would silently replace bad bytes: the checker would read
		// other text than the runtime.
		if !utf8.Valid(src) || bytes.IndexByte(src, 0) >= 0 {
			pre = append(pre, platform.Violation{File: name, Rule: "invalid-encoding", Line: 1,
				Message: "source files must be UTF-8 text without NUL bytes"})
			continue
		}
		files[name] = string(src)
	}
	if len(pre) > 0 {
		sort.Slice(pre, func(i, j int) bool { return pre[i].File < pre[j].File })
		return platform.CheckResult{Module: req.Module, Violations: pre}, nil
	}
	r := request{Op: "check", Files: files, Function: req.Function}
	if req.Module != "" {
		r.Module = &req.Module
	}
	var resp response
	if err := c.roundTrip(ctx, &r, &resp); err != nil {
		return platform.CheckResult{}, err
	}
	switch resp.Error {
	case "":
	case "module_not_found":
		return platform.CheckResult{}, fmt.Errorf("%w: %s.py is not in the sandbox", platform.ErrModuleNotFound, req.Module)
	default:
		return platform.CheckResult{}, fmt.Errorf("checker: %s", resp.Error)
	}
	out := platform.CheckResult{
		Candidates: resp.Candidates,
		Signature:  resp.Function,
		Files:      resp.Files,
		Violations: resp.Violations,
	}
	if resp.Module != nil {
		out.Module = *resp.Module
	}
	return out, nil
}

// Ping reports whether the checker answers.
func (c *Client) Ping(ctx context.Context) error {
	var resp response
	if err := c.roundTrip(ctx, &request{Op: "ping"}, &resp); err != nil {
		return err
	}
	if !resp.OK {
		return fmt.Errorf("%w: checker: ping: %s", platform.ErrUnavailable, resp.Error)
	}
	return nil
}

func (c *Client) roundTrip(ctx context.Context, req *request, resp *response) error {
	req.ID = c.seq.Add(1)
	line, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("checker request: %w", err)
	}
	line = append(line, '\n')
	conn, pooled, err := c.conn(ctx)
	if err != nil {
		return err
	}
	err = c.exchange(ctx, conn, line, req.ID, resp)
	if err != nil && pooled && errors.Is(err, errStale) {
		// The checker restarted since this connection was pooled.
		if conn, _, err = c.dial(ctx); err != nil {
			return err
		}
		err = c.exchange(ctx, conn, line, req.ID, resp)
	}
	if errors.Is(err, errStale) {
		return fmt.Errorf("%w: checker closed the connection", platform.ErrUnavailable)
	}
	return err
}

// errStale means the connection was closed before any answer arrived.
var errStale = errors.New("stale connection")

func (c *Client) exchange(ctx context.Context, conn net.Conn, line []byte, id int64, resp *response) error {
	deadline, ok := ctx.Deadline()
	if !ok || time.Until(deadline) > c.timeout {
		deadline = time.Now().Add(c.timeout)
	}
	_ = conn.SetDeadline(deadline)
	// A cancelled request ends the wait at once.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	if _, err := conn.Write(line); err != nil {
		conn.Close()
		return errStale
	}
	br := bufio.NewReaderSize(conn, 64<<10)
	answer, err := readLine(br, maxResponse)
	if err != nil {
		conn.Close()
		if len(answer) == 0 && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)) {
			return errStale
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return fmt.Errorf("%w: checker did not answer in time", platform.ErrUnavailable)
		}
		return fmt.Errorf("%w: checker: %v", platform.ErrUnavailable, err)
	}
	if br.Buffered() > 0 {
		// An answer longer than asked for: the stream is out of step.
		conn.Close()
		return fmt.Errorf("%w: checker answered out of turn", platform.ErrUnavailable)
	}
	if err := json.Unmarshal(answer, resp); err != nil {
		conn.Close()
		return fmt.Errorf("checker answer: %w", err)
	}
	if resp.ID != id {
		conn.Close()
		return fmt.Errorf("%w: checker answered another request", platform.ErrUnavailable)
	}
	c.put(conn)
	return nil
}

func readLine(br *bufio.Reader, limit int) ([]byte, error) {
	var out []byte
	for {
		chunk, err := br.ReadSlice('\n')
		out = append(out, chunk...)
		if len(out) > limit {
			return nil, fmt.Errorf("answer over %d bytes", limit)
		}
		if err == nil {
			return out, nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return out, err
		}
	}
}

// conn returns a pooled connection or a new one, and says which.
func (c *Client) conn(ctx context.Context) (net.Conn, bool, error) {
	select {
	case conn := <-c.conns:
		return conn, true, nil
	default:
	}
	return c.dial(ctx)
}

func (c *Client) dial(ctx context.Context) (net.Conn, bool, error) {
	var d net.Dialer
	dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := d.DialContext(dctx, "unix", c.socket)
	if err != nil {
		return nil, false, fmt.Errorf("%w: the policy checker is not running", platform.ErrUnavailable)
	}
	return conn, false, nil
}

func (c *Client) put(conn net.Conn) {
	_ = conn.SetDeadline(time.Time{})
	select {
	case c.conns <- conn:
	default:
		conn.Close()
	}
}

// CloseIdle drops pooled connections, e.g. after the checker restarted.
func (c *Client) CloseIdle() {
	for {
		select {
		case conn := <-c.conns:
			conn.Close()
		default:
			return
		}
	}
}
