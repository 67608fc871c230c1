package integration

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The error contract, part one: what a request itself can get wrong (400,
// 401, 404), and the helpers every errors_*_test.go file shares. Conflicts
// and size limits (409, 413) are in errors_conflict_test.go, calls that go
// wrong (422, 500, 502, 504) in errors_calls_test.go, missing components
// (503) in errors_unavailable_test.go.

const echoModule = `def echo(text: str = "hi", n: int = 1):
    return {"text": text * n}
`

func loadReq(hash, function, module, typ string) map[string]any {
	body := map[string]any{"visible_pixel_hash": hash, "function_name": function, "improvement_type": typ}
	if module != "" {
		body["module_name"] = module
	}
	return body
}

// healthy fails the test unless the API still runs and /health answers 200.
func healthy(t *testing.T, api *API) {
	t.Helper()
	if api.Exited() {
		t.Fatalf("the API exited:\n%s", api.Logs())
	}
	expect(t, api.Do("GET", "/health", nil, ""), http.StatusOK, "")
}

// details returns the error's details object (nil if it is not one).
func details(r Response) map[string]any {
	d, _ := r.JSON["details"].(map[string]any)
	return d
}

func totalLoaded(t *testing.T, api *API) float64 {
	t.Helper()
	st := api.Do("GET", "/self-improve/status", nil, "")
	expect(t, st, http.StatusOK, "")
	n, ok := st.JSON["total_loaded"].(float64)
	if !ok {
		t.Fatalf("status has no total_loaded: %s", st)
	}
	return n
}

type violation struct {
	rule      string
	line, col int
}

func violations(t *testing.T, v any) []violation {
	t.Helper()
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("violations are not a list: %v", v)
	}
	var out []violation
	for _, x := range list {
		m, _ := x.(map[string]any)
		line, _ := m["line"].(float64)
		col, _ := m["col"].(float64)
		rule, _ := m["rule"].(string)
		if msg, _ := m["message"].(string); msg == "" {
			t.Errorf("violation without a message: %v", m)
		}
		out = append(out, violation{rule, int(line), int(col)})
	}
	return out
}

// statusItem returns the status entry of the one loaded function named name.
func statusItem(t *testing.T, api *API, name string) map[string]any {
	t.Helper()
	st := api.Do("GET", "/self-improve/status", nil, "")
	expect(t, st, http.StatusOK, "")
	for _, group := range []string{"scan_improvements", "agent_improvements", "api_improvements"} {
		list, _ := st.JSON[group].([]any)
		for _, it := range list {
			if m, _ := it.(map[string]any); m["function_name"] == name {
				return m
			}
		}
	}
	t.Fatalf("status lists no %s: %s", name, st)
	return nil
}

