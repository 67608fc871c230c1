package gateway

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// pipe is one HTTP/1.1 connection to an instance, with requests pipelined:
// several may be written before the first is answered. The runtime runs
// calls one at a time, in order, and answers in order, so a busy instance
// reads many requests per wakeup instead of one; that batching is what lets
// a gateway keep up with a process serving clients directly.
//
// In-order execution also tells which calls may have run when the instance
// dies: only the oldest unanswered one (the head). Calls behind it never
// started, so they fail with errNotExecuted and are safe to send elsewhere.
//
// Everything read from the instance is untrusted: the parser bounds every
// line, header count and body, and any deviation breaks the pipe.
type pipe struct {
	conn    net.Conn
	maxBody int

	mu       sync.Mutex
	pending  []*call
	err      error         // set once; the pipe is then dead
	dead     chan struct{} // closed when err is set
	wbuf     []byte        // requests not yet written
	spare    []byte
	flushing bool // a caller is writing wbuf out

	headSince atomic.Int64 // unix nanos the head call started; 0 when idle
	depth     atomic.Int32
	// service is a moving average of how long one call runs, in ns; it
	// decides how deep calls may be queued inside the instance.
	service atomic.Int64
}

// call is one request through a pipe.
type call struct {
	method  []byte
	target  []byte // path, without the query
	query   []byte
	body    []byte
	timeout time.Duration

	status int
	resp   []byte
	err    error
	done   chan struct{}
}

var callPool = sync.Pool{New: func() any { return &call{done: make(chan struct{}, 1)} }}

func getCall() *call { return callPool.Get().(*call) }

func putCall(c *call) {
	c.method, c.target, c.query, c.body, c.err, c.status = nil, nil, nil, nil, nil, 0
	if cap(c.resp) > 64<<10 {
		c.resp = nil // do not pin large answers
	}
	c.resp = c.resp[:0]
	callPool.Put(c)
}

var (
	// errNotSent: the call never reached the instance.
	errNotSent = errors.New("the call was not sent: the connection to the instance is closed")
	// errNotExecuted: the call reached the instance but never started.
	errNotExecuted = errors.New("the call did not start before the instance failed")
	errTimeout     = errors.New("the call timed out")
)

// connError is a failure of the connection while the call may have run.
type connError struct{ err error }

func (e *connError) Error() string { return "connection to the instance failed: " + e.err.Error() }
func (e *connError) Unwrap() error { return e.err }

// badResponse is an answer the parser refused.
type badResponse struct{ reason string }

func (e *badResponse) Error() string { return "bad answer from the instance: " + e.reason }

func newPipe(conn net.Conn, maxBody int) *pipe {
	p := &pipe{conn: conn, maxBody: maxBody, dead: make(chan struct{})}
	// Until calls have been timed, assume they are slow: nothing queues.
	p.service.Store(int64(maxQueueWait))
	go p.readLoop(bufio.NewReaderSize(conn, 32<<10))
	return p
}

// do sends c and waits for its answer. Writes are combined: a caller that
// finds another one writing leaves its request in the buffer for that one to
// write, so under load one write carries many requests and the instance
// reads them with one wakeup.
func (p *pipe) do(c *call) {
	p.mu.Lock()
	if p.err != nil {
		p.mu.Unlock()
		c.err = errNotSent
		return
	}
	if len(p.pending) == 0 {
		p.startHead(c, time.Now())
	}
	p.pending = append(p.pending, c)
	p.depth.Store(int32(len(p.pending)))
	p.wbuf = appendRequest(p.wbuf, c)
	if p.flushing {
		p.mu.Unlock()
		<-c.done
		return
	}
	p.flushing = true
	// Let the other calls that are ready to go add their requests first:
	// under load one write then carries several, and the instance wakes
	// once for all of them. Alone, this costs a fraction of a microsecond.
	p.mu.Unlock()
	runtime.Gosched()
	p.mu.Lock()
	for len(p.wbuf) > 0 && p.err == nil {
		buf := p.wbuf
		p.wbuf = p.spare[:0]
		p.mu.Unlock()
		_, err := p.conn.Write(buf)
		p.mu.Lock()
		if cap(buf) <= 256<<10 {
			p.spare = buf[:0]
		}
		if err != nil {
			// The reader sees the broken connection too and answers every call.
			p.conn.Close()
			break
		}
	}
	p.flushing = false
	p.mu.Unlock()
	<-c.done
}

// startHead makes c the call the instance runs now; its timeout runs from
// here, not from when it was queued. Called with mu held.
func (p *pipe) startHead(c *call, now time.Time) {
	p.headSince.Store(now.UnixNano())
	_ = p.conn.SetReadDeadline(now.Add(c.timeout))
}

var (
	crlf          = []byte("\r\n")
	requestSuffix = []byte(" HTTP/1.1\r\nHost: instance\r\nContent-Length: ")
)

func appendRequest(b []byte, c *call) []byte {
	b = append(b, c.method...)
	b = append(b, ' ')
	b = append(b, c.target...)
	if len(c.query) > 0 {
		b = append(b, '?')
		b = append(b, c.query...)
	}
	b = append(b, requestSuffix...)
	b = strconv.AppendInt(b, int64(len(c.body)), 10)
	b = append(b, crlf...)
	b = append(b, crlf...)
	return append(b, c.body...)
}

