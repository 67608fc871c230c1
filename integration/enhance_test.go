package integration

import (
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// Auto-enhance (the original system's convention: every sandbox's api.py
// handler is served as an api improvement) and the original /sandbox/ paths.

func handlerModule(tag string) string {
	return fmt.Sprintf("def handler(name: str = \"world\"):\n    return {\"sandbox\": %q, \"greeting\": \"hello \" + name}\n", tag)
}

// enhanceReport is the answer of auto-enhance, by outcome and hash.
type enhanceReport map[string]map[string]map[string]any

func autoEnhance(t *testing.T, api *API, path string) enhanceReport {
	t.Helper()
	r := api.Do("POST", path, nil, testKey)
	expect(t, r, http.StatusOK, "")
	if r.Str("status") != "success" || r.Str("timestamp") == "" {
		t.Errorf("auto-enhance answer: %s", r)
	}
	rep := enhanceReport{}
	summary, _ := r.JSON["summary"].(map[string]any)
	for _, outcome := range []string{"loaded", "unchanged", "rejected", "skipped"} {
		list, ok := r.JSON[outcome].([]any)
		if !ok {
			t.Fatalf("auto-enhance answer lacks %s: %s", outcome, r)
		}
		rep[outcome] = map[string]map[string]any{}
		for _, it := range list {
			m := it.(map[string]any)
			rep[outcome][m["visible_pixel_hash"].(string)] = m
		}
		if summary[outcome] != float64(len(list)) {
			t.Errorf("summary.%s = %v, list has %d", outcome, summary[outcome], len(list))
		}
	}
	return rep
}

func (rep enhanceReport) hashes(outcome string) []string {
	var out []string
	for h := range rep[outcome] {
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}

func (rep enhanceReport) expect(t *testing.T, want map[string][]string) {
	t.Helper()
	for _, outcome := range []string{"loaded", "unchanged", "rejected", "skipped"} {
		if got := rep.hashes(outcome); fmt.Sprint(got) != fmt.Sprint(want[outcome]) {
			t.Errorf("%s: %v, want %v", outcome, got, want[outcome])
		}
	}
}

func TestAutoEnhance(t *testing.T) {
	t.Parallel()
	api := StartAPI(t, Options{})
	api.Sandbox("enh-a", map[string]string{"api.py": handlerModule("a")})
	api.Sandbox("enh-b", map[string]string{"api.py": handlerModule("b"), "extra.py": "def unrelated():\n    return 0\n"})
	api.Sandbox("enh-bad", map[string]string{"api.py": "import socket\n\n\ndef handler():\n    return socket.gethostname()\n"})
	api.Sandbox("enh-nohandler", map[string]string{"api.py": "def helper():\n    return 1\n"})
	api.Sandbox("enh-noapi", map[string]string{"improvements.py": handlerModule("noapi")})

	rep := autoEnhance(t, api, "/self-improve/auto-enhance")
	rep.expect(t, map[string][]string{
		"loaded": {"enh-a", "enh-b"}, "rejected": {"enh-bad"}, "skipped": {"enh-nohandler"},
	})
	// Both sandboxes define handler: one holds the short path, the other is
	// served at its long path, and both answer where the report says.
	paths := map[string]string{}
	for _, h := range []string{"enh-a", "enh-b"} {
		it := rep["loaded"][h]
		paths[h], _ = it["endpoint_path"].(string)
		if it["function_name"] != "handler" || it["module_id"] == nil {
			t.Errorf("loaded entry of %s: %v", h, it)
		}
	}
	short, long := "enh-a", "enh-b"
	if paths["enh-b"] == "/improved/api/handler" {
		short, long = long, short
	}
	if paths[short] != "/improved/api/handler" || paths[long] != "/improved/api/"+long+"/handler" {
		t.Fatalf("endpoint paths: %v", paths)
	}
	if reason, _ := rep["loaded"][long]["reason"].(string); !strings.Contains(reason, "/improved/api/handler") {
		t.Errorf("the long-path sandbox is not told why: %q", reason)
	}
	call := func(path, tag string) {
		t.Helper()
		r := api.Call("GET", path+"?name=ada", nil)
		expect(t, r, http.StatusOK, "")
		if r.JSON["sandbox"] != tag || r.JSON["greeting"] != "hello ada" {
			t.Errorf("GET %s: %s, want sandbox %s", path, r, tag)
		}
	}
	call("/improved/api/handler", strings.TrimPrefix(short, "enh-"))
	call("/improved/api/"+short+"/handler", strings.TrimPrefix(short, "enh-"))
	call("/improved/api/"+long+"/handler", strings.TrimPrefix(long, "enh-"))

	bad := rep["rejected"]["enh-bad"]
	if bad["code"] != "rejected" || bad["status"] != 422.0 {
		t.Errorf("rejected entry: %v", bad)
	}
	vs := violations(t, bad["violations"])
	if len(vs) != 1 || vs[0] != (violation{"banned-import", 1, 0}) {
		t.Errorf("violations of enh-bad: %v", vs)
	}
	if reason, _ := rep["skipped"]["enh-nohandler"]["reason"].(string); !strings.Contains(reason, "handler") {
		t.Errorf("skipped reason: %q", reason)
	}

	st := api.Do("GET", "/self-improve/status", nil, "")
	apis, _ := st.JSON["api_improvements"].([]any)
	if st.JSON["total_loaded"] != 2.0 || len(apis) != 2 {
		t.Fatalf("status after auto-enhance: %s", st)
	}
	for _, it := range apis {
		m := it.(map[string]any)
		if m["improvement_type"] != "api" || m["function_name"] != "handler" || m["module_name"] != "api" {
			t.Errorf("status item: %v", m)
		}
	}

	// Nothing changed: nothing is reloaded. A file api.py does not import
	// is no change either.
	before := functionIDs(t, api)
	api.Sandbox("enh-a", map[string]string{"notes.py": "NOTES = []\n"})
	rep = autoEnhance(t, api, "/self-improve/auto-enhance")
	rep.expect(t, map[string][]string{
		"unchanged": {"enh-a", "enh-b"}, "rejected": {"enh-bad"}, "skipped": {"enh-nohandler"},
	})
	if got := functionIDs(t, api); !reflect.DeepEqual(got, before) {
		t.Errorf("instances changed on an unchanged run: %v -> %v", before, got)
	}
	for h, p := range paths {
		if rep["unchanged"][h]["endpoint_path"] != p {
			t.Errorf("unchanged entry of %s: %v", h, rep["unchanged"][h])
		}
	}

	// Editing one api.py reloads that one only; it keeps its path.
	api.Sandbox(long, map[string]string{"api.py": handlerModule("edited")})
	rep = autoEnhance(t, api, "/self-improve/auto-enhance")
	rep.expect(t, map[string][]string{
		"loaded": {long}, "unchanged": {short}, "rejected": {"enh-bad"}, "skipped": {"enh-nohandler"},
	})
	if rep["loaded"][long]["endpoint_path"] != paths[long] {
		t.Errorf("edited sandbox moved: %v", rep["loaded"][long])
	}
	call(paths[long], "edited")
	call("/improved/api/handler", strings.TrimPrefix(short, "enh-"))

	// Fixing the rejected sandbox loads it, at its long path.
	api.Sandbox("enh-bad", map[string]string{"api.py": handlerModule("fixed")})
	rep = autoEnhance(t, api, "/self-improve/auto-enhance")
	rep.expect(t, map[string][]string{
		"loaded": {"enh-bad"}, "unchanged": {"enh-a", "enh-b"}, "skipped": {"enh-nohandler"},
	})
	call("/improved/api/enh-bad/handler", "fixed")
	if n := totalLoaded(t, api); n != 3 {
		t.Errorf("total_loaded %v, want 3", n)
	}
	healthy(t, api)
}

// functionIDs lists the running function containers, sorted.
func functionIDs(t *testing.T, api *API) []string {
	t.Helper()
	var ids []string
	for _, c := range containers(t, api.Namespace, "function") {
		if c.State == "running" {
			ids = append(ids, c.ID)
		}
	}
	sort.Strings(ids)
	return ids
}

func TestLegacyPaths(t *testing.T) {
	t.Parallel()
	api := StartAPI(t, Options{})
	const hash = "legacy01"
	api.Sandbox(hash, map[string]string{"basic.py": echoModule, "api.py": handlerModule("legacy")})

	r := api.Do("POST", "/sandbox/load", loadReq(hash, "echo", "basic", "scan"), testKey)
	expect(t, r, http.StatusOK, "")
	for k, want := range map[string]any{
		"status": "success", "function_loaded": true, "endpoint_path": "/improved/scan/echo",
		"visible_pixel_hash": hash, "function_name": "echo", "improvement_type": "scan", "module_name": "basic",
	} {
		if r.JSON[k] != want {
			t.Errorf("/sandbox/load %s = %v, want %v", k, r.JSON[k], want)
		}
	}
	c := api.Call("GET", "/improved/scan/echo?text=ab&n=2", nil)
	expect(t, c, http.StatusOK, "")
	if c.JSON["text"] != "abab" {
		t.Errorf("echo: %s", c)
	}
	expect(t, api.Do("POST", "/sandbox/load", loadReq("nosuchsandbox", "echo", "basic", "scan"), testKey),
		http.StatusNotFound, "sandbox_not_found")
	expect(t, api.Do("POST", "/sandbox/load", `{"visible_pixel_hash": "../x"}`, testKey), http.StatusBadRequest, "invalid_request")

	// auto-load is auto-enhance: it and the new path share one state.
	rep := autoEnhance(t, api, "/sandbox/auto-load")
	rep.expect(t, map[string][]string{"loaded": {hash}})
	if rep["loaded"][hash]["endpoint_path"] != "/improved/api/handler" {
		t.Errorf("auto-load entry: %v", rep["loaded"][hash])
	}
	autoEnhance(t, api, "/self-improve/auto-enhance").expect(t, map[string][]string{"unchanged": {hash}})
	if c := api.Call("GET", "/improved/api/handler", nil); c.JSON["sandbox"] != "legacy" {
		t.Errorf("handler: %s", c)
	}

	// Both status paths tell the same.
	strip := func(r Response) map[string]any {
		expect(t, r, http.StatusOK, "")
		delete(r.JSON, "timestamp")
		return r.JSON
	}
	legacy := strip(api.Do("GET", "/sandbox/status", nil, ""))
	current := strip(api.Do("GET", "/self-improve/status", nil, ""))
	if !reflect.DeepEqual(legacy, current) {
		t.Errorf("/sandbox/status differs from /self-improve/status:\n%v\n%v", legacy, current)
	}
	if legacy["total_loaded"] != 2.0 || legacy["status"] != "active" {
		t.Errorf("/sandbox/status: %v", legacy)
	}

	r = api.Do("DELETE", "/sandbox/unload/"+hash+"/echo", nil, testKey)
	expect(t, r, http.StatusOK, "")
	if r.Str("status") != "success" || r.JSON["function_unloaded"] != true || r.Str("function_name") != "echo" {
		t.Errorf("/sandbox/unload: %s", r)
	}
	expect(t, api.Call("GET", "/improved/scan/echo", nil), http.StatusNotFound, "route_not_found")
	expect(t, api.Do("DELETE", "/sandbox/unload/"+hash+"/echo", nil, testKey), http.StatusNotFound, "function_not_found")
	expect(t, api.Do("DELETE", "/self-improve/unload/"+hash+"/handler", nil, testKey), http.StatusOK, "")
	if n := totalLoaded(t, api); n != 0 {
		t.Errorf("total_loaded %v after unloading both", n)
	}
	if ids := functionIDs(t, api); len(ids) != 0 {
		t.Errorf("%d function containers after unloading both", len(ids))
	}
	healthy(t, api)
}
