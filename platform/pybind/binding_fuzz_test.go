//go:build linux

package pybind

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"
)

// functions are the functions of testdata/fuzzmod.py, in the order a fuzz
// input's index picks them. The corpus names functions by index: add new
// ones at the end.
var functions = []string{
	"f_int", "f_float", "f_bool", "f_str", "f_bytes", "f_list", "f_dict", "f_optional",
	"f_union", "f_literal", "f_enum", "f_dataclass", "f_tuple", "f_any", "f_varargs",
	"f_tree", "f_many", "f_kinds", "f_async", "f_node", "f_counts",
}

const (
	callTimeout  = 5 * time.Second  // longest any answer may take
	startTimeout = 20 * time.Second // longest a runner may take to listen
	maxAnswer    = 64 << 20
	logTail      = 4 << 10
)

// FuzzBinding sends arbitrary calls to the real Python runner, one runner per
// function of testdata/fuzzmod.py, each started on first use and reused by
// every later input of this process. An input is the function's index, the
// method (POST or GET), the raw query and the raw body.
//
// For every input the runner must answer within callTimeout with a status of
// 200, 400, 404, 422 or 500, as JSON (valid, UTF-8, with its Content-Type);
// every error in the one error shape; a 500 only for the function's own
// error or an unserializable result, never the runner's internal_error; no
// function handed a value its annotation does not allow (fuzzmod's
// WrongType); and the runner alive afterwards.
//
// Go's coverage does not see into Python, so the engine mutates mostly
// blind; the seeds below carry what it cannot find on its own.
func FuzzBinding(f *testing.F) {
	h := newHarness(f)
	for _, s := range seeds() {
		f.Add(s.fn, s.post, s.query, []byte(s.body))
	}
	// Regression inputs in testdata/fuzz/FuzzBinding: bug-dict-tuple-key-
	// unhashable (a dict[tuple, int] key that converts to an unhashable
	// tuple) and bug-recursive-dataclass-depth (a self-referring dataclass
	// nested past the interpreter's depth) once escaped the binder as 500
	// internal_error; both are the caller's arguments and answer 422.
	f.Fuzz(func(t *testing.T, fn uint8, post bool, query string, body []byte) {
		r := h.runners[int(fn)%len(h.runners)]
		q := gatewayQuery(query)
		method := "GET"
		if post {
			method = "POST"
		}
		call := fmt.Sprintf("%s %s?%q body %s", method, r.function, q, clip(body))
		a, err := r.invoke(method, q, body)
		if err != nil {
			t.Fatalf("%s: %v%s", call, err, r.logs())
		}
		if err := a.check(); err != nil {
			t.Fatalf("%s: %v\nanswer %d %s%s", call, err, a.status, clip(a.body), r.logs())
		}
		if err := r.alive(); err != nil {
			t.Fatalf("%s: answered %d %s, then %v%s", call, a.status, clip(a.body), err, r.logs())
		}
	})
}

// gatewayQuery is the query as the gateway forwards it: fasthttp drops a
// fragment, and the gateway refuses a query holding bytes not allowed in a
// request line (gateway.cleanQuery). Rather than waste the input, such
// bytes are sent percent-encoded, as a client would have sent them.
func gatewayQuery(q string) string {
	if i := strings.IndexByte(q, '#'); i >= 0 {
		q = q[:i]
	}
	var b []byte
	for i := 0; i < len(q); i++ {
		if c := q[i]; c <= ' ' || c == 0x7f {
			if b == nil {
				b = append(make([]byte, 0, len(q)+8), q[:i]...)
			}
			b = fmt.Appendf(b, "%%%02X", c)
		} else if b != nil {
			b = append(b, c)
		}
	}
	if b == nil {
		return q
	}
	return string(b)
}