func (p *pipe) readLoop(br *bufio.Reader) {
	for {
		closeAfter, err := readResponse(br, p.maxBody, p)
		if err != nil {
			p.fail(err)
			return
		}
		if closeAfter {
			p.fail(io.EOF)
			return
		}
	}
}

// deliver hands an answer to the head call.
func (p *pipe) deliver(status int, body []byte) error {
	p.mu.Lock()
	if len(p.pending) == 0 {
		p.mu.Unlock()
		return &badResponse{reason: "an answer nobody asked for"}
	}
	c := p.pending[0]
	p.pending[0] = nil
	p.pending = p.pending[1:]
	now := time.Now()
	if since := p.headSince.Load(); since != 0 {
		avg := p.service.Load()
		p.service.Store(avg + (now.UnixNano()-since-avg)/8)
	}
	if len(p.pending) > 0 {
		p.startHead(p.pending[0], now)
	} else {
		p.headSince.Store(0)
		_ = p.conn.SetReadDeadline(time.Time{})
		p.pending = p.pending[:0:0]
	}
	p.depth.Store(int32(len(p.pending)))
	p.mu.Unlock()
	c.status = status
	c.resp = append(c.resp[:0], body...)
	c.done <- struct{}{}
	return nil
}

// fail kills the pipe: the head call gets the error (it may have run), the
// calls behind it get errNotExecuted.
func (p *pipe) fail(err error) {
	p.conn.Close()
	p.mu.Lock()
	if p.err == nil {
		p.err = err
		close(p.dead)
	}
	calls := p.pending
	p.pending = nil
	p.depth.Store(0)
	p.headSince.Store(0)
	p.mu.Unlock()
	for i, c := range calls {
		switch {
		case i > 0:
			c.err = errNotExecuted
		case isTimeout(err):
			c.err = errTimeout
		default:
			var br *badResponse
			if errors.As(err, &br) {
				c.err = err
			} else {
				c.err = &connError{err: err}
			}
		}
		c.done <- struct{}{}
	}
}

// lost is closed when the pipe dies.
func (p *pipe) lost() <-chan struct{} { return p.dead }

// broken reports whether the pipe is dead.
func (p *pipe) broken() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err != nil
}

// serviceTime is how long one call typically runs.
func (p *pipe) serviceTime() time.Duration { return time.Duration(p.service.Load()) }

// headAge is how long the call running now has run; 0 when idle.
func (p *pipe) headAge(now int64) time.Duration {
	since := p.headSince.Load()
	if since == 0 {
		return 0
	}
	return time.Duration(now - since)
}

func (p *pipe) close() { p.fail(errPipeClosed) }

var errPipeClosed = errors.New("closed")

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

const (
	maxHeaderLines = 32
	maxHeaderBytes = 8 << 10
)

var (
	httpPrefix    = []byte("HTTP/1.1 ")
	contentLength = []byte("content-length")
	connection    = []byte("connection")
	closeToken    = []byte("close")
)

// readResponse reads one answer and delivers it. It trusts nothing: the
// instance may have been taken over by the function it runs.
func readResponse(br *bufio.Reader, maxBody int, p *pipe) (bool, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return false, &badResponse{reason: "status line too long"}
		}
		return false, err
	}
	if len(line) < 14 || !bytes.HasPrefix(line, httpPrefix) || (line[12] != ' ' && line[12] != '\r') {
		return false, &badResponse{reason: "malformed status line"}
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil || status < 200 || status > 599 {
		return false, &badResponse{reason: "malformed status code"}
	}
	length, closeAfter, total := -1, false, len(line)
	for i := 0; ; i++ {
		if i > maxHeaderLines {
			return false, &badResponse{reason: "too many header lines"}
		}
		line, err = br.ReadSlice('\n')
		if err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				return false, &badResponse{reason: "header line too long"}
			}
			return false, err
		}
		total += len(line)
		if total > maxHeaderBytes {
			return false, &badResponse{reason: "headers too long"}
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return false, &badResponse{reason: "malformed header line"}
		}
		value = bytes.TrimSpace(value)
		switch {
		case len(name) == len(contentLength) && bytes.EqualFold(name, contentLength):
			n, err := strconv.Atoi(string(value))
			if err != nil || n < 0 || !digits(value) || (length >= 0 && n != length) {
				return false, &badResponse{reason: "malformed Content-Length"}
			}
			length = n
		case len(name) == len(connection) && bytes.EqualFold(name, connection):
			closeAfter = bytes.Contains(bytes.ToLower(value), closeToken)
		}
	}
	if length < 0 {
		return false, &badResponse{reason: "no Content-Length"}
	}
	if length > maxBody {
		return false, &badResponse{reason: fmt.Sprintf("answer of %d bytes is over the %d byte limit", length, maxBody)}
	}
	var body []byte
	if length <= br.Size() {
		body, err = br.Peek(length)
		if err != nil {
			return false, err
		}
		err = p.deliver(status, body)
		_, _ = br.Discard(length)
	} else {
		body = make([]byte, length)
		if _, err = io.ReadFull(br, body); err != nil {
			return false, err
		}
		err = p.deliver(status, body)
	}
	return closeAfter, err
}

func digits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}
