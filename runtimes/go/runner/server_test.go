package runner

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"stargate/runtimes/go/bind"
)

// testFunction is what generated code would hand the runner for
//
//	func f(text string, n int, tags []string) (map[string]any, error)
//
// with behaviours picked by text: "boom" panics, "fail" returns an error.
func testFunction() *bind.Function {
	return &bind.Function{
		Name: "f", File: "m.go", Source: "/runner/server_test.go",
		Params: []bind.Param{{Name: "text"}, {Name: "n"}, {Name: "tags", List: true, Optional: true}},
		Call: func(a *bind.Args) (any, error) {
			text := a.String(0)
			n := int(a.Int(1, 64))
			var tags []string
			if v, q, ok := a.Value(2); ok {
				items, _, b := bind.List(v, q)
				for i, x := range items {
					s, b2 := bind.String(x)
					if b2 != nil {
						b = b2.AtIndex(i)
						break
					}
					tags = append(tags, s)
				}
				a.Report(2, b)
			}
			if a.Invalid() {
				return nil, nil
			}
			return behave(text, n, tags)
		},
	}
}

func behave(text string, n int, tags []string) (map[string]any, error) {
	switch text {
	case "boom":
		var xs []int
		return map[string]any{"x": xs[n]}, nil // index out of range
	case "fail":
		return nil, errors.New("text must not be fail")
	case "sleep":
		time.Sleep(time.Duration(n) * time.Millisecond)
	}
	return map[string]any{"text": text, "n": n, "tags": tags}, nil
}

// serve starts a server for fn on a fresh socket and returns its path.
func serve(t testing.TB, fn *bind.Function, maxBody int) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "rn")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "fn.sock")
	l, err := Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(sock)
	if err != nil || fi.Mode().Perm() != 0o666 {
		t.Fatalf("socket: %v %v, want mode 0666", fi, err)
	}
	s := NewServer(fn, "m", fn.Name, maxBody)
	go s.Serve(l)
	t.Cleanup(func() { l.Close() })
	return sock
}

func dial(t *testing.T, sock string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return c, bufio.NewReader(c)
}

func request(method, target, body string) string {
	return fmt.Sprintf("%s %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", method, target, len(body), body)
}

type answer struct {
	Status int
	Header http.Header
	Doc    map[string]any
	Raw    string
	Close  bool
}

func read(t *testing.T, br *bufio.Reader) answer {
	t.Helper()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{Status: resp.StatusCode, Header: resp.Header, Raw: string(raw), Close: resp.Close}
	_ = json.Unmarshal(raw, &a.Doc)
	return a
}

