package integration

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// The error contract, part two: code the checker rejects (422), calls with
// bad arguments (422), and functions that raise (500), die (502) or hang
// (504). None of it may take the API or other functions down.

// rejectedModule breaks the seed's policy five times; the test asserts each
// violation's exact position, so mind the line numbers.
const rejectedModule = `import json
import os
from urllib.request import urlopen
import subprocess as sp


def run(x: str):
    y = eval(x)
    with open("data.txt") as fh:
        return fh.read() + y + json.dumps(sp.PIPE) + str(urlopen) + os.sep
`

func TestErrorsRejected(t *testing.T) {
	t.Parallel()
	api := StartAPI(t, Options{})
	api.Sandbox("rejected01", map[string]string{
		"bad.py":      rejectedModule,
		"subpkg.py":   "import os.path\n\n\ndef f():\n    return 1\n",
		"alias.py":    "def f(x: str):\n    e = eval\n    return e(x)\n",
		"fromos.py":   "from os import path as p\n\n\ndef f():\n    return 1\n",
		"dunder.py":   "def f():\n    return __import__(\"os\")\n",
		"imports.py":  "SETTINGS = {\"threshold\": 3}\n\nLIMIT = SETTINGS[\"limit\"]\n\n\ndef f():\n    return LIMIT\n",
		"raising.py":  "def helper():\n    raise RuntimeError(\"no config\")\n\n\nVALUE = helper()\n\n\ndef f():\n    return VALUE\n",
		"imports2.py": "import imports\n\n\ndef g():\n    return imports.LIMIT\n",
	})
	cases := []struct {
		module, function string
		want             []violation
	}{
		{"bad", "run", []violation{
			{"banned-import", 2, 0}, {"banned-import", 3, 0}, {"banned-import", 4, 0},
			{"banned-name", 8, 8}, {"banned-name", 9, 9},
		}},
		{"subpkg", "f", []violation{{"banned-import", 1, 0}}},
		{"alias", "f", []violation{{"banned-name", 2, 8}}},
		{"fromos", "f", []violation{{"banned-import", 1, 0}}},
		{"dunder", "f", []violation{{"banned-name", 2, 11}}},
		// Modules that pass the checker but raise while being imported.
		{"imports", "f", []violation{{"import-error", 3, 0}}},
		// The innermost line of the module's file that raised.
		{"raising", "f", []violation{{"import-error", 2, 0}}},
	}
	for _, c := range cases {
		r := api.Do("POST", "/self-improve/load", loadReq("rejected01", c.function, c.module, "scan"), testKey)
		if r.Status != http.StatusUnprocessableEntity || r.Str("code") != "rejected" || r.Str("status") != "error" {
			t.Errorf("%s: want 422 rejected, got %s", c.module, r)
			continue
		}
		got := violations(t, r.JSON["details"])
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: violations %v, want %v", c.module, got, c.want)
		}
		for _, v := range r.JSON["details"].([]any) {
			if f := v.(map[string]any)["file"]; f != c.module+".py" {
				t.Errorf("%s: violation in file %v", c.module, f)
			}
		}
		if strings.Contains(string(r.Body), api.Uploads) || strings.Contains(string(r.Body), api.Data) {
			t.Errorf("%s: the answer names a host path: %s", c.module, r)
		}
	}
	r := api.Do("POST", "/self-improve/load", loadReq("rejected01", "run", "bad", "scan"), testKey)
	if msg := r.Str("message"); msg != "rejected: 5 policy violations; see details" {
		t.Errorf("message for several violations: %q", msg)
	}
	r = api.Do("POST", "/self-improve/load", loadReq("rejected01", "f", "raising", "scan"), testKey)
	if msg := r.Str("message"); !strings.Contains(msg, "RuntimeError: no config") || !strings.Contains(msg, "raising.py:2") {
		t.Errorf("import error message: %q", msg)
	}
	// A module that imports one that raises fails the same way.
	r = api.Do("POST", "/self-improve/load", loadReq("rejected01", "g", "imports2", "scan"), testKey)
	expect(t, r, http.StatusUnprocessableEntity, "rejected")
	if !strings.Contains(r.Str("message"), "KeyError") {
		t.Errorf("import error through an import: %s", r)
	}
	if n := totalLoaded(t, api); n != 0 {
		t.Errorf("rejected code was loaded: total_loaded %v", n)
	}
	if n := len(containers(t, api.Namespace, "function")); n != 0 {
		t.Errorf("%d function containers remain after failed loads", n)
	}
	healthy(t, api)
}

