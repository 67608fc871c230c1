package integration

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"stargate/platform/redis/redistest"
)

const improvements = `
"""Agent improvements for the scanner."""
import json
import math


def enhanced_scan(data: str, threshold: float = 0.5, tags: list = None):
    """Scores a payload by its character entropy."""
    counts = {}
    for ch in data:
        counts[ch] = counts.get(ch, 0) + 1
    n = len(data) or 1
    entropy = -sum(c / n * math.log2(c / n) for c in counts.values())
    return {"entropy": round(entropy, 4), "suspicious": entropy > threshold, "tags": tags or []}


def add(a: int, b: int = 2) -> int:
    return a + b


if __name__ == "__main__":
    print(json.dumps(enhanced_scan("hello")))
`

// stores runs a test against the embedded store and against Redis.
func stores(t *testing.T, test func(t *testing.T, opts Options)) {
	t.Run("embedded", func(t *testing.T) {
		t.Parallel()
		test(t, Options{})
	})
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		_, url := redistest.Start(t)
		test(t, Options{RedisURL: url})
	})
}

func TestLoadCallStatusUnload(t *testing.T) {
	stores(t, func(t *testing.T, opts Options) {
		api := StartAPI(t, opts)
		hash := "abcdef1234567890"
		api.Sandbox(hash, map[string]string{"improvements.py": improvements})

		r := api.Load(map[string]any{
			"visible_pixel_hash": hash,
			"function_name":      "enhanced_scan",
			"module_name":        "improvements",
			"improvement_type":   "scan",
		})
		for key, want := range map[string]any{
			"status": "success", "function_loaded": true, "endpoint_path": "/improved/scan/enhanced_scan",
			"visible_pixel_hash": hash, "function_name": "enhanced_scan", "improvement_type": "scan",
		} {
			if r.JSON[key] != want {
				t.Errorf("load answer %s = %v, want %v", key, r.JSON[key], want)
			}
		}
		if _, err := time.Parse(time.RFC3339, r.Str("loaded_at")); err != nil {
			t.Errorf("loaded_at %q is not RFC 3339", r.Str("loaded_at"))
		}
		if r.Str("module_id") == "" {
			t.Error("no module_id")
		}

		// Query parameters, converted by annotation.
		c := api.Call("GET", "/improved/scan/enhanced_scan?data=aabb&threshold=0.9", nil)
		expect(t, c, 200, "")
		if c.JSON["entropy"] != 1.0 || c.JSON["suspicious"] != true {
			t.Errorf("GET call: %s", c)
		}
		// JSON body; the long path reaches the same function.
		c = api.Call("POST", "/improved/scan/"+hash+"/enhanced_scan", map[string]any{"data": "aaaa", "tags": []string{"x"}})
		expect(t, c, 200, "")
		if c.JSON["entropy"] != 0.0 || c.JSON["suspicious"] != false || fmt.Sprint(c.JSON["tags"]) != "[x]" {
			t.Errorf("POST call: %s", c)
		}

		st := api.Do("GET", "/self-improve/status", nil, "")
		expect(t, st, 200, "")
		if st.JSON["total_loaded"] != 1.0 || st.JSON["status"] != "active" {
			t.Errorf("status: %s", st)
		}
		scans, _ := st.JSON["scan_improvements"].([]any)
		if len(scans) != 1 {
			t.Fatalf("scan_improvements: %s", st)
		}
		item := scans[0].(map[string]any)
		if item["function_name"] != "enhanced_scan" || item["visible_pixel_hash"] != hash ||
			item["instances"] != 1.0 || item["invocations"] != 2.0 {
			t.Errorf("status item: %v", item)
		}
		for _, k := range []string{"module_id", "endpoint_path", "loaded_at"} {
			if item[k] == nil {
				t.Errorf("status item lacks %s", k)
			}
		}

		doc := api.Do("GET", "/openapi.json", nil, "")
		if !strings.Contains(string(doc.Body), `"/improved/scan/enhanced_scan"`) ||
			!strings.Contains(string(doc.Body), "Scores a payload by its character entropy.") {
			t.Errorf("openapi lacks the function: %.400s", doc.Body)
		}

		u := api.Do("DELETE", "/self-improve/unload/"+hash+"/enhanced_scan", nil, testKey)
		expect(t, u, 200, "")
		expect(t, api.Call("GET", "/improved/scan/enhanced_scan?data=x", nil), 404, "route_not_found")
		if n := len(containers(t, api.Namespace, "function")); n != 0 {
			t.Errorf("%d function containers remain after unload", n)
		}
		doc = api.Do("GET", "/openapi.json", nil, "")
		if strings.Contains(string(doc.Body), "enhanced_scan") {
			t.Error("openapi still documents the unloaded function")
		}
		expect(t, api.Do("DELETE", "/self-improve/unload/"+hash+"/enhanced_scan", nil, testKey), 404, "function_not_found")
	})
}

func TestRootAndHealth(t *testing.T) {
	api := StartAPI(t, Options{})
	r := api.Do("GET", "/", nil, "")
	expect(t, r, 200, "")
	eps, _ := r.JSON["endpoints"].(map[string]any)
	si, _ := r.JSON["self_improvement"].(map[string]any)
	if eps["load"] == nil || eps["auto_enhance"] == nil || si["enabled"] != true || si["loaded_functions"] != 0.0 ||
		si["auto_enhancement_available"] != true {
		t.Errorf("root: %s", r)
	}
	h := api.Do("GET", "/health", nil, "")
	expect(t, h, http.StatusOK, "")
	comps, _ := h.JSON["components"].(map[string]any)
	for _, name := range []string{"engine", "store", "checker"} {
		c, _ := comps[name].(map[string]any)
		if c["ok"] != true {
			t.Errorf("health %s: %v", name, comps[name])
		}
	}
}
