package pycheck_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"stargate/platform"
	"stargate/platform/pycheck"
)

// reply is what the fake checker does with one request.
type reply struct {
	line  string // written followed by "\n" unless raw
	raw   bool
	close bool // close the connection after writing line (or at once)
	hang  bool // never answer
}

// fakeChecker listens on a unix socket and speaks newline-delimited JSON
// like runtimes/python/stargate_checker.py.
type fakeChecker struct {
	socket string
	answer func(n int, req map[string]any) reply
	done   chan struct{}

	conns atomic.Int32
	mu    sync.Mutex
	reqs  []map[string]any
}

func startChecker(t *testing.T, answer func(n int, req map[string]any) reply) *fakeChecker {
	t.Helper()
	dir, err := os.MkdirTemp("", "pc")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeChecker{socket: filepath.Join(dir, pycheck.SocketName), answer: answer, done: make(chan struct{})}
	ln, err := net.Listen("unix", f.socket)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		close(f.done)
		ln.Close()
		os.RemoveAll(dir)
	})
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			f.conns.Add(1)
			go f.serve(conn)
		}
	}()
	return f
}

func (f *fakeChecker) serve(conn net.Conn) {
	defer conn.Close()
	br := bufio.NewReader(conn)
	for {
		line, err := br.ReadBytes('\n')
		if err != nil {
			return
		}
		var req map[string]any
		if err := json.Unmarshal(line, &req); err != nil {
			return
		}
		f.mu.Lock()
		f.reqs = append(f.reqs, req)
		n := len(f.reqs)
		f.mu.Unlock()
		r := f.answer(n, req)
		if r.hang {
			<-f.done
			return
		}
		if r.line != "" {
			out := r.line
			if !r.raw {
				out += "\n"
			}
			if _, err := conn.Write([]byte(out)); err != nil {
				return
			}
		}
		if r.close {
			return
		}
	}
}

func (f *fakeChecker) requests() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.reqs...)
}

func id(req map[string]any) int64 { return int64(req["id"].(float64)) }