func TestErrorsBadRequest(t *testing.T) {
	t.Parallel()
	api := StartAPI(t, Options{})
	const hash = "badreq01"
	api.Sandbox(hash, map[string]string{"basic.py": echoModule})

	with := func(changes map[string]any) map[string]any {
		body := loadReq(hash, "echo", "basic", "scan")
		for k, v := range changes {
			if v == nil {
				delete(body, k)
			} else {
				body[k] = v
			}
		}
		return body
	}
	cases := []struct {
		name    string
		body    any
		field   string
		message string // a part of the message
	}{
		{"malformed JSON", `{"visible_pixel_hash": "badreq01",`, "body", "is not valid JSON"},
		{"trailing garbage", `{"visible_pixel_hash": "badreq01"} x`, "body", "more than one JSON value"},
		{"empty body", ``, "body", "is empty"},
		{"array body", `["badreq01", "echo"]`, "body", "must be a JSON object"},
		{"string body", `"badreq01"`, "body", "must be a JSON object"},
		{"null body", `null`, "body", "must be a JSON object"},
		{"no hash", with(map[string]any{"visible_pixel_hash": nil}), "visible_pixel_hash", "visible_pixel_hash: is required"},
		{"no function", with(map[string]any{"function_name": nil}), "function_name", "function_name: is required"},
		{"no type", with(map[string]any{"improvement_type": nil}), "improvement_type", "improvement_type: is required"},
		{"timeout not a number", with(map[string]any{"timeout_seconds": "x"}), "timeout_seconds", "must be of type integer"},
		{"memory not a number", with(map[string]any{"memory_mb": "lots"}), "memory_mb", "must be of type integer"},
		{"hash not a string", with(map[string]any{"visible_pixel_hash": 42}), "visible_pixel_hash", "must be of type"},
		{"hash traversal", with(map[string]any{"visible_pixel_hash": "../etc"}), "visible_pixel_hash", "must match"},
		{"hash with slash", with(map[string]any{"visible_pixel_hash": "a/b"}), "visible_pixel_hash", "must match"},
		{"hash empty", with(map[string]any{"visible_pixel_hash": ""}), "visible_pixel_hash", "must match"},
		{"hash 129 chars", with(map[string]any{"visible_pixel_hash": strings.Repeat("a", 129)}), "visible_pixel_hash", "must match"},
		{"hash unicode", with(map[string]any{"visible_pixel_hash": "häsh"}), "visible_pixel_hash", "must match"},
		{"hash leading dash", with(map[string]any{"visible_pixel_hash": "-abc"}), "visible_pixel_hash", "must match"},
		{"function traversal", with(map[string]any{"function_name": "../x"}), "function_name", "must be an identifier"},
		{"function dotted", with(map[string]any{"function_name": "os.path"}), "function_name", "must be an identifier"},
		{"function with space", with(map[string]any{"function_name": "a b"}), "function_name", "must be an identifier"},
		{"function keyword", with(map[string]any{"function_name": "class"}), "function_name", "must be an identifier"},
		{"module traversal", with(map[string]any{"module_name": "../x"}), "module_name", "must be an identifier"},
		{"module dotted", with(map[string]any{"module_name": "os.path"}), "module_name", "must be an identifier"},
		{"module with space", with(map[string]any{"module_name": "a b"}), "module_name", "must be an identifier"},
		{"module empty", with(map[string]any{"module_name": ""}), "module_name", "must not be empty"},
		{"unknown type", with(map[string]any{"improvement_type": "magic"}), "improvement_type", "must be scan, agent or api"},
		{"unknown alias type", with(map[string]any{"improvement_type": nil, "function_type": "magic"}), "improvement_type", "must be scan, agent or api"},
		{"types disagree", with(map[string]any{"function_type": "agent"}), "improvement_type", "disagree"},
		{"timeout 0", with(map[string]any{"timeout_seconds": 0}), "timeout_seconds", "at least 1"},
		{"timeout 301", with(map[string]any{"timeout_seconds": 301}), "timeout_seconds", "between 1 and 300"},
		{"memory 16", with(map[string]any{"memory_mb": 16}), "memory_mb", "between 32 and 1024"},
		{"memory 2048", with(map[string]any{"memory_mb": 2048}), "memory_mb", "between 32 and 1024"},
		{"memory 0", with(map[string]any{"memory_mb": 0}), "memory_mb", "must be positive"},
	}
	for _, c := range cases {
		r := api.Do("POST", "/self-improve/load", c.body, testKey)
		if r.Status != http.StatusBadRequest || r.Str("code") != "invalid_request" || r.Str("status") != "error" {
			t.Errorf("%s: want 400 invalid_request, got %s", c.name, r)
			continue
		}
		if got := details(r)["field"]; got != c.field {
			t.Errorf("%s: details.field = %v, want %q (%s)", c.name, got, c.field, r)
		}
		if msg := r.Str("message"); !strings.Contains(msg, c.field) || !strings.Contains(msg, c.message) {
			t.Errorf("%s: message %q does not name %q and say %q", c.name, msg, c.field, c.message)
		}
	}
	if n := totalLoaded(t, api); n != 0 {
		t.Errorf("bad requests loaded %v functions", n)
	}
	if n := len(containers(t, api.Namespace, "function")); n != 0 {
		t.Errorf("bad requests started %d function containers", n)
	}

	// The alias alone, and both names agreeing, are fine.
	r := api.Load(with(map[string]any{"improvement_type": nil, "function_type": "agent"}))
	if r.Str("endpoint_path") != "/improved/agent/echo" || r.Str("improvement_type") != "agent" {
		t.Errorf("load by function_type: %s", r)
	}

	// Names in the unload URL are checked as strictly, however encoded.
	for _, path := range []string{
		"/self-improve/unload/..%2F..%2Fetc/x",
		"/self-improve/unload/..%2F..%2Fetc/passwd",
		"/self-improve/unload/badreq01/..%2Fecho",
		"/self-improve/unload/badreq01/os.path",
		"/self-improve/unload/%2E%2E/echo",
		"/sandbox/unload/..%2F..%2Fetc/x",
	} {
		r := api.Do("DELETE", path, nil, testKey)
		if r.Status != http.StatusBadRequest && r.Status != http.StatusNotFound {
			t.Errorf("DELETE %s: want 400 or 404, got %s", path, r)
		}
		if r.Str("status") != "error" || r.Str("code") == "" {
			t.Errorf("DELETE %s: not in the error shape: %s", path, r)
		}
	}
	// The function loaded above survived all that.
	expect(t, api.Call("GET", "/improved/agent/echo?text=ok", nil), http.StatusOK, "")
	healthy(t, api)
}

