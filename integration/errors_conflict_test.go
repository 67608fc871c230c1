package integration

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// The error contract, continued: conflicts over short paths (409) and
// bodies over the limit (413).

func TestErrorsConflict(t *testing.T) {
	t.Parallel()
	api := StartAPI(t, Options{})
	owner := func(name string) string {
		return fmt.Sprintf("def detect(x: int = 0):\n    return {\"owner\": %q, \"x\": x}\n", name)
	}
	api.Sandbox("ownera", map[string]string{"det.py": owner("a")})
	api.Sandbox("ownerb", map[string]string{"det.py": owner("b")})
	api.Load(loadReq("ownera", "detect", "det", "scan"))

	r := api.Do("POST", "/self-improve/load", loadReq("ownerb", "detect", "det", "scan"), testKey)
	expect(t, r, http.StatusConflict, "conflict")
	d := details(r)
	if d["visible_pixel_hash"] != "ownera" || d["function_name"] != "detect" || d["path"] != "/improved/scan/detect" {
		t.Errorf("conflict details: %s", r)
	}
	if !strings.Contains(r.Str("message"), "ownera") {
		t.Errorf("conflict message does not name the owner: %s", r)
	}
	// Nothing changed: A still answers, B is nowhere.
	c := api.Call("GET", "/improved/scan/detect?x=1", nil)
	expect(t, c, http.StatusOK, "")
	if c.JSON["owner"] != "a" {
		t.Errorf("short path after the conflict: %s", c)
	}
	expect(t, api.Call("GET", "/improved/scan/ownerb/detect", nil), http.StatusNotFound, "route_not_found")
	st := api.Do("GET", "/self-improve/status", nil, "")
	scans, _ := st.JSON["scan_improvements"].([]any)
	if st.JSON["total_loaded"] != 1.0 || len(scans) != 1 || scans[0].(map[string]any)["visible_pixel_hash"] != "ownera" {
		t.Errorf("status after the conflict: %s", st)
	}
	if n := len(containers(t, api.Namespace, "function")); n != 1 {
		t.Errorf("%d function containers after the conflict, want 1", n)
	}
	// Reloading the owner is no conflict; B under another type is none either.
	api.Load(loadReq("ownera", "detect", "det", "scan"))
	r = api.Load(loadReq("ownerb", "detect", "det", "agent"))
	if r.Str("endpoint_path") != "/improved/agent/detect" {
		t.Errorf("B as agent: %s", r)
	}
	if c := api.Call("GET", "/improved/agent/detect", nil); c.JSON["owner"] != "b" {
		t.Errorf("agent path: %s", c)
	}
	if c := api.Call("GET", "/improved/scan/detect", nil); c.JSON["owner"] != "a" {
		t.Errorf("scan path: %s", c)
	}
	if n := totalLoaded(t, api); n != 2 {
		t.Errorf("total_loaded = %v, want 2", n)
	}

	// Two modules define the function and module_name is absent.
	api.Sandbox("twomods", map[string]string{
		"one.py": "def shared():\n    return 1\n",
		"two.py": "def shared():\n    return 2\n",
	})
	r = api.Do("POST", "/self-improve/load", loadReq("twomods", "shared", "", "scan"), testKey)
	expect(t, r, http.StatusConflict, "conflict")
	if msg := r.Str("message"); !strings.Contains(msg, "one") || !strings.Contains(msg, "two") || !strings.Contains(msg, "module_name") {
		t.Errorf("ambiguous module message: %q", msg)
	}
	r = api.Load(loadReq("twomods", "shared", "two", "scan"))
	if c := api.Call("GET", r.Str("endpoint_path"), nil); string(c.Body) != "2" {
		t.Errorf("shared from two.py: %s", c)
	}

	// Sandboxes racing for one short path: exactly one wins, the others
	// are told who, and only the winner runs.
	racers := []string{"racea", "raceb", "racec", "raced"}
	for _, h := range racers {
		api.Sandbox(h, map[string]string{"m.py": fmt.Sprintf("def race():\n    return %q\n", h)})
	}
	answers := make([]Response, len(racers))
	var wg sync.WaitGroup
	for i, h := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = api.Do("POST", "/self-improve/load", loadReq(h, "race", "m", "scan"), testKey)
		}()
	}
	wg.Wait()
	winner := ""
	for i, a := range answers {
		switch a.Status {
		case http.StatusOK:
			if winner != "" {
				t.Errorf("both %s and %s won the race", winner, racers[i])
			}
			winner = racers[i]
		case http.StatusConflict:
		default:
			t.Errorf("racer %s: %s", racers[i], a)
		}
	}
	for i, a := range answers {
		if a.Status == http.StatusConflict && details(a)["visible_pixel_hash"] != winner {
			t.Errorf("racer %s told the owner is %v, the winner is %s", racers[i], details(a)["visible_pixel_hash"], winner)
		}
	}
	if c := api.Call("GET", "/improved/scan/race", nil); string(c.Body) != fmt.Sprintf("%q", winner) {
		t.Errorf("race path answers %s, winner %s", c.Body, winner)
	}
	if n := totalLoaded(t, api); n != 4 {
		t.Errorf("total_loaded %v after the race, want 4", n)
	}
	if n := len(containers(t, api.Namespace, "function")); n != 4 {
		t.Errorf("%d function containers after the race, want 4", n)
	}
	healthy(t, api)
}

