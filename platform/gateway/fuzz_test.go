package gateway

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// socketPair returns the two ends of a connected unix socket pair.
func socketPair(t testing.TB) (net.Conn, net.Conn) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	conns := make([]net.Conn, 2)
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "socketpair")
		c, err := net.FileConn(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}
	return conns[0], conns[1]
}

const fuzzMaxBody = 4096

// FuzzReadResponse feeds arbitrary bytes as an instance's answers to a pipe
// with one call pending: the pipe never panics, never delivers more than
// its limit, and always ends the call once the stream ends.
func FuzzReadResponse(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
		"HTTP/1.1 500 Internal\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{\"status\":\"error\"}",
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 4097\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n" + strings.Repeat("a", 4096),
		"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 99 X\r\n\r\n",
		"HTTP/1.1 600 X\r\n\r\n",
		"HTTP/1.1 abc\r\n\r\n",
		"HTTP/1.1 200\nContent-Length: 1\n\nx",
		"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 200 OK\r\n" + strings.Repeat("X: y\r\n", 40) + "Content-Length: 0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: " + strings.Repeat("y", 9000) + "\r\nContent-Length: 0\r\n\r\n",
		"\x00\xff garbage\r\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		client, server := socketPair(t)
		defer server.Close()
		p := newPipe(client, fuzzMaxBody)
		defer p.close()

		go func() {
			// Read the request first, as an instance would, then answer
			// with data and end the stream.
			br := bufio.NewReader(server)
			var got []byte
			for !bytes.HasSuffix(got, []byte("\r\n\r\n")) {
				b, err := br.ReadByte()
				if err != nil {
					break
				}
				got = append(got, b)
			}
			_, _ = server.Write(data)
			if cw, ok := server.(interface{ CloseWrite() error }); ok {
				_ = cw.CloseWrite()
			}
		}()

		c := &call{method: methodGET, target: invokeTarget, timeout: 5 * time.Second, done: make(chan struct{}, 1)}
		done := make(chan struct{})
		go func() {
			p.do(c)
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			t.Fatalf("the call did not end within 3s of the stream ending")
		}
		if c.err == nil {
			if len(c.resp) > fuzzMaxBody {
				t.Fatalf("delivered %d bytes, over the %d byte limit", len(c.resp), fuzzMaxBody)
			}
			if c.status < 200 || c.status > 599 {
				t.Fatalf("delivered status %d", c.status)
			}
		}
		// The stream ended: the pipe must notice and refuse further calls.
		deadline := time.Now().Add(3 * time.Second)
		for !p.broken() {
			if time.Now().After(deadline) {
				t.Fatal("the pipe still serves after its stream ended")
			}
			time.Sleep(100 * time.Microsecond)
		}
		late := &call{method: methodGET, target: invokeTarget, timeout: time.Second, done: make(chan struct{}, 1)}
		p.do(late)
		if late.err != errNotSent {
			t.Fatalf("a call on the ended pipe got %v, want errNotSent", late.err)
		}
	})
}