func TestGatewayQuery(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"x=1&y=%20", "x=1&y=%20"},
		{"x=a b", "x=a%20b"},
		{"x=\r\n\x00\x7f", "x=%0D%0A%00%7F"},
		{"x=\xff", "x=\xff"},
		{"x=1#y z", "x=1"},
		{"#", ""},
	}
	for _, tt := range tests {
		if got := gatewayQuery(tt.in); got != tt.want {
			t.Errorf("gatewayQuery(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// harness is a directory holding the fixture module, the runners' sockets
// and their working directory, and the runners of one test process.
type harness struct {
	dir     string
	python  string
	script  string
	runners []*runner
}

func newHarness(f *testing.F) *harness {
	python, err := exec.LookPath("python3")
	if err != nil {
		f.Skip("no python3 on the host: the runner cannot be started")
	}
	script, err := filepath.Abs(filepath.Join("..", "..", "runtimes", "python", "stargate_runner.py"))
	if err != nil {
		f.Fatal(err)
	}
	if _, err := os.Stat(script); err != nil {
		f.Fatal(err)
	}
	// A short path: a unix socket's path is limited to 108 bytes.
	dir, err := os.MkdirTemp("", "pybind")
	if err != nil {
		f.Fatal(err)
	}
	h := &harness{dir: dir, python: python, script: script}
	f.Cleanup(func() {
		for _, r := range h.runners {
			r.stop()
		}
		os.RemoveAll(dir)
	})
	src, err := os.ReadFile(filepath.Join("testdata", "fuzzmod.py"))
	if err != nil {
		f.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "code"), 0o755); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "code", "fuzzmod.py"), src, 0o644); err != nil {
		f.Fatal(err)
	}
	for i, name := range functions {
		h.runners = append(h.runners, &runner{h: h, function: name, socket: filepath.Join(dir, fmt.Sprintf("%d.sock", i))})
	}
	return h
}

// runner is one runner process serving one function, started on first use.
// A runner that fails an input is killed, and the next input starts a fresh
// one: while the engine minimises a failing input, each attempt is judged
// on its own.
type runner struct {
	h        *harness
	function string
	socket   string

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{} // closed once the process has exited
	waitErr error         // how it exited; read only after exited is closed
	log     *tail
	conn    net.Conn
	br      *bufio.Reader
}

// start starts the process and waits for its ready answer. Called with mu
// held.
func (r *runner) start() error {
	_ = os.Remove(r.socket)
	cmd := exec.Command(r.h.python, "-I", "-B", r.h.script,
		"--socket", r.socket, "--code", filepath.Join(r.h.dir, "code"),
		"--module", "fuzzmod", "--function", r.function, "--workdir", r.h.dir)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C.UTF-8"}
	r.log = &tail{}
	cmd.Stdout, cmd.Stderr = r.log, r.log
	// The runner dies with the test process, even one the fuzz coordinator
	// kills before its cleanups run.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start runner: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		r.waitErr = cmd.Wait()
		close(exited)
	}()
	r.cmd, r.exited = cmd, exited
	deadline := time.Now().Add(startTimeout)
	for {
		conn, err := net.Dial("unix", r.socket)
		if err == nil {
			r.conn, r.br = conn, bufio.NewReader(conn)
			break
		}
		select {
		case <-exited:
			return fmt.Errorf("runner for %s exited at start%s", r.function, r.logs())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("runner for %s not listening after %v%s", r.function, startTimeout, r.logs())
		}
		time.Sleep(5 * time.Millisecond)
	}
	a, err := r.roundTrip("GET", "/_stargate/ready", nil)
	if err != nil {
		return fmt.Errorf("ready: %w", err)
	}
	if a.status != http.StatusOK {
		return fmt.Errorf("ready answered %d %s", a.status, a.body)
	}
	return nil
}

// stop kills the process, if any. Called with mu held, or at cleanup.
func (r *runner) stop() {
	if r.conn != nil {
		r.conn.Close()
		r.conn, r.br = nil, nil
	}
	if r.cmd != nil {
		_ = r.cmd.Process.Kill()
		<-r.exited
		r.cmd = nil
	}
}