func TestErrorsTooLarge(t *testing.T) {
	t.Parallel()
	api := StartAPI(t, Options{Env: map[string]string{"STARGATE_MAX_BODY_BYTES": "4096"}})
	const hash = "toolarge01"
	api.Sandbox(hash, map[string]string{"basic.py": echoModule})
	api.Load(loadReq(hash, "echo", "basic", "scan"))

	big := loadReq(hash, "echo", "basic", "scan")
	big["padding"] = strings.Repeat("x", 5000)
	r := api.Do("POST", "/self-improve/load", big, testKey)
	expect(t, r, http.StatusRequestEntityTooLarge, "too_large")
	if !strings.Contains(r.Str("message"), "4096") {
		t.Errorf("message does not give the limit: %s", r)
	}

	r = api.Call("POST", "/improved/scan/echo", map[string]any{"text": strings.Repeat("y", 5000)})
	expect(t, r, http.StatusRequestEntityTooLarge, "too_large")
	r = api.Call("POST", "/improved/scan/"+hash+"/echo", strings.Repeat(" ", 8<<10))
	expect(t, r, http.StatusRequestEntityTooLarge, "too_large")

	// Just under the limit is served.
	text := strings.Repeat("z", 4000)
	r = api.Call("POST", "/improved/scan/echo", map[string]any{"text": text})
	expect(t, r, http.StatusOK, "")
	if r.JSON["text"] != text {
		t.Errorf("echo under the limit: %.80s", r.Body)
	}
	healthy(t, api)
}

// A body well over the limit still gets its 413: the server closes
// lingering instead of resetting the connection with the body unread.
func TestErrorsTooLargeBigUpload(t *testing.T) {
	t.Parallel()
	api := StartAPI(t, Options{Env: map[string]string{"STARGATE_MAX_BODY_BYTES": "4096"}})
	body := `{"padding": "` + strings.Repeat("x", 1<<20) + `"}`
	resets := 0
	for i := 0; i < 20; i++ {
		req, err := http.NewRequest("POST", api.URL+"/self-improve/load", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+testKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			resets++
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("upload %d: status %d, want 413", i, resp.StatusCode)
		}
	}
	if resets > 0 {
		t.Errorf("%d of 20 uploads of 1 MiB over a 4 KiB limit got a connection error instead of 413", resets)
	}
	healthy(t, api)
}
