package gateway

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"stargate/platform"
)

// The instance runs untrusted code that may own its socket: every answer
// that is not plain HTTP/1.1 with a Content-Length within the limit breaks
// the connection, quickly, and never panics.
func TestHostileAnswers(t *testing.T) {
	const limit = 1 << 20 // fakeInstance.backend's MaxResponseBytes
	manyLines := strings.Repeat("X-A: b\r\n", 10000)
	tests := []struct {
		name  string
		raw   string
		close bool // close the connection after writing
	}{
		{"missing Content-Length", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{}", false},
		{"negative Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n{}", false},
		{"huge Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n{}", false},
		{"Content-Length over the limit", fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", limit+1), false},
		{"Content-Length not a number", "HTTP/1.1 200 OK\r\nContent-Length: 1 0\r\n\r\n0123456789", false},
		{"Content-Length hex", "HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n", false},
		{"two Content-Lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", false},
		{"chunked encoding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", false},
		{"header line of 100 KiB", "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("a", 100<<10) + "\r\nContent-Length: 2\r\n\r\n{}", false},
		{"10,000 header lines", "HTTP/1.1 200 OK\r\n" + manyLines + "Content-Length: 2\r\n\r\n{}", false},
		{"headers over 8 KiB", "HTTP/1.1 200 OK\r\n" + strings.Repeat("X-A: "+strings.Repeat("b", 500)+"\r\n", 20) + "Content-Length: 2\r\n\r\n{}", false},
		{"header without colon", "HTTP/1.1 200 OK\r\nContent-Length 2\r\n\r\n{}", false},
		{"status 99", "HTTP/1.1 99 Low\r\nContent-Length: 2\r\n\r\n{}", false},
		{"status 099", "HTTP/1.1 099 Low\r\nContent-Length: 2\r\n\r\n{}", false},
		{"status 100", "HTTP/1.1 100 Continue\r\n\r\n", false},
		{"status 600", "HTTP/1.1 600 High\r\nContent-Length: 2\r\n\r\n{}", false},
		{"status abc", "HTTP/1.1 abc OK\r\nContent-Length: 2\r\n\r\n{}", false},
		{"status -20", "HTTP/1.1 -20 OK\r\nContent-Length: 2\r\n\r\n{}", false},
		{"status +20", "HTTP/1.1 +20 OK\r\nContent-Length: 2\r\n\r\n{}", false},
		{"HTTP/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}", false},
		{"short status line", "HTTP/1.1 2\r\n\r\n", false},
		{"status line of 40 KiB", "HTTP/1.1 200 " + strings.Repeat("O", 40<<10) + "\r\n", false},
		{"garbage bytes", "\x00\xff\xfe garbage \x1b[31m\r\n", false},
		{"garbage then close", "\x00\xff\xfe garbage", true},
		{"nothing then close", "", true},
		{"headers then close", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n", true},
		{"short body then close", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}", true},
		{"long short body then close", fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", limit, strings.Repeat("a", 40<<10)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := func(w io.Writer, _ *fakeReq) bool {
				_, _ = io.WriteString(w, tt.raw)
				return !tt.close
			}
			g, tg, _ := served(t, h, 3*time.Second)
			b := tg.Backends()[0]
			start := time.Now()
			ctx, err := invoke(g, "GET", shortPath, nil)
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("Serve took %v: the parser waited for the timeout", took)
			}
			if !errors.Is(err, platform.ErrBadResponse) && !errors.Is(err, platform.ErrInstanceDied) {
				t.Fatalf("Serve = %v (status %d), want ErrBadResponse or ErrInstanceDied", err, ctx.Response.StatusCode())
			}
			if len(err.Error()) > 512 {
				t.Errorf("error is %d bytes long: it echoes the instance's answer", len(err.Error()))
			}
			if !b.Broken() {
				t.Error("the connection still serves after a bad answer")
			}
			if n := len(tg.Backends()); n != 0 {
				t.Errorf("%d backends in service, want the bad one retired", n)
			}
			if got := ctx.Response.Body(); len(got) != 0 {
				t.Errorf("the caller got %q from a bad answer", got)
			}
		})
	}
}

// Odd but well-formed answers parse.
func TestTolerableAnswers(t *testing.T) {
	tests := []struct {
		name, raw, want string
		status          int
	}{
		{"no reason phrase", "HTTP/1.1 200 \r\nContent-Length: 2\r\n\r\n{}", "{}", 200},
		{"bare LF", "HTTP/1.1 201 Created\nContent-Length: 2\n\n{}", "{}", 201},
		{"header case", "HTTP/1.1 200 OK\r\ncOnTeNt-LeNgTh:    2   \r\n\r\n{}", "{}", 200},
		{"equal Content-Lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}", "{}", 200},
		{"empty body", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "", 200},
		{"body beyond the read buffer", "HTTP/1.1 200 OK\r\nContent-Length: 40000\r\n\r\n" + strings.Repeat("x", 40000), strings.Repeat("x", 40000), 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, _, _ := served(t, answer(tt.raw), 2*time.Second)
			for i := range 2 { // the connection stays in step
				ctx, err := invoke(g, "GET", shortPath, nil)
				if err != nil {
					t.Fatalf("call %d: %v", i, err)
				}
				if got := string(ctx.Response.Body()); got != tt.want || ctx.Response.StatusCode() != tt.status {
					t.Errorf("call %d = %d %q, want %d %q", i, ctx.Response.StatusCode(), clipped(got), tt.status, clipped(tt.want))
				}
			}
		})
	}
}

