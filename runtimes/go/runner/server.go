// Package runner serves one Go function over HTTP/1.1 on a unix socket, with
// the same protocol as the Python runtime (runtimes/python/stargate_runner.py):
//
//	GET      /_stargate/ready    report that the function is ready
//	GET|POST /invoke?<query>     call the function with the query and JSON body
//
// It is copied, with the generated binding code and the agent's file, into
// the module that the builder compiles, so it imports the standard library
// only. Each connection is served by one goroutine, and calls run one at a
// time across all connections, in arrival order: a pipelined connection gets
// its answers in order, and the agent's code never runs concurrently with
// itself.
package runner

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"
	"unicode/utf8"

	"stargate/runtimes/go/bind"
)

const defaultMaxBody = 32 << 20

// Main parses the command line and serves fn until SIGTERM.
func Main(fn bind.Function) {
	fs := flag.NewFlagSet("stargate-fn", flag.ExitOnError)
	socket := fs.String("socket", "", "unix socket to listen on")
	module := fs.String("module", "", "the agent's module, for messages")
	function := fs.String("function", fn.Name, "the function's name, for messages")
	maxBody := fs.Int("max-body-bytes", defaultMaxBody, "largest request body")
	workdir := fs.String("workdir", "/sandbox", "working directory, if it exists")
	maxStack := fs.Int("max-stack-mb", 64, "largest goroutine stack: deeper recursion ends the process")
	_ = fs.Parse(os.Args[1:])
	if *socket == "" {
		fmt.Fprintln(os.Stderr, "stargate-fn: --socket is required")
		os.Exit(2)
	}
	debug.SetMaxStack(*maxStack << 20)
	if fi, err := os.Stat(*workdir); err == nil && fi.IsDir() {
		_ = os.Chdir(*workdir)
	}
	s := NewServer(&fn, *module, *function, *maxBody)
	l, err := Listen(*socket)
	if err != nil {
		fmt.Fprintln(os.Stderr, "stargate-fn:", err)
		os.Exit(1)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-stop
		_ = l.Close()
	}()
	fmt.Fprintf(os.Stderr, "stargate runner: serving %s.%s on %s\n", *module, *function, *socket)
	_ = s.Serve(l)
	s.Drain()
	_ = os.Remove(*socket)
}

// Listen returns a listening unix socket at path, mode 0666, that appears
// only once it accepts connections: it is bound under a temporary name, then
// renamed.
func Listen(path string) (*net.UnixListener, error) {
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	_ = os.Remove(tmp)
	old := syscall.Umask(0o111)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	syscall.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	l.SetUnlinkOnClose(false)
	if err := os.Chmod(tmp, 0o666); err != nil {
		l.Close()
		return nil, fmt.Errorf("listen: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		l.Close()
		return nil, fmt.Errorf("listen: %w", err)
	}
	return l, nil
}

// Server answers requests for one function.
type Server struct {
	fn      *bind.Function
	maxBody int
	ready   []byte
	// slot is the one call slot: a channel, because blocked senders queue
	// in FIFO order, so calls from several connections run in arrival order.
	slot chan struct{}
}

// NewServer prepares a server for fn.
func NewServer(fn *bind.Function, module, function string, maxBody int) *Server {
	ready, _ := json.Marshal(map[string]any{"ok": true, "function": function, "module": module, "go": runtime.Version()})
	return &Server{fn: fn, maxBody: maxBody, ready: ready, slot: make(chan struct{}, 1)}
}

// Serve accepts connections until l is closed.
func (s *Server) Serve(l net.Listener) error {
	for {
		c, err := l.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return err
		}
		go s.serveConn(c)
	}
}

// Drain waits for the call in flight, if any.
func (s *Server) Drain() {
	s.slot <- struct{}{}
}

// flushReader flushes the answers written so far before each read of the
// connection: answers to pipelined requests go out together, and nothing
// waits in the buffer while the runner waits for the client.
type flushReader struct {
	conn net.Conn
	w    *bufio.Writer
}

func (f *flushReader) Read(p []byte) (int, error) {
	if f.w.Buffered() > 0 {
		if err := f.w.Flush(); err != nil {
			return 0, err
		}
	}
	return f.conn.Read(p)
}

// connState is what one connection reuses from request to request.
type connState struct {
	head   head
	args   bind.Args
	big    []byte
	caller *caller
}

