package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"stargate/platform"
)

// named answers 200 with its name, to tell backends apart.
func named(name string) handler { return answer(response(200, strconv.Quote(name))) }

func TestRouting(t *testing.T) {
	g := New()
	one := NewTarget(platform.FunctionKey{Hash: "h1", Name: "fn"}, time.Second)
	two := NewTarget(platform.FunctionKey{Hash: "h2", Name: "fn"}, time.Second)
	one.Add(newFake(t, named("one")).backend(t, "one"))
	two.Add(newFake(t, named("two")).backend(t, "two"))
	const long2 = "/improved/api/h2/fn"

	check := func(step string, want map[string]string) {
		t.Helper()
		for _, p := range []string{shortPath, longPath, long2, "/improved/api/fn/", "/improved/api/FN", "/improved/api", "/improved/scan/fn", "/"} {
			ctx, err := invoke(g, "GET", p, nil)
			got := ""
			switch {
			case err == nil:
				got = string(ctx.Response.Body())
			case !errors.Is(err, platform.ErrRouteNotFound):
				t.Errorf("%s: GET %s = %v, want an answer or ErrRouteNotFound", step, p, err)
			}
			if w := want[p]; got != w {
				t.Errorf("%s: GET %s answered %q, want %q", step, p, got, w)
			}
		}
	}

	g.Set(one, shortPath, longPath)
	check("set one", map[string]string{shortPath: `"one"`, longPath: `"one"`})

	g.Set(two, shortPath, long2)
	check("two takes the short path", map[string]string{shortPath: `"two"`, longPath: `"one"`, long2: `"two"`})

	g.RemovePaths(one, shortPath) // not one's any more: no-op
	check("remove a path one lost", map[string]string{shortPath: `"two"`, longPath: `"one"`, long2: `"two"`})

	gone := g.Remove(two)
	slices.Sort(gone)
	if want := []string{shortPath, long2}; !slices.Equal(gone, want) {
		t.Errorf("Remove(two) = %q, want %q", gone, want)
	}
	check("remove two", map[string]string{longPath: `"one"`})

	g.Set(one, shortPath)
	g.RemovePaths(one, shortPath, "/never/set")
	check("remove paths", map[string]string{longPath: `"one"`})

	if got, ok := g.Lookup(longPath); !ok || got != one {
		t.Errorf("Lookup(%s) = %v, %v, want one", longPath, got, ok)
	}
	if gone := g.Remove(two); len(gone) != 0 {
		t.Errorf("second Remove(two) = %q, want nothing", gone)
	}
}

func TestForwardedVerbatim(t *testing.T) {
	binary := []byte("\x00\x01\r\n\r\nGET / HTTP/1.1\r\n\xff")
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<15) // 512 KiB: the echo stays under the 1 MiB answer limit
	tests := []struct {
		method, uri string
		body        []byte
		wantTarget  string
	}{
		{"GET", shortPath, nil, "/invoke"},
		{"GET", shortPath + "?x=1", nil, "/invoke?x=1"},
		{"GET", longPath + "?a=1&b=%20x&c=%2F&d=%E2%9C%93&e=&&f&a=2", nil, "/invoke?a=1&b=%20x&c=%2F&d=%E2%9C%93&e=&&f&a=2"},
		{"GET", shortPath + "?q=a+b&p=%2e%2e%2f", nil, "/invoke?q=a+b&p=%2e%2e%2f"},
		{"POST", shortPath, []byte(`{"x": 1}`), "/invoke"},
		{"POST", shortPath + "?y=2", binary, "/invoke?y=2"},
		{"POST", shortPath, []byte{}, "/invoke"},
		{"POST", shortPath, big, "/invoke"},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			g, _, f := served(t, echo, 5*time.Second)
			ctx, err := invoke(g, tt.method, tt.uri, tt.body)
			if err != nil {
				t.Fatalf("Serve: %v", err)
			}
			if got := ctx.Response.StatusCode(); got != 200 {
				t.Errorf("status = %d, want 200", got)
			}
			reqs := f.requests()
			if len(reqs) != 1 {
				t.Fatalf("instance got %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != tt.method || r.Target != tt.wantTarget {
				t.Errorf("instance got %s %s, want %s %s", r.Method, r.Target, tt.method, tt.wantTarget)
			}
			if !bytes.Equal(r.Body, tt.body) {
				t.Errorf("instance got a body of %d bytes, want the %d sent", len(r.Body), len(tt.body))
			}
			if got, want := r.Header.Get("Content-Length"), strconv.Itoa(len(tt.body)); got != want {
				t.Errorf("Content-Length = %q, want %q", got, want)
			}
		})
	}
}

func TestQueryWithForbiddenBytes(t *testing.T) {
	for _, q := range []string{"a=1 2", "a=\t", "a=\x7f", "a=\r\nX-Evil: 1"} {
		g, _, f := served(t, echo, time.Second)
		ctx, _ := invoke(g, "GET", shortPath, nil)
		ctx.Request.URI().SetQueryString(q)
		err := g.Serve(ctx)
		if !errors.Is(err, platform.ErrInvalid) {
			t.Errorf("query %q: Serve = %v, want ErrInvalid", q, err)
		}
		if n := len(f.requests()); n != 1 { // the first invoke only
			t.Errorf("query %q reached the instance", q)
		}
	}
}

