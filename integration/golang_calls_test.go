package integration

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// The error contract for Go functions, part two: calls with bad arguments
// (422), functions that return an error or panic (500), die (502) or hang
// (504). Their source is testdata/golang/faults.go; mind its line numbers.

// problems maps each parameter of an invalid_arguments answer to its error.
func problems(r Response) map[string]string {
	out := map[string]string{}
	list, _ := r.JSON["details"].([]any)
	for _, p := range list {
		m, _ := p.(map[string]any)
		out[fmt.Sprint(m["parameter"])] = fmt.Sprint(m["error"])
	}
	return out
}

func TestGoErrorsCalls(t *testing.T) {
	t.Parallel()
	api := goAPI(t, Options{})
	const hash = "gocalls01"
	api.Sandbox(hash, map[string]string{"wordstats.go": goSource(t, "wordstats.go"), "faults.go": goSource(t, "faults.go")})
	api.Load(loadReq(hash, "WordStats", "wordstats", "scan"))
	for _, fn := range []string{"Fail", "Explode", "Divide"} {
		api.Load(loadReq(hash, fn, "faults", "scan"))
	}
	before := containers(t, api.Namespace, "function")

	// 422: missing and unconvertible arguments, one entry per parameter.
	args := []struct {
		method, path string
		body         any
		want         map[string]string
	}{
		{"GET", "/improved/scan/WordStats?minLen=abc", nil,
			map[string]string{"text": "missing", "minLen": "expected an integer, got 'abc'"}},
		{"GET", "/improved/scan/WordStats?text=x&minLen=2.5", nil,
			map[string]string{"minLen": "expected an integer, got '2.5'"}},
		// As in Python: 2.0 is an integer in JSON, not in a query.
		{"GET", "/improved/scan/WordStats?text=x&minLen=2.0", nil,
			map[string]string{"minLen": "expected an integer, got '2.0'"}},
		{"POST", "/improved/scan/WordStats", map[string]any{"text": []string{"x"}, "minLen": true},
			map[string]string{"text": "expected a string, got a list", "minLen": "expected an integer, got true"}},
		{"POST", "/improved/scan/WordStats", map[string]any{"text": "x"},
			map[string]string{"minLen": "missing"}},
		{"GET", "/improved/scan/Divide?a=1&b=99999999999999999999", nil,
			map[string]string{"b": "expected an integer between -9223372036854775808 and 9223372036854775807, got '99999999999999999999'"}},
	}
	for _, c := range args {
		r := api.Call(c.method, c.path, c.body)
		expect(t, r, http.StatusUnprocessableEntity, "invalid_arguments")
		if got := problems(r); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s %s: problems %v, want %v", c.method, c.path, got, c.want)
		}
		for p := range c.want {
			if !strings.Contains(r.Str("message"), p+":") {
				t.Errorf("message %q does not name %s", r.Str("message"), p)
			}
		}
	}
	r := api.Call("POST", "/improved/scan/WordStats", []int{1, 2})
	expect(t, r, http.StatusUnprocessableEntity, "invalid_arguments")
	if got := problems(r); got["(body)"] == "" {
		t.Errorf("a list body for two parameters: %s", r)
	}

	// 500: a returned error is its message; a panic is its value, with the
	// frames of the agent's file.
	fails := []struct {
		path, message, typ, kind string
		frames                   string
	}{
		{"/improved/scan/Fail?reason=not+today", "refused: not today", "*errors.errorString", "error", "[]"},
		{"/improved/scan/WordStats?text=x&minLen=0", "minLen must be at least 1", "*errors.errorString", "error", "[]"},
		{"/improved/scan/Explode?n=3", "panic: too big: 3", "string", "panic", "[faults.go:20 Explode]"},
		{"/improved/scan/Divide?a=1&b=0", "panic: runtime error: integer divide by zero", "runtime.errorString", "panic", "[faults.go:27 Divide]"},
	}
	for _, c := range fails {
		r := api.Call("GET", c.path, nil)
		expect(t, r, http.StatusInternalServerError, "function_error")
		if r.Str("message") != c.message {
			t.Errorf("%s: message %q, want %q", c.path, r.Str("message"), c.message)
		}
		d := details(r)
		var frames []string
		tb, _ := d["traceback"].([]any)
		for _, f := range tb {
			m, _ := f.(map[string]any)
			frames = append(frames, fmt.Sprintf("%v:%v %v", m["file"], m["line"], m["function"]))
		}
		if d["type"] != c.typ || d["kind"] != c.kind || fmt.Sprint(frames) != c.frames {
			t.Errorf("%s: details type %v kind %v frames %v, want %s %s %s", c.path, d["type"], d["kind"], frames, c.typ, c.kind, c.frames)
		}
		for _, host := range []string{api.Uploads, api.Data, "/code", "stargatefn", "/usr/local/go", "goroutine "} {
			if strings.Contains(string(r.Body), host) {
				t.Errorf("%s: the answer holds %q: %s", c.path, host, r.Body)
			}
		}
	}

	// The instances survived: the same containers answer.
	for path, want := range map[string]string{
		"/improved/scan/Explode?n=0":     "0",
		"/improved/scan/Divide?a=7&b=2":  "3",
		"/improved/scan/Explode?n=-4":    "-4",
		"/improved/scan/Fail?reason=":    `"fine"`,
		"/improved/scan/Divide?a=-9&b=3": "-3",
	} {
		r := api.Call("GET", path, nil)
		if r.Status != http.StatusOK || string(r.Body) != want {
			t.Errorf("%s after the failures = %s, want 200 %s", path, r, want)
		}
	}
	after := containers(t, api.Namespace, "function")
	if len(after) != len(before) || len(after) != 4 {
		t.Errorf("function containers: %d before, %d after, want 4 (none replaced)", len(before), len(after))
	}
	for _, c := range before {
		found := false
		for _, a := range after {
			found = found || a.ID == c.ID
		}
		if !found {
			t.Errorf("instance %s of %s was replaced", c.ID[:12], c.Labels["io.stargate.function"])
		}
	}
	if item := statusItem(t, api, "Explode"); item["errors"].(float64) < 1 || item["invocations"].(float64) < 3 {
		t.Errorf("status of Explode: %v", item)
	}
	healthy(t, api)
}

