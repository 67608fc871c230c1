package api

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"stargate/platform"
	"stargate/platform/controller"
	"stargate/platform/gateway"
)

const validLoad = `{"visible_pixel_hash":"h1","function_name":"double","improvement_type":"api"}`

// recordLoad returns Functions whose Load records the request and answers
// sample().
func recordLoad(got *[]controller.LoadRequest) *fakeFunctions {
	return &fakeFunctions{load: func(_ context.Context, req controller.LoadRequest) (platform.Function, error) {
		*got = append(*got, req)
		return sample(), nil
	}}
}

func TestLoadBody(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		want      controller.LoadRequest
		wantField string // the field a 400 names; empty for success
		wantMsg   string
	}{
		{"minimal", validLoad, controller.LoadRequest{Hash: "h1", Function: "double", Type: "api"}, "", ""},
		{"every field", `{"visible_pixel_hash":"h1","function_name":"double","module_name":"api","improvement_type":"scan","timeout_seconds":60,"memory_mb":256}`,
			controller.LoadRequest{Hash: "h1", Function: "double", Module: "api", Type: "scan", TimeoutSeconds: 60, MemoryMB: 256}, "", ""},
		{"function_type alias", `{"visible_pixel_hash":"h1","function_name":"f","function_type":"agent"}`,
			controller.LoadRequest{Hash: "h1", Function: "f", Type: "agent"}, "", ""},
		{"both agreeing", `{"visible_pixel_hash":"h1","function_name":"f","function_type":"agent","improvement_type":"agent"}`,
			controller.LoadRequest{Hash: "h1", Function: "f", Type: "agent"}, "", ""},
		{"extra fields ignored", `{"visible_pixel_hash":"h1","function_name":"f","improvement_type":"api","extra":[1,{"a":null}],"priority":9}`,
			controller.LoadRequest{Hash: "h1", Function: "f", Type: "api"}, "", ""},
		{"surrounding space", " \n\t" + validLoad + "\r\n ", controller.LoadRequest{Hash: "h1", Function: "double", Type: "api"}, "", ""},

		{"both disagreeing", `{"visible_pixel_hash":"h1","function_name":"f","function_type":"agent","improvement_type":"scan"}`, controller.LoadRequest{}, "improvement_type", "disagree"},
		{"no hash", `{"function_name":"f","improvement_type":"api"}`, controller.LoadRequest{}, "visible_pixel_hash", "required"},
		{"null hash", `{"visible_pixel_hash":null,"function_name":"f","improvement_type":"api"}`, controller.LoadRequest{}, "visible_pixel_hash", "required"},
		{"no function", `{"visible_pixel_hash":"h1","improvement_type":"api"}`, controller.LoadRequest{}, "function_name", "required"},
		{"no type", `{"visible_pixel_hash":"h1","function_name":"f"}`, controller.LoadRequest{}, "improvement_type", "required"},
		{"empty module", `{"visible_pixel_hash":"h1","function_name":"f","improvement_type":"api","module_name":""}`, controller.LoadRequest{}, "module_name", "empty"},
		{"zero timeout", `{"visible_pixel_hash":"h1","function_name":"f","improvement_type":"api","timeout_seconds":0}`, controller.LoadRequest{}, "timeout_seconds", "at least 1"},
		{"negative memory", `{"visible_pixel_hash":"h1","function_name":"f","improvement_type":"api","memory_mb":-5}`, controller.LoadRequest{}, "memory_mb", "positive"},
		{"hash a number", `{"visible_pixel_hash":5,"function_name":"f","improvement_type":"api"}`, controller.LoadRequest{}, "visible_pixel_hash", "string"},
		{"function a list", `{"visible_pixel_hash":"h1","function_name":["f"],"improvement_type":"api"}`, controller.LoadRequest{}, "function_name", "string"},
		{"type a bool", `{"visible_pixel_hash":"h1","function_name":"f","improvement_type":true}`, controller.LoadRequest{}, "improvement_type", "string"},
		{"timeout a string", `{"visible_pixel_hash":"h1","function_name":"f","improvement_type":"api","timeout_seconds":"30"}`, controller.LoadRequest{}, "timeout_seconds", "integer"},
		{"timeout a fraction", `{"visible_pixel_hash":"h1","function_name":"f","improvement_type":"api","timeout_seconds":1.5}`, controller.LoadRequest{}, "timeout_seconds", "integer"},
		{"memory overflowing", `{"visible_pixel_hash":"h1","function_name":"f","improvement_type":"api","memory_mb":1e400}`, controller.LoadRequest{}, "memory_mb", "integer"},
		{"memory an object", `{"visible_pixel_hash":"h1","function_name":"f","improvement_type":"api","memory_mb":{}}`, controller.LoadRequest{}, "memory_mb", "integer"},
		{"trailing garbage", validLoad + ` x`, controller.LoadRequest{}, "body", "more than one"},
		{"two objects", validLoad + validLoad, controller.LoadRequest{}, "body", "more than one"},
		{"trailing bracket", validLoad + `]`, controller.LoadRequest{}, "body", "more than one"},
		{"unterminated", `{"visible_pixel_hash":"h1"`, controller.LoadRequest{}, "body", "JSON"},
		{"syntax error", `{"visible_pixel_hash" "h1"}`, controller.LoadRequest{}, "body", "JSON"},
		{"array", `[` + validLoad + `]`, controller.LoadRequest{}, "body", "object"},
		{"string", `"h1"`, controller.LoadRequest{}, "body", "object"},
		{"null", `null`, controller.LoadRequest{}, "body", "object"},
		{"empty", ``, controller.LoadRequest{}, "body", "empty"},
		{"only space", "  \n ", controller.LoadRequest{}, "body", "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []controller.LoadRequest
			s := newServer(recordLoad(&got))
			resp := do(s.Handler(), "POST", "/self-improve/load", tt.body, bearer(testKey)...)
			if tt.wantField != "" {
				if resp.StatusCode() != 400 {
					t.Fatalf("status = %d, want 400: %s", resp.StatusCode(), resp.Body())
				}
				e := decodeError(t, resp)
				if want := `{"field":"` + tt.wantField + `"}`; string(e.Details) != want || !strings.Contains(e.Message, tt.wantMsg) {
					t.Errorf("error = %q %s, want field %s and %q", e.Message, e.Details, tt.wantField, tt.wantMsg)
				}
				if len(got) != 0 {
					t.Errorf("Load was called with %+v", got)
				}
				return
			}
			if resp.StatusCode() != 200 {
				t.Fatalf("status = %d: %s", resp.StatusCode(), resp.Body())
			}
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("Load got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestLoadAnswer(t *testing.T) {
	var got []controller.LoadRequest
	s := newServer(recordLoad(&got))
	for _, path := range []string{"/self-improve/load", "/sandbox/load"} {
		resp := do(s.Handler(), "POST", path, validLoad, bearer(testKey)...)
		if resp.StatusCode() != 200 {
			t.Fatalf("%s: status %d: %s", path, resp.StatusCode(), resp.Body())
		}
		m := decodeMap(t, resp)
		want := map[string]any{
			"status":             "success",
			"function_loaded":    true,
			"endpoint_path":      "/improved/api/double",
			"module_id":          "h1/api@0123456789ab",
			"visible_pixel_hash": "h1",
			"function_name":      "double",
			"improvement_type":   "api",
			"loaded_at":          "2025-01-02T03:04:05Z",
			"timeout_seconds":    float64(30),
			"memory_mb":          float64(128),
		}
		for k, v := range want {
			if m[k] != v {
				t.Errorf("%s: %s = %#v, want %#v", path, k, m[k], v)
			}
		}
		if paths, _ := m["paths"].([]any); len(paths) != 2 {
			t.Errorf("paths = %v, want short and long", m["paths"])
		}
	}
	if len(got) != 2 {
		t.Errorf("Load called %d times, want 2", len(got))
	}
}

func TestUnload(t *testing.T) {
	var keys []platform.FunctionKey
	s := newServer(&fakeFunctions{unload: func(_ context.Context, key platform.FunctionKey) error {
		// Copied: see TestUnloadKeyOutlivesRequest.
		keys = append(keys, platform.FunctionKey{Hash: strings.Clone(key.Hash), Name: strings.Clone(key.Name)})
		if key.Name == "missing" {
			return platform.ErrFunctionNotFound
		}
		return nil
	}})
	resp := do(s.Handler(), "DELETE", "/self-improve/unload/h1/double", "", bearer(testKey)...)
	if resp.StatusCode() != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode(), resp.Body())
	}
	if m := decodeMap(t, resp); m["function_unloaded"] != true || m["visible_pixel_hash"] != "h1" || m["function_name"] != "double" {
		t.Errorf("answer = %v", m)
	}
	resp = do(s.Handler(), "DELETE", "/sandbox/unload/h1/missing", "", bearer(testKey)...)
	if resp.StatusCode() != 404 || decodeError(t, resp).Code != "function_not_found" {
		t.Errorf("unload of nothing = %d %s, want 404 function_not_found", resp.StatusCode(), resp.Body())
	}
	want := []platform.FunctionKey{{Hash: "h1", Name: "double"}, {Hash: "h1", Name: "missing"}}
	if len(keys) != 2 || keys[0] != want[0] || keys[1] != want[1] {
		t.Errorf("Unload got %v, want %v", keys, want)
	}
	resp = do(s.Handler(), "DELETE", "/self-improve/unload/h1", "", bearer(testKey)...)
	if resp.StatusCode() != 404 {
		t.Errorf("unload without a function = %d, want 404", resp.StatusCode())
	}
}

