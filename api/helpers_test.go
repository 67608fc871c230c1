package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"stargate/platform"
	"stargate/platform/controller"
	"stargate/platform/gateway"
)

const testKey = "test-KEY-7f3a9c2e51d04b68"

// fakeFunctions is a Functions built from function fields; a nil field
// answers with nothing (or an error for Load, Unload and AutoEnhance).
type fakeFunctions struct {
	load        func(ctx context.Context, req controller.LoadRequest) (platform.Function, error)
	unload      func(ctx context.Context, key platform.FunctionKey) error
	autoEnhance func(ctx context.Context) (controller.EnhanceReport, error)
	status      func() []controller.FunctionStatus
	functions   func() []platform.Function
}

var _ Functions = (*fakeFunctions)(nil)

var errUnexpected = errors.New("unexpected call")

func (f *fakeFunctions) Load(ctx context.Context, req controller.LoadRequest) (platform.Function, error) {
	if f.load == nil {
		return platform.Function{}, errUnexpected
	}
	return f.load(ctx, req)
}

func (f *fakeFunctions) Unload(ctx context.Context, key platform.FunctionKey) error {
	if f.unload == nil {
		return errUnexpected
	}
	return f.unload(ctx, key)
}

func (f *fakeFunctions) AutoEnhance(ctx context.Context) (controller.EnhanceReport, error) {
	if f.autoEnhance == nil {
		return controller.EnhanceReport{}, errUnexpected
	}
	return f.autoEnhance(ctx)
}

func (f *fakeFunctions) Status() []controller.FunctionStatus {
	if f.status == nil {
		return nil
	}
	return f.status()
}

func (f *fakeFunctions) Functions() []platform.Function {
	if f.functions == nil {
		return nil
	}
	return f.functions()
}

func (f *fakeFunctions) Count() int { return len(f.Functions()) }

func (f *fakeFunctions) Pool() controller.PoolStatus { return controller.PoolStatus{Size: 2, Ready: 1} }

// pingFunc is a Pinger.
type pingFunc func(ctx context.Context) error

func (p pingFunc) Ping(ctx context.Context) error { return p(ctx) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// newServer builds a Server on fns with a real, empty gateway.
func newServer(fns *fakeFunctions, change ...func(*Deps)) *Server {
	d := Deps{
		Functions: fns,
		Gateway:   gateway.New(),
		APIKey:    testKey,
		Version:   "v-test",
		MaxBody:   1 << 20,
		Logger:    quiet,
		StoreKind: "bolt",
	}
	for _, c := range change {
		c(&d)
	}
	return New(d)
}

var testAddr = &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 40000}

// do serves one request through h from testAddr; hdrs are name, value
// pairs.
func do(h fasthttp.RequestHandler, method, uri, body string, hdrs ...string) *fasthttp.Response {
	return doFrom(h, testAddr, method, uri, body, hdrs...)
}

func doFrom(h fasthttp.RequestHandler, addr net.Addr, method, uri, body string, hdrs ...string) *fasthttp.Response {
	var req fasthttp.Request
	req.Header.SetMethod(method)
	req.SetRequestURI(uri)
	if body != "" {
		req.SetBodyString(body)
		req.Header.SetContentType("application/json")
	}
	for i := 0; i+1 < len(hdrs); i += 2 {
		req.Header.Set(hdrs[i], hdrs[i+1])
	}
	var ctx fasthttp.RequestCtx
	ctx.Init(&req, addr, nil)
	h(&ctx)
	resp := &fasthttp.Response{}
	ctx.Response.CopyTo(resp)
	return resp
}

func bearer(key string) []string { return []string{"Authorization", "Bearer " + key} }

// apiError is the one error shape, as a client reads it.
type apiError struct {
	Status  string          `json:"status"`
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Details json.RawMessage `json:"details"`
}

// decodeError checks resp is an error in the one shape and returns it.
func decodeError(t *testing.T, resp *fasthttp.Response) apiError {
	t.Helper()
	var e apiError
	if err := json.Unmarshal(resp.Body(), &e); err != nil {
		t.Fatalf("error body %q: %v", resp.Body(), err)
	}
	if e.Status != "error" || e.Code == "" || e.Message == "" {
		t.Errorf("error body %s is not in the one error shape", resp.Body())
	}
	if ct := string(resp.Header.ContentType()); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	return e
}

// decodeMap decodes a JSON object answer.
func decodeMap(t *testing.T, resp *fasthttp.Response) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(resp.Body(), &m); err != nil {
		t.Fatalf("body %q: %v", resp.Body(), err)
	}
	return m
}

// sample is a loaded function as the controller returns one.
func sample() platform.Function {
	return platform.Function{
		Hash:           "h1",
		Name:           "double",
		Module:         "api",
		Language:       platform.LanguagePython,
		Type:           platform.TypeAPI,
		TimeoutSeconds: 30,
		MemoryMB:       128,
		Revision:       "0123456789abcdef0123",
		ShortRoute:     true,
		LoadedAt:       time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		Signature: platform.Signature{
			Doc: "Doubles x.",
			Params: []platform.Param{
				{Name: "x", Kind: "positional_or_keyword", Annotation: "int", Required: true, Schema: json.RawMessage(`{"type":"integer"}`)},
				{Name: "tags", Kind: "keyword_only", Annotation: "list[str]", Default: "None", Schema: json.RawMessage(`{"type":"array","items":{"type":"string"}}`)},
				{Name: "rest", Kind: "var_keyword"},
			},
			ReturnSchema: json.RawMessage(`{"type":"integer"}`),
		},
	}
}