func answer(req map[string]any, body string) reply {
	return reply{line: fmt.Sprintf(`{"id":%d,%s}`, id(req), body)}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestCheckRoundTrip(t *testing.T) {
	f := startChecker(t, func(_ int, req map[string]any) reply {
		return answer(req, `"ok":true,"module":"api","candidates":["api","other"],`+
			`"function":{"params":[{"name":"x","kind":"positional_or_keyword","annotation":"int","required":true}],"doc":"Doubles."},`+
			`"files":["api.py","lib/util.py"],"violations":[{"file":"api.py","rule":"import","line":3,"col":1,"message":"no"}]`)
	})
	c := pycheck.NewClient(f.socket)
	files := platform.Files{
		"api.py":      []byte("import json\ndef handler(x: int):\n    \"\"\"Doubles.\"\"\"\n    return 2 * x\n"),
		"lib/util.py": []byte("# é ü 漢字\n"),
	}
	tests := []struct {
		module     string
		wantModule any
	}{
		{"", nil},
		{"api", "api"},
	}
	for _, tt := range tests {
		got, err := c.Check(ctx(t), platform.CheckRequest{Language: platform.LanguagePython, Files: files, Module: tt.module, Function: "handler"})
		if err != nil {
			t.Fatalf("Check: %v", err)
		}
		want := platform.CheckResult{
			Module:     "api",
			Candidates: []string{"api", "other"},
			Signature: &platform.Signature{
				Params: []platform.Param{{Name: "x", Kind: "positional_or_keyword", Annotation: "int", Required: true}},
				Doc:    "Doubles.",
			},
			Files:      []string{"api.py", "lib/util.py"},
			Violations: []platform.Violation{{File: "api.py", Rule: "import", Line: 3, Col: 1, Message: "no"}},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Check =\n%+v\nwant\n%+v", got, want)
		}

		reqs := f.requests()
		req := reqs[len(reqs)-1]
		if got, want := req["op"], "check"; got != want {
			t.Errorf("op = %v, want %v", got, want)
		}
		if got, want := req["function"], "handler"; got != want {
			t.Errorf("function = %v, want %v", got, want)
		}
		if m, ok := req["module"]; !ok || m != tt.wantModule {
			t.Errorf("module = %#v (present %v), want %#v", m, ok, tt.wantModule)
		}
		gotFiles, _ := req["files"].(map[string]any)
		for name, src := range files {
			if got := gotFiles[name]; got != string(src) {
				t.Errorf("files[%q] = %#v, want the source as a plain string", name, got)
			}
		}
	}
	if got := f.conns.Load(); got != 1 {
		t.Errorf("two checks used %d connections, want 1 (pooled)", got)
	}
}

func TestCheckIDsDiffer(t *testing.T) {
	f := startChecker(t, func(_ int, req map[string]any) reply { return answer(req, `"ok":true`) })
	c := pycheck.NewClient(f.socket)
	for range 3 {
		if err := c.Ping(ctx(t)); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[int64]bool{}
	for _, r := range f.requests() {
		if seen[id(r)] {
			t.Errorf("id %d sent twice", id(r))
		}
		seen[id(r)] = true
	}
}

func TestCheckErrors(t *testing.T) {
	tests := []struct {
		name    string
		answer  func(n int, req map[string]any) reply
		want    error  // errors.Is target
		wantMsg string // substring
	}{
		{"module not found", func(_ int, r map[string]any) reply { return answer(r, `"error":"module_not_found"`) },
			platform.ErrModuleNotFound, "api.py"},
		{"other checker error", func(_ int, r map[string]any) reply { return answer(r, `"error":"syntax_error_in_request"`) },
			nil, "syntax_error_in_request"},
		{"closes without answering", func(int, map[string]any) reply { return reply{close: true} },
			platform.ErrUnavailable, "closed the connection"},
		{"wrong id", func(_ int, r map[string]any) reply {
			return reply{line: fmt.Sprintf(`{"id":%d,"ok":true}`, id(r)+1)}
		}, platform.ErrUnavailable, "another request"},
		{"not JSON", func(int, map[string]any) reply { return reply{line: "<html>"} }, nil, "checker answer"},
		{"two answers at once", func(_ int, r map[string]any) reply {
			return reply{line: fmt.Sprintf("{\"id\":%d}\n{\"id\":%d}", id(r), id(r))}
		}, platform.ErrUnavailable, "out of turn"},
		{"half an answer", func(_ int, r map[string]any) reply {
			return reply{line: fmt.Sprintf(`{"id":%d,"ok":`, id(r)), raw: true, close: true}
		}, platform.ErrUnavailable, ""},
		{"oversized answer", func(_ int, r map[string]any) reply {
			return reply{line: `{"id":1,"error":"` + strings.Repeat("x", 16<<20) + `"}`, close: true}
		}, platform.ErrUnavailable, "over"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startChecker(t, tt.answer)
			c := pycheck.NewClient(f.socket)
			_, err := c.Check(ctx(t), platform.CheckRequest{Files: platform.Files{"api.py": []byte("x = 1\n")}, Module: "api", Function: "f"})
			if err == nil {
				t.Fatal("Check succeeded")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Check = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Check = %v, want it to say %q", err, tt.wantMsg)
			}
			if len(err.Error()) > 1024 {
				t.Errorf("error is %d bytes long", len(err.Error()))
			}
		})
	}
}

func TestCheckBadEncodingNeverReachesChecker(t *testing.T) {
	c := pycheck.NewClient(filepath.Join(t.TempDir(), "nobody.sock"))
	got, err := c.Check(ctx(t), platform.CheckRequest{
		Files: platform.Files{
			"ok.py":    []byte("x = 1\n"),
			"z_nul.py": []byte("x = 1\x00\n"),
			"a_bad.py": []byte("s = '\xff\xfe'\n"),
		},
		Module:   "ok",
		Function: "f",
	})
	if err != nil {
		t.Fatalf("Check = %v, want a result with violations and no contact", err)
	}
	want := []platform.Violation{
		{File: "a_bad.py", Rule: "invalid-encoding", Line: 1, Message: "source files must be UTF-8 text without NUL bytes"},
		{File: "z_nul.py", Rule: "invalid-encoding", Line: 1, Message: "source files must be UTF-8 text without NUL bytes"},
	}
	if !reflect.DeepEqual(got.Violations, want) {
		t.Errorf("Violations = %+v, want %+v", got.Violations, want)
	}
}

func TestNoChecker(t *testing.T) {
	c := pycheck.NewClient(filepath.Join(t.TempDir(), "nobody.sock"))
	if _, err := c.Check(ctx(t), platform.CheckRequest{Files: platform.Files{"a.py": nil}}); !errors.Is(err, platform.ErrUnavailable) {
		t.Errorf("Check = %v, want ErrUnavailable", err)
	}
	if err := c.Ping(ctx(t)); !errors.Is(err, platform.ErrUnavailable) {
		t.Errorf("Ping = %v, want ErrUnavailable", err)
	}
}

func TestPing(t *testing.T) {
	tests := []struct {
		body string
		want error
	}{
		{`"ok":true`, nil},
		{`"ok":false,"error":"busy"`, platform.ErrUnavailable},
	}
	for _, tt := range tests {
		f := startChecker(t, func(_ int, r map[string]any) reply { return answer(r, tt.body) })
		err := pycheck.NewClient(f.socket).Ping(ctx(t))
		if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
			t.Errorf("Ping with %s = %v, want %v", tt.body, err, tt.want)
		}
		if got := f.requests()[0]["op"]; got != "ping" {
			t.Errorf("op = %v, want ping", got)
		}
	}
}