func roundTrip(t *testing.T, sock, raw string) answer {
	t.Helper()
	c, br := dial(t, sock)
	if _, err := c.Write([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	return read(t, br)
}

func TestInvoke(t *testing.T) {
	sock := serve(t, testFunction(), 1<<20)
	tests := []struct {
		name, raw  string
		status     int
		code, want string // want: a substring of the raw answer
	}{
		{"ready", request("GET", "/_stargate/ready", ""), 200, "", `"ok":true`},
		{"query", request("GET", "/invoke?text=a+b&n=3&tags=x&tags=y", ""), 200, "", `{"n":3,"tags":["x","y"],"text":"a b"}`},
		{"query list as JSON", request("GET", "/invoke?text=a&n=1&tags=%5B%22p%22%5D", ""), 200, "", `"tags":["p"]`},
		{"json", request("POST", "/invoke", `{"text":"hi","n":"7"}`), 200, "", `{"n":7,"tags":null,"text":"hi"}`},
		{"body wins", request("POST", "/invoke?n=1&text=q", `{"n":2.0}`), 200, "", `"n":2`},
		{"missing", request("GET", "/invoke?n=1", ""), 422, "invalid_arguments", `{"parameter":"text","error":"missing"}`},
		{"unconvertible", request("POST", "/invoke", `{"text":1,"n":"x","tags":["a",2]}`), 422, "invalid_arguments",
			`"details":[{"parameter":"text","error":"expected a string, got 1"},{"parameter":"n","error":"expected an integer, got 'x'"},{"parameter":"tags","error":"[1]: expected a string, got 2"}]`},
		{"error", request("GET", "/invoke?text=fail&n=1", ""), 500, "function_error", `"message":"text must not be fail"`},
		{"panic", request("GET", "/invoke?text=boom&n=5", ""), 500, "function_error", `panic: runtime error: index out of range [5] with length 0`},
		{"panic frames", request("GET", "/invoke?text=boom&n=5", ""), 500, "function_error", `{"file":"m.go","line":`},
		{"list body", request("POST", "/invoke", `[1]`), 422, "invalid_arguments", `"parameter":"(body)"`},
		{"bad json", request("POST", "/invoke", "{\n\"a\": }"), 400, "invalid_json", `"line":2`},
		{"bad utf8", request("POST", "/invoke", "{\"a\":\"\xff\"}"), 400, "invalid_json", `"position":6`},
		{"trailing data", request("POST", "/invoke", `{} x`), 400, "invalid_json", `extra data`},
		{"bad query utf8", request("GET", "/invoke?text=%ff", ""), 400, "invalid_query", ``},
		{"not found", request("GET", "/other", ""), 404, "not_found", `no route for GET /other`},
		{"method", request("PUT", "/invoke", ""), 405, "method_not_allowed", `(allowed: GET, POST)`},
		{"ready method", request("POST", "/_stargate/ready", ""), 405, "method_not_allowed", ``},
		{"chunked", "POST /invoke HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 411, "length_required", ``},
		{"bare lf", "GET /invoke HTTP/1.1\nHost: x\n\n", 400, "bad_request", `bare CR or LF`},
		{"bad length", "GET /invoke HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, "bad_request", `invalid Content-Length`},
		{"two lengths", "GET /invoke HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400, "bad_request", `conflicting`},
		{"version", "GET /invoke HTTP/2.0\r\n\r\n", 505, "http_version_not_supported", ``},
		{"request line", "GET  /invoke HTTP/1.1\r\n\r\n", 400, "bad_request", `malformed request line`},
		{"header line", "GET /invoke HTTP/1.1\r\n Host: x\r\n\r\n", 400, "bad_request", `malformed header line 1`},
		{"too large", request("POST", "/invoke", strings.Repeat(" ", 2<<20)), 413, "body_too_large", `the limit is 1048576`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := roundTrip(t, sock, tt.raw)
			if a.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", a.Status, tt.status, a.Raw)
			}
			if tt.code != "" && a.Doc["code"] != tt.code {
				t.Errorf("code %v, want %s: %s", a.Doc["code"], tt.code, a.Raw)
			}
			if !strings.Contains(a.Raw, tt.want) {
				t.Errorf("answer %s\nwant it to contain %s", a.Raw, tt.want)
			}
			if got := a.Header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type %q", got)
			}
		})
	}
}

// TestPipelined sends many requests in one write, failures among them: the
// answers come back in order, and a panic does not stop the server.
func TestPipelined(t *testing.T) {
	sock := serve(t, testFunction(), 1<<20)
	c, br := dial(t, sock)
	var raw strings.Builder
	const n = 50
	for i := range n {
		text := fmt.Sprintf("t%d", i)
		switch i % 10 {
		case 3:
			text = "boom"
		case 7:
			text = "fail"
		}
		raw.WriteString(request("POST", "/invoke", fmt.Sprintf(`{"text":%q,"n":%d}`, text, i)))
	}
	if _, err := c.Write([]byte(raw.String())); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		a := read(t, br)
		switch i % 10 {
		case 3, 7:
			if a.Status != 500 {
				t.Fatalf("call %d: status %d: %s", i, a.Status, a.Raw)
			}
		default:
			if a.Status != 200 || a.Doc["n"] != float64(i) {
				t.Fatalf("call %d out of order or failed: %d %s", i, a.Status, a.Raw)
			}
		}
	}
}

// TestOneAtATime calls a slow function from several connections: calls
// never overlap.
func TestOneAtATime(t *testing.T) {
	var mu sync.Mutex
	running, most := 0, 0
	fn := testFunction()
	inner := fn.Call
	fn.Call = func(a *bind.Args) (any, error) {
		mu.Lock()
		running++
		most = max(most, running)
		mu.Unlock()
		defer func() { mu.Lock(); running--; mu.Unlock() }()
		return inner(a)
	}
	sock := serve(t, fn, 1<<20)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				if a := roundTrip(t, sock, request("GET", "/invoke?text=sleep&n=2", "")); a.Status != 200 {
					t.Errorf("status %d", a.Status)
				}
			}
		}()
	}
	wg.Wait()
	if most != 1 {
		t.Fatalf("%d calls ran at once, want 1", most)
	}
}

func TestConnectionModes(t *testing.T) {
	sock := serve(t, testFunction(), 1<<20)
	// HTTP/1.0 closes after the answer.
	c, br := dial(t, sock)
	fmt.Fprintf(c, "GET /_stargate/ready HTTP/1.0\r\n\r\n")
	if a := read(t, br); a.Status != 200 || !a.Close {
		t.Fatalf("HTTP/1.0: %d %v", a.Status, a.Header)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("connection not closed: %v", err)
	}
	// HTTP/1.0 keep-alive stays open.
	c, br = dial(t, sock)
	fmt.Fprintf(c, "GET /_stargate/ready HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
	if a := read(t, br); a.Header.Get("Connection") != "keep-alive" {
		t.Fatalf("keep-alive: %v", a.Header)
	}
	fmt.Fprintf(c, "GET /_stargate/ready HTTP/1.1\r\n\r\n")
	if a := read(t, br); a.Status != 200 {
		t.Fatalf("second request: %d", a.Status)
	}
	// Expect: 100-continue gets its interim answer before the body is sent.
	c, br = dial(t, sock)
	body := `{"text":"e","n":1}`
	fmt.Fprintf(c, "POST /invoke HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n", len(body))
	line, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100") {
		t.Fatalf("interim answer %q %v", line, err)
	}
	_, _ = br.ReadString('\n')
	fmt.Fprint(c, body)
	if a := read(t, br); a.Status != 200 || a.Doc["text"] != "e" {
		t.Fatalf("after 100-continue: %d %s", a.Status, a.Raw)
	}
}

func TestEncode(t *testing.T) {
	c := newCaller(&bind.Function{})
	tests := []struct {
		v    any
		want string
	}{
		{nil, "null"}, {true, "true"}, {int64(-3), "-3"}, {uint(7), "7"},
		{"a\"<é>\x01\u2028\xff", `"a\"<é>\u0001\u2028\ufffd"`},
		{map[string]int{"b": 1, "a": 2}, `{"a":2,"b":1}`},
		{[]byte("hi"), `"aGk="`},
		{2.5, "2.5"},
	}
	for _, tt := range tests {
		got, err := c.encode(tt.v)
		if err != nil || string(got) != tt.want {
			t.Errorf("encode(%#v) = %s, %v; want %s", tt.v, got, err, tt.want)
		}
	}
	if _, err := c.encode(math.NaN()); err == nil {
		t.Error("NaN encoded")
	}
}