// invoke sends one call, starting the runner first if it is not running.
// On an error the runner is stopped, to be started afresh by the next call.
func (r *runner) invoke(method, query string, body []byte) (answer, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		if err := r.start(); err != nil {
			r.stop()
			return answer{}, err
		}
	}
	target := "/invoke"
	if query != "" {
		target += "?" + query
	}
	a, err := r.roundTrip(method, target, body)
	if err != nil {
		select {
		case <-r.exited:
			err = fmt.Errorf("%w (the runner exited: %v)", err, r.waitErr)
		case <-time.After(100 * time.Millisecond):
		}
		r.stop()
	}
	return a, err
}

// alive reports whether the runner still runs and still answers its ready
// call.
func (r *runner) alive() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		return errors.New("the runner was stopped")
	}
	a, err := r.roundTrip("GET", "/_stargate/ready", nil)
	if err == nil && a.status != http.StatusOK {
		err = fmt.Errorf("ready answered %d %s", a.status, a.body)
	}
	if err == nil {
		select {
		case <-r.exited:
			err = errors.New("the runner exited")
		default:
		}
	}
	if err != nil {
		r.stop()
	}
	return err
}

// roundTrip writes one request as the gateway does (pipe.appendRequest) on
// the runner's connection, dialling again if the runner closed it, and
// reads the answer. Called with mu held.
func (r *runner) roundTrip(method, target string, body []byte) (answer, error) {
	if r.conn == nil {
		conn, err := net.Dial("unix", r.socket)
		if err != nil {
			return answer{}, fmt.Errorf("dial runner: %w", err)
		}
		r.conn, r.br = conn, bufio.NewReader(conn)
	}
	if err := r.conn.SetDeadline(time.Now().Add(callTimeout)); err != nil {
		return answer{}, err
	}
	req := make([]byte, 0, len(target)+len(body)+64)
	req = fmt.Appendf(req, "%s %s HTTP/1.1\r\nHost: instance\r\nContent-Length: %d\r\n\r\n", method, target, len(body))
	req = append(req, body...)
	if _, err := r.conn.Write(req); err != nil {
		return answer{}, fmt.Errorf("send: %w", err)
	}
	resp, err := http.ReadResponse(r.br, nil)
	if err != nil {
		return answer{}, fmt.Errorf("no answer: %w", err)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	resp.Body.Close()
	if err != nil {
		return answer{}, fmt.Errorf("read answer: %w", err)
	}
	if resp.Close {
		r.conn.Close()
		r.conn, r.br = nil, nil
	}
	return answer{status: resp.StatusCode, header: resp.Header, length: resp.ContentLength, body: b}, nil
}

func (r *runner) logs() string {
	if r.log == nil || r.log.Len() == 0 {
		return ""
	}
	return "\nrunner log:\n" + r.log.String()
}

// answer is one response of a runner.
type answer struct {
	status int
	header http.Header
	length int64
	body   []byte
}

// errorBody is the one error shape.
type errorBody struct {
	Status  string           `json:"status"`
	Code    string           `json:"code"`
	Message *string          `json:"message"`
	Details *json.RawMessage `json:"details"`
}

// check reports how a, the answer to a call, breaks the runner's promises.
func (a answer) check() error {
	switch a.status {
	case 200, 400, 404, 422, 500:
	default:
		return fmt.Errorf("status %d", a.status)
	}
	if ct := a.header.Get("Content-Type"); ct != "application/json" {
		return fmt.Errorf("Content-Type %q", ct)
	}
	if a.length != int64(len(a.body)) {
		return fmt.Errorf("Content-Length %d for a %d byte body", a.length, len(a.body))
	}
	if !json.Valid(a.body) {
		return errors.New("the body is not valid JSON")
	}
	if !utf8.Valid(a.body) {
		return errors.New("the body is not UTF-8")
	}
	if a.status < 400 {
		return nil
	}
	var e errorBody
	if err := json.Unmarshal(a.body, &e); err != nil {
		return fmt.Errorf("error body: %w", err)
	}
	if e.Status != "error" || e.Code == "" || e.Message == nil {
		return errors.New("not the one error shape {status, code, message}")
	}
	switch e.Code {
	case "function_error":
		// fuzzmod's functions raise nothing of their own but WrongType.
		var d struct {
			Type string `json:"type"`
		}
		if e.Details != nil {
			_ = json.Unmarshal(*e.Details, &d)
		}
		if d.Type == "WrongType" {
			return fmt.Errorf("binding bug: the function got a value its annotation does not allow: %s", *e.Message)
		}
	case "unserializable_result":
	case "internal_error":
		return fmt.Errorf("runner bug: internal_error: %s", *e.Message)
	default:
		if a.status == 500 {
			return fmt.Errorf("500 with code %q", e.Code)
		}
	}
	return nil
}

// tail keeps the last logTail bytes written to it.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > logTail {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-logTail:]...)
	}
	return len(p), nil
}