func TestErrorsUnauthorized(t *testing.T) {
	t.Parallel()
	api := StartAPI(t, Options{})
	const hash = "authz01"
	api.Sandbox(hash, map[string]string{"basic.py": echoModule, "api.py": "def handler():\n    return 1\n"})
	endpoints := writeEndpoints(hash)
	auths := []struct {
		name, header, message string
	}{
		{"no header", "", "Authorization: Bearer"},
		{"wrong key", "Bearer wrong-key-0123456789abcdef", "the API key is wrong"},
		{"empty key", "Bearer ", "unauthorized"},
		{"key without Bearer", testKey, "unauthorized"},
		{"basic scheme", "Basic " + testKey, "unauthorized"},
	}
	for i, ep := range endpoints {
		// At most five failures per address: more are answered slowly.
		from := fmt.Sprintf("127.0.0.%d", 20+i)
		for _, au := range auths {
			h := http.Header{}
			if au.header != "" {
				h.Set("Authorization", au.header)
			}
			r := api.DoRequest(Request{Method: ep.method, Path: ep.path, Body: ep.body, Header: h, From: from})
			name := ep.method + " " + ep.path + " " + au.name
			if r.Status != http.StatusUnauthorized || r.Str("code") != "unauthorized" || r.Str("status") != "error" {
				t.Errorf("%s: want 401 unauthorized, got %s", name, r)
				continue
			}
			if got := r.Header.Get("WWW-Authenticate"); got != `Bearer realm="stargate"` {
				t.Errorf("%s: WWW-Authenticate = %q", name, got)
			}
			if !strings.Contains(r.Str("message"), au.message) {
				t.Errorf("%s: message %q lacks %q", name, r.Str("message"), au.message)
			}
			if strings.Contains(string(r.Body), testKey) {
				t.Errorf("%s: the answer echoes the key", name)
			}
		}
	}
	if n := totalLoaded(t, api); n != 0 {
		t.Errorf("unauthorized requests loaded %v functions", n)
	}
	// The right key still works, reads need none.
	r := api.Load(loadReq(hash, "echo", "basic", "scan"))
	if r.Str("endpoint_path") != "/improved/scan/echo" {
		t.Errorf("load with the key: %s", r)
	}
	expect(t, api.Do("GET", "/self-improve/status", nil, ""), http.StatusOK, "")
	expect(t, api.Do("GET", "/sandbox/status", nil, ""), http.StatusOK, "")
	expect(t, api.Call("GET", "/improved/scan/echo", nil), http.StatusOK, "")
	healthy(t, api)
}