func TestGoErrorsInstanceDied(t *testing.T) {
	t.Parallel()
	api := goAPI(t, Options{})
	const hash = "gooom01"
	api.Sandbox(hash, map[string]string{"faults.go": goSource(t, "faults.go")})
	hog := loadReq(hash, "Hog", "faults", "scan")
	hog["memory_mb"] = 64
	if r := api.Load(hog); r.JSON["memory_mb"] != 64.0 {
		t.Errorf("memory_mb in the load answer: %s", r)
	}
	api.Load(loadReq(hash, "Steady", "faults", "scan"))
	r := api.Call("GET", "/improved/scan/Hog?mb=8", nil)
	if r.Status != http.StatusOK || string(r.Body) != "8" {
		t.Fatalf("Hog(8) under the limit: %s", r)
	}

	bombBeside(t, api, "Hog", "Steady", 15*time.Second)
}

func TestGoErrorsTimeout(t *testing.T) {
	t.Parallel()
	api := goAPI(t, Options{})
	const hash = "gotimeout01"
	api.Sandbox(hash, map[string]string{"faults.go": goSource(t, "faults.go")})
	req := loadReq(hash, "Nap", "faults", "agent")
	req["timeout_seconds"] = 1
	api.Load(req)
	timeoutReplaces(t, api, "Nap", 0.1, false)
}

// A timed-out call's stuck instance is killed at once, whichever notices
// the broken connection first: the call that timed out, or the watcher of
// the instance (which also sees a timeout, not a death, and does not wait
// for a container that is stuck, not dead). Tried several times: it was a
// race.
func TestGoErrorsTimeoutKillsStuckInstanceAtOnce(t *testing.T) {
	t.Parallel()
	api := goAPI(t, Options{})
	const hash = "gotimeout02"
	api.Sandbox(hash, map[string]string{"faults.go": goSource(t, "faults.go")})
	req := loadReq(hash, "Nap", "faults", "agent")
	req["timeout_seconds"] = 1
	api.Load(req)
	for i := range 16 {
		stuck := containersOf(t, api, "Nap")
		if len(stuck) != 1 {
			t.Fatalf("round %d: %d instances of Nap, want 1", i, len(stuck))
		}
		expect(t, api.Call("GET", "/improved/agent/Nap?seconds=30", nil), http.StatusGatewayTimeout, "timeout")
		timedOut := time.Now()
		var gone time.Duration
		for {
			ids := containersOf(t, api, "Nap")
			if !slices.Contains(ids, stuck[0]) {
				gone = time.Since(timedOut)
				break
			}
			if time.Since(timedOut) > 10*time.Second {
				t.Fatalf("round %d: the stuck instance still runs 10 s after its timeout", i)
			}
			time.Sleep(25 * time.Millisecond)
		}
		if gone > 1500*time.Millisecond {
			t.Fatalf("round %d: the stuck instance was removed %s after its call timed out, want well under 1.5 s; the log says:\n%s",
				i, gone.Round(time.Millisecond), failedLines(api.Logs()))
		}
		deadline := time.Now().Add(10 * time.Second)
		for len(containersOf(t, api, "Nap")) != 1 || statusItem(t, api, "Nap")["instances"] != 1.0 {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: Nap was not replaced", i)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// failedLines are the log's "instance failed" lines.
func failedLines(logs string) string {
	var out []string
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "instance failed") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
