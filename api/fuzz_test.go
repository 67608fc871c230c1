package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"stargate/platform"
	"stargate/platform/controller"
	"stargate/platform/gateway"
)

// FuzzLoadBody: decoding a load body never panics, and every refusal is an
// InvalidError naming a field.
func FuzzLoadBody(f *testing.F) {
	for _, s := range []string{
		validLoad,
		`{"visible_pixel_hash":"h1","function_name":"f","module_name":"m","improvement_type":"scan","timeout_seconds":300,"memory_mb":1024}`,
		`{"visible_pixel_hash":"h1","function_name":"f","function_type":"agent"}`,
		`{"visible_pixel_hash":"h1","function_name":"f","function_type":"agent","improvement_type":"api"}`,
		`{"visible_pixel_hash":"../../etc","function_name":"__import__","module_name":"os.path","improvement_type":"api"}`,
		`{"visible_pixel_hash":5}`, `{"function_name":[]}`, `{"timeout_seconds":"30"}`, `{"timeout_seconds":1.5}`,
		`{"memory_mb":1e400}`, `{"memory_mb":-1}`, `{"timeout_seconds":0}`, `{"module_name":""}`,
		`{"visible_pixel_hash":null}`, `{"VISIBLE_PIXEL_HASH":"h1"}`, `{"a":{"b":{"c":[[[[]]]]}}}`,
		`{}`, `{} x`, `{}{}`, `{}]`, `{`, `[]`, `"s"`, `null`, ``, " ", "\xef\xbb\xbf{}", `{"visible_pixel_hash":"\u0000"}`,
		`{"visible_pixel_hash":"\ud800"}`, "{\"visible_pixel_hash\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var b loadBody
		err := decodeJSON(data, &b)
		if err == nil {
			_, err = b.request()
		}
		if err == nil {
			return
		}
		var inv *platform.InvalidError
		if !errors.As(err, &inv) || inv.Field == "" {
			t.Fatalf("error %#v is not an InvalidError naming a field", err)
		}
		if status, code, _, _ := classify(err); status != 400 || code != "invalid_request" {
			t.Fatalf("error %v answers %d %s, want 400", err, status, code)
		}
	})
}

// fuzzServer is an API whose gateway serves /improved/api/echo from a fake
// instance that echoes nothing but a fixed answer.
func fuzzServer(f *testing.F) *Server {
	dir, err := os.MkdirTemp("", "fz")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { os.RemoveAll(dir) })
	ln, err := net.Listen("unix", filepath.Join(dir, gateway.SocketName))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { ln.Close() })
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	})}
	go func() { _ = srv.Serve(ln) }()
	b, err := gateway.Dial(context.Background(), platform.Instance{ID: "echo", SocketDir: dir}, gateway.BackendOptions{MaxResponseBytes: 1 << 20})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(b.Close)
	tg := gateway.NewTarget(platform.FunctionKey{Hash: "h1", Name: "echo"}, 5*time.Second)
	tg.Add(b)
	gw := gateway.New()
	gw.Set(tg, "/improved/api/echo", "/improved/api/h1/echo")
	fns := &fakeFunctions{
		load:        func(context.Context, controller.LoadRequest) (platform.Function, error) { return sample(), nil },
		unload:      func(context.Context, platform.FunctionKey) error { return platform.ErrFunctionNotFound },
		autoEnhance: func(context.Context) (controller.EnhanceReport, error) { return controller.EnhanceReport{}, nil },
		status:      func() []controller.FunctionStatus { return []controller.FunctionStatus{{Function: sample()}} },
		functions:   func() []platform.Function { return []platform.Function{sample()} },
	}
	s := newServer(fns, func(d *Deps) { d.Gateway = gw })
	s.SetReady()
	return s
}

var fuzzMethods = []string{"GET", "POST", "DELETE", "PUT", "HEAD", "OPTIONS", "PATCH", "TRACE", "CONNECT", "get", "X"}

// FuzzPaths: any path, with any method, through the whole handler, never
// panics and never answers a 5xx of its own (only the gateway's 502, 503,
// 504); with a method Fiber knows, every error is in the one error shape.
func FuzzPaths(f *testing.F) {
	for _, s := range []string{
		"/", "/health", "/openapi.json", "/self-improve/status", "/sandbox/status",
		"/self-improve/load", "/sandbox/load", "/self-improve/auto-enhance", "/sandbox/auto-load",
		"/self-improve/unload/h1/echo", "/sandbox/unload/%2e%2e/%2f", "/self-improve/unload/../../x",
		"/improved/api/echo", "/improved/api/echo?x=1&y=%00", "/improved/api/h1/echo", "/improved/api/../api/echo",
		"/improved/api/%65cho", "/improved/", "/improved", "/improved//api//echo", "/improved/api/echo/",
		"//", "/%", "/%zz", "/\x00", "/a\r\nb", "*", "http://evil/improved/api/echo", "/" + string(make([]byte, 300)),
		"/improved/api/echo#frag", "/improved/api/echo?" + "a=" + string(make([]byte, 10)),
	} {
		f.Add(s, uint8(0), []byte(nil))
		f.Add(s, uint8(1), []byte(validLoad))
	}
	s := fuzzServer(f)
	h := s.Handler()
	f.Fuzz(func(t *testing.T, path string, method uint8, body []byte) {
		var req fasthttp.Request
		req.Header.SetMethod(fuzzMethods[int(method)%len(fuzzMethods)])
		req.SetRequestURI(path)
		req.SetBody(body)
		req.Header.Set("Authorization", "Bearer "+testKey)
		var ctx fasthttp.RequestCtx
		ctx.Init(&req, testAddr, nil)
		h(&ctx)
		status := ctx.Response.StatusCode()
		if status >= 500 && status != 502 && status != 503 && status != 504 {
			t.Fatalf("%s %q answered %d: %s", req.Header.Method(), path, status, ctx.Response.Body())
		}
		if status >= 400 && !ctx.IsHead() && knownMethod(req.Header.Method()) {
			var e errorBody
			if err := json.Unmarshal(ctx.Response.Body(), &e); err != nil || e.Status != "error" || e.Code == "" {
				t.Fatalf("%s %q answered %d %q, not the one error shape", req.Header.Method(), path, status, ctx.Response.Body())
			}
		}
	})
}