func TestErrorsNotFound(t *testing.T) {
	t.Parallel()
	api := StartAPI(t, Options{})
	const hash = "notfound01"
	api.Sandbox(hash, map[string]string{
		"basic.py":   echoModule,
		"helpers.py": "LIMIT = 3\n\n\ndef clamp(x: int):\n    return min(x, LIMIT)\n",
	})
	cases := []struct {
		name    string
		body    map[string]any
		code    string
		message string
	}{
		{"unknown sandbox", loadReq("nosuchsandbox", "echo", "basic", "scan"), "sandbox_not_found", "nosuchsandbox"},
		// 128 characters is a valid hash (129 is a 400): no such sandbox.
		{"longest hash", loadReq(strings.Repeat("h", 128), "echo", "basic", "scan"), "sandbox_not_found", strings.Repeat("h", 64)},
		{"unknown module", loadReq(hash, "echo", "missing", "scan"), "module_not_found", "missing.py"},
		{"function not in module", loadReq(hash, "nosuchfn", "basic", "scan"), "function_not_found", "nosuchfn"},
		{"variable, not a function", loadReq(hash, "LIMIT", "helpers", "scan"), "function_not_found", "LIMIT"},
		{"function in no module", loadReq(hash, "nosuchfn", "", "scan"), "function_not_found", "no module"},
	}
	for _, c := range cases {
		r := api.Do("POST", "/self-improve/load", c.body, testKey)
		if r.Status != http.StatusNotFound || r.Str("code") != c.code || r.Str("status") != "error" {
			t.Errorf("%s: want 404 %s, got %s", c.name, c.code, r)
			continue
		}
		if !strings.Contains(r.Str("message"), c.message) {
			t.Errorf("%s: message %q lacks %q", c.name, r.Str("message"), c.message)
		}
	}
	// Without module_name, the one module defining the function is found.
	r := api.Load(loadReq(hash, "clamp", "", "agent"))
	if r.Str("module_name") != "helpers" {
		t.Errorf("found module = %q, want helpers", r.Str("module_name"))
	}

	for _, path := range []string{
		"/improved/scan/clamp", // loaded as agent, not scan
		"/improved/agent/nothing",
		"/improved/agent/" + hash + "/nothing",
		"/improved/agent/otherhash/clamp",
		"/improved/",
		"/improved/agent/clamp/extra",
	} {
		r := api.Call("GET", path, nil)
		if r.Status != http.StatusNotFound || r.Str("code") != "route_not_found" || r.Str("status") != "error" {
			t.Errorf("GET %s: want 404 route_not_found, got %s", path, r)
		}
	}
	expect(t, api.Call("GET", "/improved/agent/clamp?x=9", nil), http.StatusOK, "")
	for _, path := range []string{"/nope", "/self-improve/nothing", "/sandbox"} {
		expect(t, api.Do("GET", path, nil, ""), http.StatusNotFound, "route_not_found")
	}
	r = api.Call("DELETE", "/improved/agent/clamp", nil)
	expect(t, r, http.StatusMethodNotAllowed, "method_not_allowed")
	if r.Header.Get("Allow") != "GET, POST" {
		t.Errorf("Allow: %q", r.Header.Get("Allow"))
	}

	// Symlinks lead nowhere: not a sandbox that is one, not a module that is one.
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "stolen.py"), []byte("def stolen():\n    return 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(api.Uploads, "results", "linked")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "stolen.py"), filepath.Join(api.Uploads, "results", hash, "stolen.py")); err != nil {
		t.Fatal(err)
	}
	expect(t, api.Do("POST", "/self-improve/load", loadReq("linked", "stolen", "stolen", "scan"), testKey), http.StatusNotFound, "sandbox_not_found")
	expect(t, api.Do("POST", "/self-improve/load", loadReq(hash, "stolen", "stolen", "scan"), testKey), http.StatusNotFound, "module_not_found")
	expect(t, api.Do("POST", "/self-improve/load", loadReq(hash, "stolen", "", "scan"), testKey), http.StatusNotFound, "function_not_found")

	for _, path := range []string{
		"/self-improve/unload/" + hash + "/echo", // never loaded
		"/self-improve/unload/nosuchsandbox/clamp",
		"/sandbox/unload/" + hash + "/echo",
	} {
		r := api.Do("DELETE", path, nil, testKey)
		expect(t, r, http.StatusNotFound, "function_not_found")
	}
	expect(t, api.Do("DELETE", "/self-improve/unload/"+hash+"/clamp", nil, testKey), http.StatusOK, "")
	expect(t, api.Do("DELETE", "/self-improve/unload/"+hash+"/clamp", nil, testKey), http.StatusNotFound, "function_not_found")
	expect(t, api.Call("GET", "/improved/agent/clamp?x=9", nil), http.StatusNotFound, "route_not_found")
	healthy(t, api)
}

type endpoint struct {
	method, path string
	body         any
}

// writeEndpoints lists every write endpoint, new and original paths, aimed
// at the echo function of basic.py in sandbox hash.
func writeEndpoints(hash string) []endpoint {
	body := loadReq(hash, "echo", "basic", "scan")
	return []endpoint{
		{"POST", "/self-improve/load", body},
		{"POST", "/sandbox/load", body},
		{"DELETE", "/self-improve/unload/" + hash + "/echo", nil},
		{"DELETE", "/sandbox/unload/" + hash + "/echo", nil},
		{"POST", "/self-improve/auto-enhance", nil},
		{"POST", "/sandbox/auto-load", nil},
	}
}