func TestHeadersDoNotCrossTheWall(t *testing.T) {
	h := answer(response(201, `{"ok":true}`,
		"Set-Cookie: session=stolen", "X-Evil: 1", "Location: http://evil.example/",
		"Access-Control-Allow-Origin: *", "Content-Type: text/html"))
	g, _, f := served(t, h, time.Second)
	ctx, err := invoke(g, "POST", shortPath+"?a=1", []byte("{}"),
		"Authorization", "Bearer 0123456789abcdef-secret",
		"Cookie", "session=mine",
		"X-Forwarded-For", "10.0.0.1",
		"X-Api-Key", "secret",
		"Content-Type", "application/json")
	if err != nil {
		t.Fatal(err)
	}
	r := f.requests()[0]
	for name := range r.Header {
		if name != "Host" && name != "Content-Length" {
			t.Errorf("the instance got header %s: %q", name, r.Header.Get(name))
		}
	}
	for _, name := range []string{"Set-Cookie", "X-Evil", "Location", "Access-Control-Allow-Origin"} {
		if v := ctx.Response.Header.Peek(name); v != nil {
			t.Errorf("the caller got header %s: %q", name, v)
		}
	}
	if got, want := string(ctx.Response.Header.ContentType()), "application/json"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}
	if got, want := ctx.Response.StatusCode(), 201; got != want {
		t.Errorf("status = %d, want %d", got, want)
	}
}

func TestStatusPassedThrough(t *testing.T) {
	for _, status := range []int{200, 201, 204, 299, 400, 404, 422, 500, 502, 503, 599} {
		body := `{"status":"error"}`
		if status == 204 {
			body = ""
		}
		g, tg, _ := served(t, answer(response(status, body)), time.Second)
		ctx, err := invoke(g, "GET", shortPath, nil)
		if err != nil {
			t.Fatalf("status %d: %v", status, err)
		}
		if got := ctx.Response.StatusCode(); got != status {
			t.Errorf("status = %d, want %d", got, status)
		}
		if got := string(ctx.Response.Body()); got != body {
			t.Errorf("status %d: body = %q, want %q", status, got, body)
		}
		wantErrors := int64(0)
		if status >= 500 {
			wantErrors = 1
		}
		if got := tg.Stats().Errors; got != wantErrors {
			t.Errorf("status %d: Errors = %d, want %d", status, got, wantErrors)
		}
	}
}

func TestPipelinedCallsGetTheirOwnAnswers(t *testing.T) {
	// The instance takes a moment per call, so calls pile up and are
	// pipelined.
	slowEcho := func(w io.Writer, r *fakeReq) bool {
		time.Sleep(200 * time.Microsecond)
		return echo(w, r)
	}
	g, tg, f := served(t, slowEcho, 10*time.Second)
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			q := fmt.Sprintf("i=%d", i)
			body := fmt.Sprintf(`{"i":%d}`, i)
			ctx, err := invoke(g, "POST", shortPath+"?"+q, []byte(body))
			if err != nil {
				errs <- fmt.Errorf("call %d: %v", i, err)
				return
			}
			m := echoed(ctx.Response.Body())
			if m["query"] != q || m["body"] != body {
				errs <- fmt.Errorf("call %d got %v", i, m)
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := len(f.requests()); got != n {
		t.Errorf("instance got %d requests, want %d", got, n)
	}
	s := tg.Stats()
	if s.Invocations != n || s.Errors != 0 || s.Retries != 0 || s.Inflight != 0 || s.Queued != 0 {
		t.Errorf("Stats = %+v", s)
	}
}

// Answers go to calls in the order the calls were sent, however the
// instance times them.
func TestPipeAnswersInOrder(t *testing.T) {
	var mu sync.Mutex
	delays := map[string]time.Duration{"i=0": 30 * time.Millisecond, "i=2": 10 * time.Millisecond}
	h := func(w io.Writer, r *fakeReq) bool {
		mu.Lock()
		d := delays[r.Query]
		mu.Unlock()
		time.Sleep(d)
		return echo(w, r)
	}
	f := newFake(t, h)
	b := f.backend(t, "a")
	calls := make([]*call, 5)
	var wg sync.WaitGroup
	for i := range calls {
		c := &call{method: methodGET, target: invokeTarget, query: []byte(fmt.Sprintf("i=%d", i)), timeout: 5 * time.Second, done: make(chan struct{}, 1)}
		calls[i] = c
		wg.Add(1)
		go func() { defer wg.Done(); b.pipe.do(c) }()
	}
	wg.Wait()
	for i, c := range calls {
		if c.err != nil {
			t.Fatalf("call %d: %v", i, c.err)
		}
		if got, want := echoed(c.resp)["query"], string(c.query); got != want {
			t.Errorf("call %d got the answer to %q", i, got)
		}
	}
}