func clipped(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

func TestAnswerByteByByte(t *testing.T) {
	raw := response(200, `{"slow":true}`)
	h := func(w io.Writer, _ *fakeReq) bool {
		for i := range len(raw) {
			if _, err := io.WriteString(w, raw[i:i+1]); err != nil {
				return false
			}
			time.Sleep(time.Millisecond)
		}
		return true
	}
	g, _, _ := served(t, h, 5*time.Second)
	for i := range 2 {
		ctx, err := invoke(g, "GET", shortPath, nil)
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if got, want := string(ctx.Response.Body()), `{"slow":true}`; got != want {
			t.Errorf("call %d = %q, want %q", i, got, want)
		}
	}
}

func TestConnectionCloseAfterAnswer(t *testing.T) {
	g, tg, _ := served(t, answer(response(200, "{}", "Connection: close")), time.Second)
	b := tg.Backends()[0]
	ctx, err := invoke(g, "GET", shortPath, nil)
	if err != nil || string(ctx.Response.Body()) != "{}" {
		t.Fatalf("Serve = %q, %v, want the answer", ctx.Response.Body(), err)
	}
	eventually(t, "the backend to break", b.Broken)
}

func TestUnsolicitedAnswer(t *testing.T) {
	f := newFake(t, echo)
	// The instance writes before it is asked: one connection accepts and
	// answers at once.
	go func() {
		for _, c := range waitConns(t, f) {
			_, _ = io.WriteString(c, response(200, `{"early":true}`))
		}
	}()
	b := f.backend(t, "a")
	eventually(t, "the backend to break", b.Broken)
	var br *badResponse
	if !errors.As(b.pipe.err, &br) || !strings.Contains(br.Error(), "nobody asked") {
		t.Errorf("pipe.err = %v, want an answer nobody asked for", b.pipe.err)
	}

	// A call on it is never sent; with a replacement it is served there.
	tg := NewTarget(testKey, time.Second)
	tg.Add(b)
	g := New()
	g.Set(tg, shortPath)
	healthy := newFake(t, echo).backend(t, "b")
	var rec failures
	g.OnFailure = rec.hook(func(t *Target, b *Backend, _ error) {
		b.MarkDead("answered out of turn")
		t.Add(healthy)
	})
	ctx, err := invoke(g, "GET", shortPath+"?x=1", nil)
	if err != nil {
		t.Fatalf("Serve = %v, want the call retried on the replacement", err)
	}
	if got := echoed(ctx.Response.Body())["query"]; got != "x=1" {
		t.Errorf("answer = %q, want the echo of x=1", ctx.Response.Body())
	}
	if rec.count() != 1 || tg.Stats().Retries != 1 {
		t.Errorf("OnFailure calls = %d, Retries = %d, want 1 and 1", rec.count(), tg.Stats().Retries)
	}
}

func TestTwoAnswersForOneCall(t *testing.T) {
	two := response(200, `{"n":1}`) + response(200, `{"n":2}`)
	g, tg, _ := served(t, answer(two), time.Second)
	b := tg.Backends()[0]
	ctx, err := invoke(g, "GET", shortPath, nil)
	if err == nil && string(ctx.Response.Body()) != `{"n":1}` {
		t.Errorf("Serve = %q, want the first answer", ctx.Response.Body())
	}
	eventually(t, "the backend to break", b.Broken)
}

// waitConns returns the fake's connections once it has one.
func waitConns(t *testing.T, f *fakeInstance) []net.Conn {
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		f.mu.Lock()
		conns := append([]net.Conn(nil), f.conns...)
		f.mu.Unlock()
		if len(conns) > 0 {
			return conns
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}