const argsModule = `def add(a: int, b: int, c: float = 1.0, flag: bool = False):
    """Adds, if asked nicely."""
    return {"sum": a + b + c, "flag": flag}
`

func TestErrorsInvalidArguments(t *testing.T) {
	t.Parallel()
	api := StartAPI(t, Options{})
	api.Sandbox("args01", map[string]string{"calc.py": argsModule})
	api.Load(loadReq("args01", "add", "calc", "agent"))

	problems := func(r Response) map[string]string {
		out := map[string]string{}
		list, _ := r.JSON["details"].([]any)
		for _, p := range list {
			m, _ := p.(map[string]any)
			out[fmt.Sprint(m["parameter"])] = fmt.Sprint(m["error"])
		}
		return out
	}
	r := api.Call("GET", "/improved/agent/add?b=x&c=y&flag=maybe", nil)
	expect(t, r, http.StatusUnprocessableEntity, "invalid_arguments")
	want := map[string]string{
		"a":    "missing",
		"b":    "expected an integer, got 'x'",
		"c":    "expected a number, got 'y'",
		"flag": "expected a boolean, got 'maybe'",
	}
	if got := problems(r); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("problems %v, want %v", got, want)
	}
	for p := range want {
		if !strings.Contains(r.Str("message"), p+":") {
			t.Errorf("message %q does not name %s", r.Str("message"), p)
		}
	}

	r = api.Call("POST", "/improved/agent/add", map[string]any{"a": "1", "b": []int{2}})
	expect(t, r, http.StatusUnprocessableEntity, "invalid_arguments")
	if got := problems(r); len(got) != 1 || got["b"] != "expected an integer, got a list" {
		t.Errorf("body problems: %v", got)
	}
	r = api.Call("POST", "/improved/agent/add", []int{1, 2})
	expect(t, r, http.StatusUnprocessableEntity, "invalid_arguments")
	if got := problems(r); got["(body)"] == "" {
		t.Errorf("a list body for several parameters: %s", r)
	}
	// Well-formed calls work, the errors above changed nothing.
	r = api.Call("GET", "/improved/agent/add?a=1&b=2&c=0.5&flag=yes", nil)
	expect(t, r, http.StatusOK, "")
	if r.JSON["sum"] != 3.5 || r.JSON["flag"] != true {
		t.Errorf("add: %s", r)
	}
	healthy(t, api)
}

