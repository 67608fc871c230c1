package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"stargate/platform"
	"stargate/platform/controller"
)

func TestErrorMapping(t *testing.T) {
	oneViolation := &platform.RejectedError{Violations: []platform.Violation{
		{File: "api.py", Rule: "import", Line: 3, Col: 1, Message: "os is not allowed"},
	}}
	twoViolations := &platform.RejectedError{Violations: []platform.Violation{
		{File: "api.py", Rule: "import", Line: 3, Col: 1, Message: "os is not allowed"},
		{File: "lib.py", Rule: "dunder", Line: 7, Col: 9, Message: "__class__ is not allowed"},
	}}
	tests := []struct {
		name        string
		err         error
		wantStatus  int
		wantCode    string
		wantMsg     string // substring of the message
		wantDetails string // JSON; empty for none
	}{
		{"invalid field", platform.Invalid("module_name", "must be an identifier"), 400, "invalid_request", "module_name: must be an identifier", `{"field":"module_name"}`},
		{"wrapped invalid field", fmt.Errorf("load: %w", platform.Invalid("visible_pixel_hash", "bad")), 400, "invalid_request", "bad", `{"field":"visible_pixel_hash"}`},
		{"invalid", fmt.Errorf("%w: no", platform.ErrInvalid), 400, "invalid_request", "no", ""},
		{"unauthorized", platform.ErrUnauthorized, 401, "unauthorized", "unauthorized", ""},
		{"sandbox not found", fmt.Errorf("%w: h9", platform.ErrSandboxNotFound), 404, "sandbox_not_found", "h9", ""},
		{"module not found", fmt.Errorf("%w: m.py", platform.ErrModuleNotFound), 404, "module_not_found", "m.py", ""},
		{"function not found", platform.ErrFunctionNotFound, 404, "function_not_found", "function not found", ""},
		{"route not found", platform.ErrRouteNotFound, 404, "route_not_found", "route not found", ""},
		{"conflict", &platform.ConflictError{Path: "/improved/api/double", Owner: platform.FunctionKey{Hash: "h2", Name: "double"}}, 409, "conflict",
			"/improved/api/double is already served by double from sandbox h2", `{"function_name":"double","path":"/improved/api/double","visible_pixel_hash":"h2"}`},
		{"bare conflict", platform.ErrConflict, 409, "conflict", "conflict", ""},
		{"too large", errBodyTooLarge(1024), 413, "too_large", "1024 byte limit", ""},
		{"rejected", oneViolation, 422, "rejected", "rejected: api.py:3:1: os is not allowed",
			`[{"file":"api.py","rule":"import","line":3,"col":1,"message":"os is not allowed"}]`},
		{"rejected twice", fmt.Errorf("check: %w", twoViolations), 422, "rejected", "2 policy violations",
			`[{"file":"api.py","rule":"import","line":3,"col":1,"message":"os is not allowed"},{"file":"lib.py","rule":"dunder","line":7,"col":9,"message":"__class__ is not allowed"}]`},
		{"instance died", &platform.DiedError{Reason: "out of memory (128 MiB)"}, 502, "instance_died", "out of memory", ""},
		{"bad response", fmt.Errorf("%w: too long", platform.ErrBadResponse), 502, "bad_response", "too long", ""},
		{"not configured", platform.ErrNotConfigured, 503, "not_configured", "not configured", ""},
		{"unavailable", fmt.Errorf("%w: the policy checker is not running", platform.ErrUnavailable), 503, "unavailable", "checker", ""},
		{"timeout", fmt.Errorf("%w: 30s", platform.ErrTimeout), 504, "timeout", "30s", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(&fakeFunctions{load: func(context.Context, controller.LoadRequest) (platform.Function, error) {
				return platform.Function{}, tt.err
			}})
			resp := do(s.Handler(), "POST", "/self-improve/load", validLoad, bearer(testKey)...)
			if got := resp.StatusCode(); got != tt.wantStatus {
				t.Errorf("status = %d, want %d", got, tt.wantStatus)
			}
			e := decodeError(t, resp)
			if e.Code != tt.wantCode || !strings.Contains(e.Message, tt.wantMsg) {
				t.Errorf("error = %s %q, want %s containing %q", e.Code, e.Message, tt.wantCode, tt.wantMsg)
			}
			if got := string(e.Details); got != tt.wantDetails && !(tt.wantDetails == "" && got == "null") {
				t.Errorf("details = %s, want %s", got, tt.wantDetails)
			}
			if tt.wantStatus == 401 && len(resp.Header.Peek("WWW-Authenticate")) == 0 {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

// Errors of unknown kinds may carry host details: they are answered as a
// plain 500 and only logged.
func TestUnknownErrorsDoNotLeak(t *testing.T) {
	for _, err := range []error{
		errors.New("open /var/lib/stargate/state/bolt.db: permission denied"),
		fmt.Errorf("docker: %w", errors.New("Cannot connect to unix:///var/run/docker.sock")),
		context.Canceled,
		platform.ErrInstanceNotFound,
	} {
		s := newServer(&fakeFunctions{load: func(context.Context, controller.LoadRequest) (platform.Function, error) {
			return platform.Function{}, err
		}})
		resp := do(s.Handler(), "POST", "/self-improve/load", validLoad, bearer(testKey)...)
		if got := resp.StatusCode(); got != 500 {
			t.Errorf("%v: status = %d, want 500", err, got)
		}
		e := decodeError(t, resp)
		if e.Code != "internal" || e.Message != "internal error" {
			t.Errorf("%v: answered %s %q, want internal \"internal error\"", err, e.Code, e.Message)
		}
		if body := string(resp.Body()); strings.Contains(body, "/var/") || strings.Contains(body, "docker") {
			t.Errorf("answer %s leaks the error", body)
		}
	}
}

func TestAutoEnhanceReport(t *testing.T) {
	fn := sample()
	fn.Name, fn.Module = "handler", "api"
	rep := controller.EnhanceReport{
		Loaded:    []controller.EnhanceItem{{Hash: "h1", Function: &fn}},
		Unchanged: []controller.EnhanceItem{{Hash: "h2", Function: &fn, Reason: "same code"}},
		Rejected: []controller.EnhanceItem{
			{Hash: "h3", Err: &platform.RejectedError{Violations: []platform.Violation{{File: "api.py", Rule: "import", Line: 1, Message: "no"}}}},
			{Hash: "h4", Err: errors.New("open /secret/path")},
		},
		Skipped: []controller.EnhanceItem{{Hash: "h5", Reason: "no handler"}},
	}
	var calls int
	s := newServer(&fakeFunctions{autoEnhance: func(context.Context) (controller.EnhanceReport, error) {
		calls++
		return rep, nil
	}})
	for _, path := range []string{"/self-improve/auto-enhance", "/sandbox/auto-load"} {
		resp := do(s.Handler(), "POST", path, "", bearer(testKey)...)
		if resp.StatusCode() != 200 {
			t.Fatalf("%s: status %d: %s", path, resp.StatusCode(), resp.Body())
		}
		var got struct {
			Status                               string
			Loaded, Unchanged, Rejected, Skipped []enhanceEntry
			Summary                              map[string]int
		}
		if err := json.Unmarshal(resp.Body(), &got); err != nil {
			t.Fatal(err)
		}
		if got.Status != "success" || len(got.Loaded) != 1 || len(got.Unchanged) != 1 || len(got.Rejected) != 2 || len(got.Skipped) != 1 {
			t.Fatalf("%s answered %s", path, resp.Body())
		}
		if l := got.Loaded[0]; l.FunctionName != "handler" || l.EndpointPath != "/improved/api/handler" || l.ModuleID != "h1/api@0123456789ab" {
			t.Errorf("loaded entry = %+v", l)
		}
		if r := got.Rejected[0]; r.Status != 422 || r.Code != "rejected" || r.Violations == nil {
			t.Errorf("rejected entry = %+v", r)
		}
		if r := got.Rejected[1]; r.Status != 500 || strings.Contains(r.Reason, "secret") {
			t.Errorf("rejected with an unknown error = %+v, want 500 without the message", r)
		}
		if got.Summary["rejected"] != 2 || got.Summary["loaded"] != 1 {
			t.Errorf("summary = %v", got.Summary)
		}
	}
	if calls != 2 {
		t.Errorf("AutoEnhance called %d times, want 2", calls)
	}
}
