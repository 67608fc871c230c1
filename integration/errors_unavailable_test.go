package integration

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
)

// The error contract, part three: 503 when the key is not configured or the
// checker cannot be reached, and recovery when the checker comes back.

func TestErrorsNoKeyConfigured(t *testing.T) {
	t.Parallel()
	api := StartAPI(t, Options{NoKey: true})
	const hash = "nokey01"
	api.Sandbox(hash, map[string]string{"basic.py": echoModule, "api.py": "def handler():\n    return 1\n"})
	writes := writeEndpoints(hash)
	for _, w := range writes {
		// With or without a key: there is none to compare it with.
		for _, key := range []string{"", testKey} {
			r := api.Do(w.method, w.path, w.body, key)
			if r.Status != http.StatusServiceUnavailable || r.Str("code") != "not_configured" || r.Str("status") != "error" {
				t.Errorf("%s %s (key %q): want 503 not_configured, got %s", w.method, w.path, key, r)
				continue
			}
			if !strings.Contains(r.Str("message"), "STARGATE_API_KEY") {
				t.Errorf("%s %s: message does not name STARGATE_API_KEY: %q", w.method, w.path, r.Str("message"))
			}
		}
	}
	for _, path := range []string{"/", "/health", "/self-improve/status", "/sandbox/status", "/openapi.json"} {
		expect(t, api.Do("GET", path, nil, ""), http.StatusOK, "")
	}
	root := api.Do("GET", "/", nil, "")
	if si, _ := root.JSON["self_improvement"].(map[string]any); si["enabled"] != false || si["auto_enhancement_available"] != false {
		t.Errorf("root without a key: %s", root)
	}
	st := api.Do("GET", "/self-improve/status", nil, "")
	if st.JSON["self_improvement_enabled"] != false || st.JSON["total_loaded"] != 0.0 {
		t.Errorf("status without a key: %s", st)
	}
	if h := api.Do("GET", "/health", nil, ""); h.Str("status") != "ok" {
		t.Errorf("health without a key: %s", h)
	}
	expect(t, api.Call("GET", "/improved/scan/echo", nil), http.StatusNotFound, "route_not_found")
	if n := len(containers(t, api.Namespace, "function")); n != 0 {
		t.Errorf("%d function containers without a key", n)
	}
	healthy(t, api)
}

func TestErrorsCheckerUnreachable(t *testing.T) {
	t.Parallel()
	socket := filepath.Join(t.TempDir(), "nowhere", "checker.sock")
	api := StartAPI(t, Options{Env: map[string]string{"STARGATE_CHECKER_SOCKET": socket}})
	const hash = "nochecker01"
	api.Sandbox(hash, map[string]string{"basic.py": echoModule, "api.py": "def handler():\n    return 1\n"})

	r := api.Do("POST", "/self-improve/load", loadReq(hash, "echo", "basic", "scan"), testKey)
	expect(t, r, http.StatusServiceUnavailable, "unavailable")
	if !strings.Contains(r.Str("message"), "checker") {
		t.Errorf("message does not say the checker is down: %q", r.Str("message"))
	}
	if strings.Contains(string(r.Body), socket) {
		t.Errorf("the answer names the host socket path: %s", r)
	}
	expect(t, api.Do("POST", "/self-improve/auto-enhance", nil, testKey), http.StatusServiceUnavailable, "unavailable")

	h := api.Do("GET", "/health", nil, "")
	expect(t, h, http.StatusOK, "")
	comps, _ := h.JSON["components"].(map[string]any)
	checker, _ := comps["checker"].(map[string]any)
	engine, _ := comps["engine"].(map[string]any)
	store, _ := comps["store"].(map[string]any)
	if h.Str("status") != "degraded" || checker["ok"] != false || checker["error"] == nil ||
		engine["ok"] != true || store["ok"] != true {
		t.Errorf("health with the checker down: %s", h)
	}
	if n := len(containers(t, api.Namespace, "function")); n != 0 {
		t.Errorf("%d function containers started without a checker", n)
	}
	if n := totalLoaded(t, api); n != 0 {
		t.Errorf("total_loaded %v without a checker", n)
	}
}

func TestErrorsCheckerRestarts(t *testing.T) {
	t.Parallel()
	api := StartAPI(t, Options{})
	const hash = "checkerdies01"
	api.Sandbox(hash, map[string]string{"basic.py": echoModule})
	api.Load(loadReq(hash, "echo", "basic", "scan"))

	checkers := containers(t, api.Namespace, "checker")
	if len(checkers) != 1 || checkers[0].State != "running" {
		t.Fatalf("want one running checker, got %v", checkers)
	}
	old := checkers[0].ID
	if err := dockerClient(t).ContainerKill(context.Background(), old, "KILL"); err != nil {
		t.Fatal(err)
	}

	// While the checker is down, loads answer 503 (never anything else) and
	// loaded functions keep serving; within seconds loads work again.
	deadline := time.Now().Add(15 * time.Second)
	var r Response
	outage := 0
	for time.Now().Before(deadline) {
		r = api.Do("POST", "/self-improve/load", loadReq(hash, "echo", "basic", "scan"), testKey)
		if r.Status == http.StatusOK {
			break
		}
		outage++
		expect(t, r, http.StatusServiceUnavailable, "unavailable")
		c := api.Call("GET", "/improved/scan/echo?text=up", nil)
		if c.Status != http.StatusOK || c.JSON["text"] != "up" {
			t.Errorf("call during the checker outage: %s", c)
		}
		time.Sleep(250 * time.Millisecond)
	}
	expect(t, r, http.StatusOK, "")
	t.Logf("loads refused during the outage: %d", outage)

	checkers = containers(t, api.Namespace, "checker")
	var running []container.Summary
	for _, c := range checkers {
		if c.State == "running" {
			running = append(running, c)
		}
	}
	if len(running) != 1 || running[0].ID == old {
		t.Errorf("want one new running checker, got %v (old %.12s)", running, old)
	}
	// A rejection still comes from the new checker: nothing unchecked runs.
	api.Sandbox(hash, map[string]string{"evil.py": "import socket\n\n\ndef f():\n    return 1\n"})
	expect(t, api.Do("POST", "/self-improve/load", loadReq(hash, "f", "evil", "scan"), testKey), http.StatusUnprocessableEntity, "rejected")
	deadline = time.Now().Add(5 * time.Second)
	for api.Do("GET", "/health", nil, "").Str("status") != "ok" && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if h := api.Do("GET", "/health", nil, ""); h.Str("status") != "ok" {
		t.Errorf("health after the checker came back: %s", h)
	}
	healthy(t, api)
}