func TestErrorsFunctionRaised(t *testing.T) {
	t.Parallel()
	api := StartAPI(t, Options{})
	api.Sandbox("raises01", map[string]string{
		"faulty.py": `from parsing import parse


def explode(value: str = "42"):
    return parse(value)


def divide(a: int, b: int):
    return a / b


def leave():
    raise SystemExit(3)
`,
		"parsing.py": `def parse(value):
    if value == "42":
        raise ValueError("bad input: " + value)
    return int(value)
`,
	})
	for _, fn := range []string{"explode", "divide", "leave"} {
		api.Load(loadReq("raises01", fn, "faulty", "scan"))
	}
	cases := []struct {
		path, message, typ string
		frames             []string
	}{
		{"/improved/scan/explode", "ValueError: bad input: 42", "ValueError", []string{"faulty.py:5", "parsing.py:3"}},
		{"/improved/scan/divide?a=1&b=0", "ZeroDivisionError: division by zero", "ZeroDivisionError", []string{"faulty.py:9"}},
		{"/improved/scan/leave", "SystemExit: 3", "SystemExit", []string{"faulty.py:13"}},
	}
	for _, c := range cases {
		r := api.Call("GET", c.path, nil)
		expect(t, r, http.StatusInternalServerError, "function_error")
		if r.Str("message") != c.message {
			t.Errorf("%s: message %q, want %q", c.path, r.Str("message"), c.message)
		}
		d := details(r)
		if d["type"] != c.typ {
			t.Errorf("%s: details.type %v", c.path, d["type"])
		}
		var frames []string
		tb, _ := d["traceback"].([]any)
		for _, f := range tb {
			m, _ := f.(map[string]any)
			frames = append(frames, fmt.Sprintf("%v:%v", m["file"], m["line"]))
		}
		if fmt.Sprint(frames) != fmt.Sprint(c.frames) {
			t.Errorf("%s: traceback %v, want %v", c.path, frames, c.frames)
		}
		body := string(r.Body)
		for _, host := range []string{api.Uploads, api.Data, "/code/", "/usr/lib/", "/opt/stargate"} {
			if strings.Contains(body, host) {
				t.Errorf("%s: the answer holds the path %s: %s", c.path, host, body)
			}
		}
	}
	// The instance survived its function's exceptions, SystemExit included.
	r := api.Call("GET", "/improved/scan/explode?value=7", nil)
	expect(t, r, http.StatusOK, "")
	if string(r.Body) != "7" {
		t.Errorf("explode(7) = %s", r.Body)
	}
	expect(t, api.Call("GET", "/improved/scan/divide?a=6&b=3", nil), http.StatusOK, "")
	if n := len(containers(t, api.Namespace, "function")); n != 3 {
		t.Errorf("%d function containers, want 3 (none replaced)", n)
	}
	healthy(t, api)
}

func TestErrorsInstanceDied(t *testing.T) {
	t.Parallel()
	api := StartAPI(t, Options{})
	api.Sandbox("oom01", map[string]string{"hungry.py": `def bomb(mb: int = 256):
    chunks = []
    for _ in range(mb):
        chunks.append(bytearray(1 << 20))
    return len(chunks)


def steady(x: int = 1):
    return x * 2
`})
	bomb := loadReq("oom01", "bomb", "hungry", "scan")
	bomb["memory_mb"] = 64
	if r := api.Load(bomb); r.JSON["memory_mb"] != 64.0 {
		t.Errorf("memory_mb in the load answer: %s", r)
	}
	api.Load(loadReq("oom01", "steady", "hungry", "scan"))

	bombBeside(t, api, "bomb", "steady", 10*time.Second)
}

// bombBeside sets off the memory bomb at /improved/scan/<bomb>?mb=256 (a
// function limited to 64 MiB) while /improved/scan/<steady>?x=i keeps being
// called: the bomb gets a 502 saying out of memory, every steady call
// answers, and within replaceWithin the bomb's instance is replaced and a
// modest call (mb=4) works again.
func bombBeside(t *testing.T, api *API, bomb, steady string, replaceWithin time.Duration) {
	t.Helper()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var others []Response
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			others = append(others, api.Call("GET", fmt.Sprintf("/improved/scan/%s?x=%d", steady, i), nil))
			time.Sleep(20 * time.Millisecond)
		}
	}()
	r := api.Call("GET", "/improved/scan/"+bomb+"?mb=256", nil)
	close(stop)
	wg.Wait()
	expect(t, r, http.StatusBadGateway, "instance_died")
	if msg := r.Str("message"); !strings.Contains(msg, "out of memory") || !strings.Contains(msg, "64 MiB") {
		t.Errorf("instance_died message does not say out of memory (limit 64 MiB): %q", msg)
	}
	if len(others) == 0 {
		t.Error("no call of the other function ran during the bomb")
	}
	for i, o := range others {
		if o.Status != http.StatusOK || string(o.Body) != fmt.Sprint(2*i) {
			t.Errorf("%s call %d during the bomb: %s", steady, i, o)
		}
	}

	// The instance is replaced: a modest call works again soon.
	deadline := time.Now().Add(replaceWithin)
	for {
		r = api.Call("GET", "/improved/scan/"+bomb+"?mb=4", nil)
		if r.Status == http.StatusOK || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if r.Status != http.StatusOK || string(r.Body) != "4" {
		t.Errorf("%s(4) after the replacement: %s", bomb, r)
	}
	if item := statusItem(t, api, bomb); item["errors"].(float64) < 1 || item["instances"] != 1.0 {
		t.Errorf("status of %s after it died: %v", bomb, item)
	}
	healthy(t, api)
}

