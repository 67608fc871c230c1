package api

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"

	"stargate/platform"
	"stargate/platform/controller"
)

func TestHealth(t *testing.T) {
	var storeDown bool
	s := newServer(&fakeFunctions{functions: func() []platform.Function { return []platform.Function{sample()} }}, func(d *Deps) {
		d.Components = map[string]Pinger{
			"engine": pingFunc(func(context.Context) error { return nil }),
			"store": pingFunc(func(context.Context) error {
				if storeDown {
					return errors.New("store: connection refused")
				}
				return nil
			}),
			"checker": pingFunc(func(ctx context.Context) error {
				if _, ok := ctx.Deadline(); !ok {
					return errors.New("pinged without a deadline")
				}
				return nil
			}),
		}
	})
	type health struct {
		Status          string
		Version         string
		LoadedFunctions int `json:"loaded_functions"`
		Components      map[string]componentHealth
	}
	get := func() (int, health) {
		resp := do(s.Handler(), "GET", "/health", "")
		var h health
		if err := json.Unmarshal(resp.Body(), &h); err != nil {
			t.Fatalf("health %q: %v", resp.Body(), err)
		}
		return resp.StatusCode(), h
	}

	if code, h := get(); code != 503 || h.Status != "starting" {
		t.Errorf("before SetReady: %d %q, want 503 starting", code, h.Status)
	}
	s.SetReady()
	code, h := get()
	if code != 200 || h.Status != "ok" || h.Version != "v-test" || h.LoadedFunctions != 1 {
		t.Errorf("ready: %d %+v, want 200 ok", code, h)
	}
	for _, name := range []string{"engine", "store", "checker"} {
		if c, ok := h.Components[name]; !ok || !c.OK {
			t.Errorf("component %s = %+v, %v, want ok", name, c, ok)
		}
	}
	if got := h.Components["store"].Kind; got != "bolt" {
		t.Errorf("store kind = %q, want bolt", got)
	}

	storeDown = true
	code, h = get()
	if code != 200 || h.Status != "degraded" {
		t.Errorf("store down: %d %q, want 200 degraded", code, h.Status)
	}
	// /health is public: it says what is down, the log says why.
	if c := h.Components["store"]; c.OK || c.Error != "not answering" || strings.Contains(c.Error, "refused") {
		t.Errorf("store = %+v, want not ok, without the raw error", c)
	}
	if !h.Components["engine"].OK {
		t.Error("engine reported down with the store")
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if code, h := get(); code != 503 || h.Status != "shutting_down" {
		t.Errorf("after Shutdown: %d %q, want 503 shutting_down", code, h.Status)
	}
}

func TestRoot(t *testing.T) {
	s := newServer(&fakeFunctions{functions: func() []platform.Function { return []platform.Function{sample(), sample()} }})
	resp := do(s.Handler(), "GET", "/", "")
	if resp.StatusCode() != 200 {
		t.Fatalf("status %d", resp.StatusCode())
	}
	m := decodeMap(t, resp)
	if m["name"] != "Stargate" || m["version"] != "v-test" {
		t.Errorf("name, version = %v, %v", m["name"], m["version"])
	}
	eps, _ := m["endpoints"].(map[string]any)
	for _, k := range []string{"health", "load", "status", "unload", "auto_enhance", "improved", "sandbox_load", "sandbox_auto_load"} {
		if _, ok := eps[k].(string); !ok {
			t.Errorf("endpoints.%s missing", k)
		}
	}
	si, _ := m["self_improvement"].(map[string]any)
	if si["enabled"] != true || si["loaded_functions"] != float64(2) || si["auto_enhancement_available"] != true {
		t.Errorf("self_improvement = %v", si)
	}
}

func TestOpenAPI(t *testing.T) {
	long := sample()
	long.Hash, long.ShortRoute = "h2", false
	s := newServer(&fakeFunctions{functions: func() []platform.Function { return []platform.Function{sample(), long} }})
	resp := do(s.Handler(), "GET", "/openapi.json", "")
	if resp.StatusCode() != 200 {
		t.Fatalf("status %d", resp.StatusCode())
	}
	type param struct {
		Name     string
		In       string
		Required bool
		Schema   map[string]any
	}
	type op struct {
		OperationID string `json:"operationId"`
		Description string
		Parameters  []param
		RequestBody struct {
			Content map[string]struct {
				Schema struct {
					Properties map[string]map[string]any
					Required   []string
				}
			}
		} `json:"requestBody"`
	}
	var doc struct {
		OpenAPI string
		Paths   map[string]map[string]op
	}
	if err := json.Unmarshal(resp.Body(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/self-improve/load", "/self-improve/unload/{hash}/{function}", "/health", "/improved/api/double", "/improved/api/h1/double", "/improved/api/h2/double"} {
		if _, ok := doc.Paths[p]; !ok {
			t.Errorf("path %s is not documented", p)
		}
	}
	get := doc.Paths["/improved/api/double"]["get"]
	if get.Description != "Doubles x." {
		t.Errorf("description = %q", get.Description)
	}
	want := map[string]param{
		"x":    {Name: "x", In: "query", Required: true, Schema: map[string]any{"type": "integer"}},
		"tags": {Name: "tags", In: "query", Schema: map[string]any{"type": "array", "items": map[string]any{"type": "string"}}},
	}
	if len(get.Parameters) != len(want) {
		t.Errorf("parameters = %+v, want x and tags (not **rest)", get.Parameters)
	}
	for _, p := range get.Parameters {
		w := want[p.Name]
		b1, _ := json.Marshal(p)
		b2, _ := json.Marshal(w)
		if string(b1) != string(b2) {
			t.Errorf("parameter %s = %s, want %s", p.Name, b1, b2)
		}
	}
	body := doc.Paths["/improved/api/double"]["post"].RequestBody.Content["application/json"].Schema
	if body.Properties["x"]["type"] != "integer" || body.Properties["tags"]["type"] != "array" || len(body.Required) != 1 || body.Required[0] != "x" {
		t.Errorf("post body schema = %+v", body)
	}
	ids := map[string]string{}
	for path, ops := range doc.Paths {
		for method, o := range ops {
			if o.OperationID == "" {
				continue
			}
			if other, dup := ids[o.OperationID]; dup {
				t.Errorf("operationId %q used by %s and %s %s", o.OperationID, other, method, path)
			}
			ids[o.OperationID] = method + " " + path
		}
	}
}

func TestMethodNotAllowed(t *testing.T) {
	s := newServer(&fakeFunctions{})
	for _, m := range []string{"PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"} {
		resp := do(s.Handler(), m, "/improved/api/double", "{}")
		if resp.StatusCode() != 405 {
			t.Errorf("%s /improved/... = %d, want 405", m, resp.StatusCode())
			continue
		}
		if got := string(resp.Header.Peek("Allow")); got != "GET, POST" {
			t.Errorf("%s: Allow = %q", m, got)
		}
		if m != "HEAD" {
			if e := decodeError(t, resp); e.Code != "method_not_allowed" {
				t.Errorf("%s: code = %q", m, e.Code)
			}
		}
	}
	resp := do(s.Handler(), "PUT", "/self-improve/load", validLoad, bearer(testKey)...)
	if resp.StatusCode() != 405 || decodeError(t, resp).Code != "method_not_allowed" {
		t.Errorf("PUT /self-improve/load = %d %s, want 405", resp.StatusCode(), resp.Body())
	}
	resp = do(s.Handler(), "GET", "/improved/api/nothing", "")
	if resp.StatusCode() != 404 || decodeError(t, resp).Code != "route_not_found" {
		t.Errorf("GET of an unknown function = %d %s, want 404 route_not_found", resp.StatusCode(), resp.Body())
	}
	resp = do(s.Handler(), "GET", "/no/such/page", "")
	if resp.StatusCode() != 404 || decodeError(t, resp).Code != "route_not_found" {
		t.Errorf("GET of an unknown page = %d %s, want 404 route_not_found", resp.StatusCode(), resp.Body())
	}
}

// Every error is in the one error shape, whatever the method.
func TestUnknownMethods(t *testing.T) {
	s := newServer(&fakeFunctions{})
	for _, m := range []string{"PROPFIND", "get", "X"} {
		for _, path := range []string{"/", "/self-improve/load", "/improved/api/double"} {
			resp := do(s.Handler(), m, path, "")
			if resp.StatusCode() < 400 {
				t.Errorf("%s %s = %d, want an error", m, path, resp.StatusCode())
				continue
			}
			var e apiError
			if err := json.Unmarshal(resp.Body(), &e); err != nil || e.Status != "error" {
				// Methods Fiber does not know get the one error shape too
				// (found by FuzzPaths: testdata/fuzz/FuzzPaths/795a0cde6374af9e).
				t.Errorf("%s %s = %d %q, not the one error shape", m, path, resp.StatusCode(), resp.Body())
			}
		}
	}
}

// The body limit is the real server's: it answers 413 in the one error
// shape before any handler runs.
func TestBodyTooLarge(t *testing.T) {
	const limit = 4096
	var loads int
	fns := allowAll()
	load := fns.load
	fns.load = func(ctx context.Context, req controller.LoadRequest) (platform.Function, error) {
		loads++
		return load(ctx, req)
	}
	s := newServer(fns, func(d *Deps) { d.MaxBody = limit })
	ln := fasthttputil.NewInmemoryListener()
	go func() { _ = s.Serve(ln) }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	}()
	client := &fasthttp.Client{Dial: func(string) (net.Conn, error) { return ln.Dial() }}

	post := func(path string, size int) *fasthttp.Response {
		req, resp := fasthttp.AcquireRequest(), &fasthttp.Response{}
		defer fasthttp.ReleaseRequest(req)
		req.SetRequestURI("http://stargate" + path)
		req.Header.SetMethod("POST")
		req.Header.Set("Authorization", "Bearer "+testKey)
		body := `{"visible_pixel_hash":"h1","function_name":"double","improvement_type":"api","pad":"`
		body += strings.Repeat("x", max(0, size-len(body)-2)) + `"}`
		req.SetBodyString(body)
		if err := client.DoTimeout(req, resp, 5*time.Second); err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
		return resp
	}
	for _, path := range []string{"/self-improve/load", "/improved/api/double"} {
		resp := post(path, limit+1)
		if resp.StatusCode() != 413 {
			t.Errorf("POST %s over the limit = %d, want 413: %s", path, resp.StatusCode(), resp.Body())
			continue
		}
		if e := decodeError(t, resp); e.Code != "too_large" || !strings.Contains(e.Message, "4096") {
			t.Errorf("413 answer = %+v", e)
		}
	}
	if loads != 0 {
		t.Errorf("Load ran %d times for bodies over the limit", loads)
	}
	if resp := post("/self-improve/load", limit); resp.StatusCode() != 200 {
		t.Errorf("POST at the limit = %d, want 200: %s", resp.StatusCode(), resp.Body())
	}
}