func (t *tail) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.buf)
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// clip quotes b, cut to 300 bytes.
func clip(b []byte) string {
	if len(b) > 300 {
		return fmt.Sprintf("%q... (%d bytes)", b[:300], len(b))
	}
	return fmt.Sprintf("%q", b)
}

// seed is one f.Add input.
type seed struct {
	fn    uint8
	post  bool
	query string
	body  string
}

// index is the fuzz index of a fixture function.
func index(name string) uint8 {
	for i, f := range functions {
		if f == name {
			return uint8(i)
		}
	}
	panic("no fixture function " + name)
}

// seeds: for each function, calls that bind and calls that do not; for
// every function, hostile queries and bodies.
func seeds() []seed {
	nest := func(n int, open, close string) string {
		return strings.Repeat(open, n) + strings.Repeat(close, n)
	}
	deep := nest(10000, "[", "]")
	digits := strings.Repeat("9", 5000)
	tree := func(n int) string {
		return strings.Repeat(`{"name":"n","children":[`, n) + `{"name":"leaf"}` + strings.Repeat(`]}`, n)
	}
	node := func(n int) string {
		return strings.Repeat(`{"value":1,"next":`, n) + `{"value":2}` + strings.Repeat(`}`, n)
	}
	own := map[string][][2]string{ // query, body
		"f_int": {{"x=1", ""}, {"x=-7", ""}, {"x=+3", ""}, {"x=1.0", ""}, {"x=1e3", ""}, {"x=%EF%BC%91", ""},
			{"x=" + digits, ""}, {"", "5"}, {"", "5.0"}, {"", "5.5"}, {"", "true"}, {"", `"5"`}, {"", `{"x":1}`},
			{"", `{"x":1e308}`}, {"", `{"y":1}`}, {"", "1" + strings.Repeat("0", 4300)}},
		"f_float": {{"x=1.5", ""}, {"x=nan", ""}, {"x=inf", ""}, {"x=-Infinity", ""}, {"x=1_000", ""}, {"x=0x10", ""},
			{"", "1e308"}, {"", "1e309"}, {"", "NaN"}, {"", `{"x":-Infinity}`}, {"", digits}, {"", "true"}},
		"f_bool": {{"x=true", ""}, {"x=ON", ""}, {"x=0", ""}, {"x=2", ""}, {"x=", ""}, {"", "1"}, {"", "0.0"},
			{"", "NaN"}, {"", `"yes"`}, {"", "null"}},
		"f_str": {{"x=hello+world", ""}, {"x=%F0%9F%98%80", ""}, {"x=%ED%A0%80", ""}, {"", `"\ud800"`},
			{"", `"\u0000"`}, {"", `{"x":"a"}`}, {"", "5"}},
		"f_bytes": {{"x=abc", ""}, {"x=%FF", ""}, {"", `"\udfff"`}, {"", `"\ud83d\ude00"`}, {"", "[1,2]"}},
		"f_list": {{"x=1&x=2&x=3", ""}, {"x=[1,2]", ""}, {"x=[1,%22a%22]", ""}, {"x=[", ""}, {"x=1", ""},
			{"x=" + deep, ""}, {"", "[1,2,3]"}, {"", "[1.0,2.5]"}, {"", `{"x":[1]}`}, {"", `[[1]]`}, {"", `"1,2"`}},
		"f_dict": {{`x={"a":1}`, ""}, {"x=%7B%22a%22%3A1%7D", ""}, {"x={", ""}, {"x=a", ""}, {"", `{"a":1,"b":2.5}`},
			{"", `{"x":{"a":"1"}}`}, {"", `{"a":NaN}`}, {"", `{"":{}}`}, {"", `{"x":1}`}},
		"f_optional": {{"", ""}, {"x=", ""}, {"x=null", ""}, {"x=4", ""}, {"", "null"}, {"", `{"x":null}`}},
		"f_union":    {{"x=4", ""}, {"x=four", ""}, {"", "4"}, {"", `"4"`}, {"", "4.5"}, {"", "[4]"}, {"", "true"}},
		"f_literal":  {{"x=a", ""}, {"x=b&x=c", ""}, {"x=A", ""}, {"", `"b"`}, {"", `"c"`}, {"", "0"}},
		"f_enum":     {{"x=red", ""}, {"x=RED", ""}, {"x=purple", ""}, {"", `"green"`}, {"", `{"x":"blue"}`}, {"", "1"}},
		"f_dataclass": {{`p={"x":1,"y":2}`, ""}, {"p=1", ""}, {"", `{"x":1,"y":2}`}, {"", `{"x":"1","y":2,"label":"a"}`},
			{"", `{"x":1}`}, {"", `{"p":{"x":1,"y":[]}}`}, {"", `{"x":1,"y":2,"z":3}`}, {"", "[1,2]"}},
		"f_tuple": {{"x=1&x=2", ""}, {"x=[1,2,3]", ""}, {"x=(1,2)", ""}, {"", "[]"}, {"", "[1,[2]]"}},
		"f_any": {{"x=1", ""}, {"x=1&x=2", ""}, {"", nest(900, "[", "]")}, {"", `{"x":{"y":[null,true,1.5,"s"]}}`},
			{"", `[1e400,-1e400]`}, {"", `{"x":NaN}`}},
		"f_varargs": {{"a=1&b=2&a=3", ""}, {"=&==&%00=%00", ""}, {"", `{"a":1,"":2,"\u0000":3}`}, {"", "[1,2]"}, {"", "7"}},
		"f_tree": {{"", `{"name":"root"}`}, {"", tree(3)}, {"", tree(300)}, {"", tree(600)}, {"", tree(2000)},
			{"", `{"name":"a","children":[{"name":1}]}`}, {"", `{"name":"a","weight":"heavy"}`}, {"t=" + tree(2), ""}},
		"f_many": {{"i=1", ""}, {"i=1&f=2&b=yes&s=x&raw=y&li=1&li=2&d={}&o=&u=u&lit=b&c=blue&pr=2&t=1&pair=[1,%22a%22]&tags=a&tags=a&a=z&extra=5", ""},
			{"i=1&extra=x", ""}, {"i=1&pr=HIGH", ""}, {"i=1&pr=2.0", ""}, {"i=1&tags=[[1]]", ""}, {"i=1&pair=[1]", ""},
			{"", `{"i":1,"p":{"x":1,"y":2},"tags":["a","b"],"li":[1,2],"d":{"k":1},"pair":[2,"b"]}`},
			{"", `{"i":"1","rest":[1],"extra":2,"zzz":3}`}, {"", `{"i":1,"tags":[[1],[2]]}`}, {"", `{"i":1,"tags":[{}]}`},
			{"", `{}`}, {"", "1"}},
		"f_kinds": {{"a=1", ""}, {"a=1&b=2&c=3&d=4", ""}, {"", `{"a":1,"kw":{}}`}, {"", `{"b":"x"}`}, {"", "1"}},
		"f_node": {{"", `{"value":1}`}, {"", `{"value":1,"next":{"value":2,"next":null}}`}, {"", node(100)},
			{"", `{"n":{"value":1}}`}, {"", `{"value":1,"next":{"value":"2"}}`}, {"n=" + node(3), ""}},
		"f_counts": {{"", `{"[1,2]":3}`}, {"", `{"x":{"[1,2]":3,"[]":0}}`}, {"", `{"x":{"1":2}}`}, {`x={"[1,2]":3}`, ""}},
		"f_async":  {{"x=1&x=2&scale=3", ""}, {"", `{"x":[1e308],"scale":10}`}, {"", "[1,2]"}, {"", `{"x":"1"}`}},
	}
	var out []seed
	for _, name := range functions {
		for i, c := range own[name] {
			out = append(out, seed{fn: index(name), post: i%2 == 0 || c[1] != "", query: c[0], body: c[1]})
		}
	}
	queries := []string{
		"", "x", "x=", "=", "&", "&&x=1&&", "x==1", "x=1;x=2", "x=1&x=2&x=3", "x=1&X=2",
		"%78=1", "x=%", "x=%2", "x=%ZZ", "x=%25", "x=%00", "x=%0A", "x=+", "x=%2B", "x=a+b%20c",
		"x=%FF", "x=%C0%AF", "x=%E2%82", "x=%ED%A0%80", "x=\xff", "\xff=1", "x=\xc3\x28", "x=\xf0\x9f\x98\x80",
		"x=1e400", "x=-1e400", "x=NaN", "x=Infinity", "x=-0", "x=" + digits, "x=0" + digits,
		"x=" + deep, "x=" + nest(10000, "{\"a\":", "}"), "x=[1,2]", `x={"a":1}`, "x=null", "x=true",
		"x=1#frag", "x=?", "x=a=b", "x[]=1", "x[0]=1",
		strings.Repeat("x=1&", 2000),
	}
	bodies := []string{
		"", "null", "{}", "[]", "0", "-0", "1", "\"s\"", "true",
		"{", "}", "[1,]", "{\"x\":}", "{\"x\":1,}", "{'x':1}", "{\"x\":1}{\"x\":2}", "{} x", "\ufeff{}", " {} ",
		"NaN", "Infinity", "-Infinity", "{\"x\":NaN}", "{\"x\":Infinity}", "[NaN]", "1e400", "{\"x\":-1e400}",
		digits, "{\"x\":" + digits + "}", "{\"x\":1,\"x\":\"1\"}",
		deep, "{\"x\":" + deep + "}", nest(10000, "{\"x\":", "}"), nest(990, "[", "]"),
		"\xff\xfe", "{\"x\":\"\xff\"}", "\xc0\xaf", "{\"x\":\"\\ud800\"}", "{\"\\ud800\":1}", "\x00", "{\"x\":\"\x00\"}",
		"{\"x\":\"\\u0000\"}", "\"\\x\"", "[" + strings.Repeat("1,", 20000) + "1]",
	}
	// Under go test every hostile input goes to every function. Under
	// -fuzz each goes to two, in rotation: the engine swaps function
	// indexes itself, and gathering coverage of the whole cross product
	// would take all of a short run.
	per := len(functions)
	if fuzzing() {
		per = 2
	}
	n := 0
	for i, q := range queries {
		for k := range per {
			out = append(out, seed{fn: uint8((n + k*len(functions)/per) % len(functions)), post: i%2 == 1, query: q})
		}
		n++
	}
	for i, b := range bodies {
		for k := range per {
			out = append(out, seed{fn: uint8((n + k*len(functions)/per) % len(functions)), post: i%3 != 2, body: b})
		}
		n++
	}
	return out
}

// fuzzing reports whether this process explores inputs (go test -fuzz)
// rather than running the seeds once.
func fuzzing() bool {
	fl := flag.Lookup("test.fuzz")
	return fl != nil && fl.Value.String() != ""
}