// A pooled connection the checker closed (it restarted) is replaced by a
// fresh one without the caller noticing.
func TestStalePooledConnection(t *testing.T) {
	f := startChecker(t, func(_ int, r map[string]any) reply {
		a := answer(r, `"ok":true`)
		a.close = true // answer, then go away as a restarting checker would
		return a
	})
	c := pycheck.NewClient(f.socket)
	for i := range 3 {
		if err := c.Ping(ctx(t)); err != nil {
			t.Fatalf("Ping %d: %v", i, err)
		}
	}
	if got, want := f.conns.Load(), int32(3); got != want {
		t.Errorf("connections = %d, want %d", got, want)
	}
}

// A checker that dropped a request gets it retried on a fresh connection
// only when the connection was pooled; a fresh one failing is reported.
func TestClosedThenRetryWorks(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	f := startChecker(t, func(_ int, r map[string]any) reply {
		if fail.Load() {
			return reply{close: true}
		}
		return answer(r, `"ok":true`)
	})
	c := pycheck.NewClient(f.socket)
	if err := c.Ping(ctx(t)); !errors.Is(err, platform.ErrUnavailable) {
		t.Fatalf("Ping to a closing checker = %v, want ErrUnavailable", err)
	}
	fail.Store(false)
	if err := c.Ping(ctx(t)); err != nil {
		t.Fatalf("Ping after the checker recovered = %v", err)
	}
}

func TestTimeoutFromContext(t *testing.T) {
	f := startChecker(t, func(int, map[string]any) reply { return reply{hang: true} })
	c := pycheck.NewClient(f.socket)
	cx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.Ping(cx)
	took := time.Since(start)
	if !errors.Is(err, platform.ErrUnavailable) || !strings.Contains(err.Error(), "in time") {
		t.Errorf("Ping = %v, want ErrUnavailable saying it did not answer in time", err)
	}
	if took < 100*time.Millisecond || took > 2*time.Second {
		t.Errorf("Ping took %v, want about 150ms", took)
	}
}

func TestCloseIdle(t *testing.T) {
	f := startChecker(t, func(_ int, r map[string]any) reply { return answer(r, `"ok":true`) })
	c := pycheck.NewClient(f.socket)
	if err := c.Ping(ctx(t)); err != nil {
		t.Fatal(err)
	}
	c.CloseIdle()
	if err := c.Ping(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if got, want := f.conns.Load(), int32(2); got != want {
		t.Errorf("connections = %d, want %d after CloseIdle", got, want)
	}
}

// Validator.Check takes a ctx: cancelling it must end the wait, not only
// its deadline.
func TestCancelFromContext(t *testing.T) {
	f := startChecker(t, func(int, map[string]any) reply { return reply{hang: true} })
	c := pycheck.NewClient(f.socket)
	cx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	done := make(chan error, 1)
	go func() { done <- c.Ping(cx) }()
	select {
	case err := <-done:
		if err == nil {
			t.Error("Ping after cancel succeeded")
		}
	case <-time.After(2 * time.Second):
		// A cancelled ctx ends the wait at once (context.AfterFunc).
		t.Error("Ping did not return within 2s of its ctx being cancelled")
	}
}