func (s *Server) serveConn(c net.Conn) {
	defer c.Close()
	bw := bufio.NewWriterSize(c, 32<<10)
	br := bufio.NewReaderSize(&flushReader{conn: c, w: bw}, maxHead)
	st := &connState{caller: newCaller(s.fn)}
	h := &st.head
	for {
		if err := readHead(br, h); err != nil {
			var he *httpError
			if errors.As(err, &he) {
				s.write(bw, he.status, modeClose, errorBody(he.code, he.message, nil))
			}
			_ = bw.Flush()
			return
		}
		if h.length > s.maxBody {
			msg := fmt.Sprintf("the body is %d bytes; the limit is %d", h.length, s.maxBody)
			s.write(bw, 413, modeClose, errorBody("body_too_large", msg, nil))
			if bw.Flush() == nil && !h.expect {
				// Read and drop the body so that a client still sending it
				// reads the answer.
				_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
				_, _ = io.CopyN(io.Discard, br, int64(h.length))
			}
			return
		}
		if h.expect && br.Buffered() < h.length {
			_, _ = bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
		}
		body, err := readBody(br, h.length, &st.big)
		if err != nil {
			_ = bw.Flush()
			return
		}
		status, resp := s.handle(h, body, st)
		if h.length <= br.Size() {
			_, _ = br.Discard(h.length)
		}
		s.write(bw, status, h.mode, resp)
		if h.mode == modeClose {
			_ = bw.Flush()
			return
		}
	}
}

// readBody returns the next n bytes: in the reader's buffer when they fit
// (valid until the next read), else in *big.
func readBody(br *bufio.Reader, n int, big *[]byte) ([]byte, error) {
	if n == 0 {
		return nil, nil
	}
	if n <= br.Size() {
		return br.Peek(n)
	}
	if cap(*big) < n {
		*big = make([]byte, n)
	}
	b := (*big)[:n]
	_, err := io.ReadFull(br, b)
	if cap(*big) > 1<<20 {
		*big = nil // do not pin large bodies
	}
	return b, err
}

func (s *Server) write(bw *bufio.Writer, status, mode int, body []byte) {
	b := appendResponse(bw.AvailableBuffer(), status, mode, body)
	_, _ = bw.Write(b)
}

func (s *Server) handle(h *head, body []byte, st *connState) (int, []byte) {
	path, query := h.target, []byte(nil)
	if i := bytes.IndexByte(path, '?'); i >= 0 {
		path, query = path[:i], path[i+1:]
	}
	method := string(h.method)
	switch string(path) {
	case "/invoke":
		if method == "GET" || method == "POST" {
			return s.invoke(query, body, st)
		}
		return notAllowed(method, path, "GET, POST")
	case "/_stargate/ready":
		if method == "GET" {
			return 200, s.ready
		}
		return notAllowed(method, path, "GET")
	}
	return 404, errorBody("not_found", fmt.Sprintf("no route for %s %s", method, path), nil)
}

func notAllowed(method string, path []byte, allowed string) (int, []byte) {
	return 405, errorBody("method_not_allowed", fmt.Sprintf("%s is not allowed on %s (allowed: %s)", method, path, allowed), nil)
}

func (s *Server) invoke(query, body []byte, st *connState) (int, []byte) {
	a := &st.args
	a.Reset(s.fn.Params)
	if len(query) > 0 {
		if err := a.ParseQuery(query); err != nil {
			return 400, errorBody("invalid_query", err.Error(), nil)
		}
	}
	if len(body) > 0 {
		if !utf8.Valid(body) {
			pos := invalidUTF8At(body)
			return 400, errorBody("invalid_json", fmt.Sprintf("the body is not valid UTF-8: bad byte at position %d", pos),
				map[string]int{"position": pos})
		}
		v, err := bind.DecodeJSON(body)
		if err != nil {
			msg, line, col, pos := bind.JSONProblem(err, body)
			return 400, errorBody("invalid_json", fmt.Sprintf("the body is not valid JSON: %s at line %d, column %d", msg, line, col),
				map[string]int{"line": line, "column": col, "position": pos})
		}
		if !a.SetBody(v) {
			return 422, invalidArguments(a.Problems())
		}
	}
	s.slot <- struct{}{}
	defer func() { <-s.slot }()
	return st.caller.call(a)
}

func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(b)
}
