package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"stargate/platform"
)

// fakeReq is one request as the fake instance read it.
type fakeReq struct {
	Method string
	Target string // path and query, as sent
	Query  string
	Header http.Header
	Body   []byte
}

// handler answers one request by writing raw bytes to w; it returns false
// to close the connection. It may block: the fake, like the Python runner,
// runs one request at a time per connection and answers in order.
type handler func(w io.Writer, r *fakeReq) bool

// fakeInstance is an instance as the gateway sees one: an HTTP/1.1 server
// on dir/fn.sock.
type fakeInstance struct {
	dir  string
	ln   net.Listener
	h    handler
	done chan struct{} // closed when the test ends: blocked handlers return

	mu    sync.Mutex
	reqs  []*fakeReq
	conns []net.Conn
}

// socketDir returns a new folder with a path short enough for a unix
// socket.
func socketDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "gw")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// newFake starts a fake instance that answers with h.
func newFake(t *testing.T, h handler) *fakeInstance {
	t.Helper()
	f := &fakeInstance{dir: socketDir(t), h: h, done: make(chan struct{})}
	ln, err := net.Listen("unix", f.dir+"/"+SocketName)
	if err != nil {
		t.Fatal(err)
	}
	f.ln = ln
	t.Cleanup(f.stop)
	go f.accept()
	return f
}

func (f *fakeInstance) stop() {
	select {
	case <-f.done:
		return
	default:
	}
	close(f.done)
	f.ln.Close()
	f.mu.Lock()
	for _, c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
}

func (f *fakeInstance) accept() {
	for {
		conn, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.conns = append(f.conns, conn)
		f.mu.Unlock()
		go f.serve(conn)
	}
}

func (f *fakeInstance) serve(conn net.Conn) {
	defer conn.Close()
	br := bufio.NewReader(conn)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return
		}
		r := &fakeReq{Method: req.Method, Target: req.RequestURI, Query: req.URL.RawQuery, Header: req.Header, Body: body}
		if req.Host != "" {
			r.Header = r.Header.Clone()
			r.Header.Set("Host", req.Host)
		}
		f.mu.Lock()
		f.reqs = append(f.reqs, r)
		f.mu.Unlock()
		if !f.h(conn, r) {
			return
		}
	}
}

// requests returns what the fake has read so far.
func (f *fakeInstance) requests() []*fakeReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*fakeReq(nil), f.reqs...)
}

// backend dials the fake as the controller does.
func (f *fakeInstance) backend(t *testing.T, id string) *Backend {
	t.Helper()
	b, err := Dial(context.Background(), platform.Instance{ID: id, SocketDir: f.dir}, BackendOptions{MaxResponseBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// response formats an answer with Content-Length and extra header lines.
func response(status int, body string, headers ...string) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", status, len(body))
	for _, h := range headers {
		sb.WriteString(h + "\r\n")
	}
	sb.WriteString("\r\n")
	sb.WriteString(body)
	return sb.String()
}

// echo answers 200 with what it was sent.
func echo(w io.Writer, r *fakeReq) bool {
	body, _ := json.Marshal(map[string]string{"method": r.Method, "query": r.Query, "body": string(r.Body)})
	_, err := io.WriteString(w, response(200, string(body)))
	return err == nil
}

// echoed decodes what echo answered; nil when it is not an echo.
func echoed(body []byte) map[string]string {
	var m map[string]string
	if err := json.Unmarshal(body, &m); err != nil {
		return nil
	}
	return m
}

// answer returns a handler that writes s to every request.
func answer(s string) handler {
	return func(w io.Writer, _ *fakeReq) bool {
		_, err := io.WriteString(w, s)
		return err == nil
	}
}

// hang returns a handler that never answers.
func (f *fakeInstance) hang(io.Writer, *fakeReq) bool {
	<-f.done
	return false
}

const (
	shortPath = "/improved/api/fn"
	longPath  = "/improved/api/h1/fn"
)

var testKey = platform.FunctionKey{Hash: "h1", Name: "fn"}

// served sets up a gateway whose function at shortPath and longPath is
// served by one backend on a fake answering with h.
func served(t *testing.T, h handler, timeout time.Duration) (*Gateway, *Target, *fakeInstance) {
	t.Helper()
	f := newFake(t, h)
	tg := NewTarget(testKey, timeout)
	tg.Add(f.backend(t, "a"))
	g := New()
	g.Set(tg, shortPath, longPath)
	return g, tg, f
}

// invoke serves one call through g; hdrs are name, value pairs.
func invoke(g *Gateway, method, uri string, body []byte, hdrs ...string) (*fasthttp.RequestCtx, error) {
	ctx := &fasthttp.RequestCtx{}
	ctx.Request.Header.SetMethod(method)
	ctx.Request.SetRequestURI(uri)
	ctx.Request.SetBody(body)
	for i := 0; i+1 < len(hdrs); i += 2 {
		ctx.Request.Header.Set(hdrs[i], hdrs[i+1])
	}
	err := g.Serve(ctx)
	return ctx, err
}

// eventually polls cond until it holds or a second passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