func TestErrorsTimeout(t *testing.T) {
	t.Parallel()
	api := StartAPI(t, Options{})
	api.Sandbox("timeout01", map[string]string{"sleepy.py": `import time


def slow(seconds: float = 3.0):
    time.sleep(seconds)
    return {"slept": seconds}
`})
	req := loadReq("timeout01", "slow", "sleepy", "agent")
	req["timeout_seconds"] = 1
	api.Load(req)
	timeoutReplaces(t, api, "slow", 0, true)
}

// timeoutReplaces calls /improved/agent/<name>?seconds=3 on a function
// loaded with a 1 s timeout: the call gets a 504 after about 1 s naming the
// function and the limit, the stuck instance is killed and replaced, a quick
// call (seconds=quick) then works, and status counts the timeout (and the
// error, when errorsCounted).
func timeoutReplaces(t *testing.T, api *API, name string, quick float64, errorsCounted bool) {
	t.Helper()
	before := containersOf(t, api, name)
	start := time.Now()
	r := api.Call("GET", "/improved/agent/"+name+"?seconds=3", nil)
	took := time.Since(start)
	expect(t, r, http.StatusGatewayTimeout, "timeout")
	if took < 900*time.Millisecond || took > 2500*time.Millisecond {
		t.Errorf("the timeout answered after %s, want about 1s", took)
	}
	if msg := r.Str("message"); !strings.Contains(msg, name) || !strings.Contains(msg, "1s") {
		t.Errorf("timeout message: %q", msg)
	}

	// The stuck instance is killed and replaced; once the new one is in
	// service (a call waits at most timeout_seconds for it, so on a busy
	// machine the replacement may take longer than the very next call
	// waits), the next quick call succeeds.
	deadline := time.Now().Add(10 * time.Second)
	for statusItem(t, api, name)["instances"] != 1.0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("replaced within %s of the timeout", time.Since(start)-took)
	r = api.Call("GET", fmt.Sprintf("/improved/agent/%s?seconds=%v", name, quick), nil)
	expect(t, r, http.StatusOK, "")
	if r.JSON["slept"] != quick {
		t.Errorf("%s(%v) = %s", name, quick, r)
	}
	// The stuck container is removed in the background: it goes soon.
	var after []string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if after = containersOf(t, api, name); len(after) == 1 {
			break
		}
	}
	if len(before) != 1 || len(after) != 1 || before[0] == after[0] {
		t.Errorf("the instance was not replaced: before %v, after %v", before, after)
	}
	item := statusItem(t, api, name)
	if item["timeouts"].(float64) < 1 || (errorsCounted && item["errors"].(float64) < 1) {
		t.Errorf("status after a timeout: %v", item)
	}
	healthy(t, api)
}

// A banned submodule import names the module and the banned parent, in a
// sentence with balanced parentheses.
func TestErrorsRejectedSubmoduleMessage(t *testing.T) {
	t.Parallel()
	api := StartAPI(t, Options{})
	api.Sandbox("rejmsg01", map[string]string{"net.py": "from urllib.request import urlopen\n\n\ndef f():\n    return 1\n"})
	r := api.Do("POST", "/self-improve/load", loadReq("rejmsg01", "f", "net", "scan"), testKey)
	expect(t, r, http.StatusUnprocessableEntity, "rejected")
	list, _ := r.JSON["details"].([]any)
	if len(list) != 1 {
		t.Fatalf("want one violation: %s", r)
	}
	msg, _ := list[0].(map[string]any)["message"].(string)
	head, _, _ := strings.Cut(msg, ":")
	if !strings.Contains(head, "urllib.request") || strings.Count(head, "(") != strings.Count(head, ")") {
		t.Errorf("violation message %q: unbalanced parentheses before the reason", head)
	}
}