// Functions.Unload may keep the key it is given (the controller keys a
// mutex map with it, which outlives the request while another caller waits
// on the same function): the key must not change once the request ends.
func TestUnloadKeyOutlivesRequest(t *testing.T) {
	var kept []platform.FunctionKey
	s := newServer(&fakeFunctions{unload: func(_ context.Context, key platform.FunctionKey) error {
		kept = append(kept, key)
		return nil
	}})
	// Fiber pools its request state; under the race detector sync.Pool
	// drops some of what is put back, so try a few rounds.
	for range 10 {
		kept = kept[:0]
		do(s.Handler(), "DELETE", "/self-improve/unload/h1/double", "", bearer(testKey)...)
		for range 5 {
			do(s.Handler(), "DELETE", "/sandbox/unload/zzzzzzzzzzzz/yyyyyyyyyyyy", "", bearer(testKey)...)
		}
		if got, want := kept[0], (platform.FunctionKey{Hash: "h1", Name: "double"}); got != want {
			// The key must outlive the request: the controller keeps it
			// (Fiber runs with Immutable, so params are copies).
			t.Fatalf("the key Unload got became %v after the request ended, want %v", got, want)
		}
	}
}

func TestStatus(t *testing.T) {
	scan := sample()
	scan.Type, scan.Name = platform.TypeScan, "look"
	api := sample()
	s := newServer(&fakeFunctions{status: func() []controller.FunctionStatus {
		return []controller.FunctionStatus{
			{Function: scan, Stats: gateway.Stats{Instances: 1, Invocations: 7, Errors: 2, Timeouts: 1}},
			{Function: api},
		}
	}})
	for _, path := range []string{"/self-improve/status", "/sandbox/status"} {
		resp := do(s.Handler(), "GET", path, "")
		if resp.StatusCode() != 200 {
			t.Fatalf("%s: status %d", path, resp.StatusCode())
		}
		var got struct {
			Status      string
			TotalLoaded int          `json:"total_loaded"`
			Scan        []statusItem `json:"scan_improvements"`
			Agent       []statusItem `json:"agent_improvements"`
			API         []statusItem `json:"api_improvements"`
			Enabled     *bool        `json:"self_improvement_enabled"`
			Capable     *bool        `json:"agent_development_capable"`
			Timestamp   string
		}
		if err := json.Unmarshal(resp.Body(), &got); err != nil {
			t.Fatal(err)
		}
		if got.Status != "active" || got.TotalLoaded != 2 || len(got.Scan) != 1 || got.Agent == nil || len(got.Agent) != 0 || len(got.API) != 1 {
			t.Errorf("%s answered %s", path, resp.Body())
		}
		if got.Enabled == nil || !*got.Enabled || got.Capable == nil || got.Timestamp == "" {
			t.Errorf("%s answered %s", path, resp.Body())
		}
		if it := got.Scan[0]; it.FunctionName != "look" || it.EndpointPath != "/improved/scan/look" || it.Invocations != 7 || it.Errors != 2 || it.Instances != 1 || it.ModuleID == "" || it.LoadedAt == "" {
			t.Errorf("scan item = %+v", it)
		}
	}
}

func TestLoadBodyErrorsAreInvalidErrors(t *testing.T) {
	var b loadBody
	err := decodeJSON([]byte(`{"memory_mb":"x"}`), &b)
	var inv *platform.InvalidError
	if !errors.As(err, &inv) || inv.Field != "memory_mb" {
		t.Errorf("decodeJSON = %#v, want an InvalidError on memory_mb", err)
	}
}
