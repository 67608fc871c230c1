package api

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"stargate/platform"
	"stargate/platform/controller"
)

// writes are the endpoints that need the key.
var writes = []struct{ method, path, body string }{
	{"POST", "/self-improve/load", validLoad},
	{"POST", "/sandbox/load", validLoad},
	{"DELETE", "/self-improve/unload/h1/double", ""},
	{"DELETE", "/sandbox/unload/h1/double", ""},
	{"POST", "/self-improve/auto-enhance", ""},
	{"POST", "/sandbox/auto-load", ""},
}

func allowAll() *fakeFunctions {
	return &fakeFunctions{
		load:        func(context.Context, controller.LoadRequest) (platform.Function, error) { return sample(), nil },
		unload:      func(context.Context, platform.FunctionKey) error { return nil },
		autoEnhance: func(context.Context) (controller.EnhanceReport, error) { return controller.EnhanceReport{}, nil },
	}
}

func TestAuth(t *testing.T) {
	tests := []struct {
		name     string
		hdrs     []string
		wantCode int
		wantErr  string
	}{
		{"right key", bearer(testKey), 200, ""},
		{"right key, extra space", []string{"Authorization", "Bearer  " + testKey + " "}, 200, ""},
		{"missing", nil, 401, "unauthorized"},
		{"wrong key", bearer("test-KEY-0000000000000000"), 401, "unauthorized"},
		{"key prefix", bearer(testKey[:len(testKey)-1]), 401, "unauthorized"},
		{"key and more", bearer(testKey + "x"), 401, "unauthorized"},
		{"Bearer empty", []string{"Authorization", "Bearer "}, 401, "unauthorized"},
		{"Bearer alone", []string{"Authorization", "Bearer"}, 401, "unauthorized"},
		{"no scheme", []string{"Authorization", testKey}, 401, "unauthorized"},
		{"Basic", []string{"Authorization", "Basic " + testKey}, 401, "unauthorized"},
		{"key in another header", []string{"X-Api-Key", testKey}, 401, "unauthorized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(allowAll())
			for i, w := range writes {
				// A fresh address each time: these are not repeated failures.
				addr := &net.TCPAddr{IP: net.IPv4(198, 51, 100, byte(i+1)), Port: 1}
				resp := doFrom(s.Handler(), addr, w.method, w.path, w.body, tt.hdrs...)
				if got := resp.StatusCode(); got != tt.wantCode {
					t.Errorf("%s %s = %d, want %d: %s", w.method, w.path, got, tt.wantCode, resp.Body())
				}
				if tt.wantErr != "" {
					if e := decodeError(t, resp); e.Code != tt.wantErr {
						t.Errorf("%s %s: code = %q, want %q", w.method, w.path, e.Code, tt.wantErr)
					}
				}
				assertNoKey(t, resp)
			}
		})
	}
}

func TestAuthNotConfigured(t *testing.T) {
	s := newServer(allowAll(), func(d *Deps) { d.APIKey = "" })
	for _, w := range writes {
		for _, hdrs := range [][]string{nil, bearer(""), bearer(testKey)} {
			resp := do(s.Handler(), w.method, w.path, w.body, hdrs...)
			if got := resp.StatusCode(); got != 503 {
				t.Errorf("%s %s = %d, want 503", w.method, w.path, got)
				continue
			}
			if e := decodeError(t, resp); e.Code != "not_configured" || !strings.Contains(e.Message, "STARGATE_API_KEY") {
				t.Errorf("%s %s: %s %q, want not_configured naming STARGATE_API_KEY", w.method, w.path, e.Code, e.Message)
			}
		}
	}
	root := decodeMap(t, do(s.Handler(), "GET", "/", ""))
	if si, _ := root["self_improvement"].(map[string]any); si["enabled"] != false {
		t.Errorf("self_improvement = %v, want enabled false", root["self_improvement"])
	}
}

// Repeated failures from one address are answered ever more slowly; other
// addresses, and the right key, are not slowed.
func TestAuthFailuresSlowDown(t *testing.T) {
	s := newServer(allowAll())
	h := s.Handler()
	attacker := &net.TCPAddr{IP: net.IPv4(203, 0, 113, 7), Port: 9}
	timed := func(addr net.Addr, hdrs ...string) (time.Duration, *fasthttp.Response) {
		start := time.Now()
		resp := doFrom(h, addr, "POST", "/self-improve/load", validLoad, hdrs...)
		return time.Since(start), resp
	}
	const slack = 50 * time.Millisecond
	for i := range freeFailures {
		if took, _ := timed(attacker, bearer("wrong")...); took > slack {
			t.Errorf("failure %d took %v, want no delay", i+1, took)
		}
	}
	sixth, resp := timed(attacker, bearer("wrong")...)
	if resp.StatusCode() != 401 {
		t.Fatalf("status = %d", resp.StatusCode())
	}
	seventh, _ := timed(attacker)
	if sixth < 100*time.Millisecond-5*time.Millisecond {
		t.Errorf("sixth failure took %v, want at least 100ms", sixth)
	}
	if seventh < 200*time.Millisecond-5*time.Millisecond || seventh <= sixth {
		t.Errorf("seventh failure took %v (sixth %v), want it slower, at least 200ms", seventh, sixth)
	}
	if took, _ := timed(&net.TCPAddr{IP: net.IPv4(203, 0, 113, 8), Port: 9}, bearer("wrong")...); took > slack {
		t.Errorf("a failure from another address took %v", took)
	}
	took, resp := timed(attacker, bearer(testKey)...)
	if resp.StatusCode() != 200 || took > slack {
		t.Errorf("the right key from the slowed address: %d after %v, want 200 at once", resp.StatusCode(), took)
	}
}

func TestPenaltyCurve(t *testing.T) {
	a := newAuthenticator(testKey)
	var got []time.Duration
	for range 14 {
		got = append(got, a.penalty("x"))
	}
	want := []time.Duration{0, 0, 0, 0, 0, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond,
		800 * time.Millisecond, 1600 * time.Millisecond, 3200 * time.Millisecond, maxDelay, maxDelay, maxDelay}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("penalty after %d failures = %v, want %v", i+1, got[i], want[i])
		}
	}
	// A quiet address is forgiven.
	a.failures["x"].last = time.Now().Add(-failureWindow - time.Second)
	if d := a.penalty("x"); d != 0 {
		t.Errorf("penalty after a quiet window = %v, want 0", d)
	}
}

func TestPenaltyTableIsBounded(t *testing.T) {
	a := newAuthenticator(testKey)
	for i := range maxTracked + 100 {
		a.penalty(net.IPv4(10, byte(i>>16), byte(i>>8), byte(i)).String())
	}
	if n := len(a.failures); n > maxTracked {
		t.Errorf("tracking %d addresses, want at most %d", n, maxTracked)
	}
}

func TestKeyNeverAnswered(t *testing.T) {
	s := newServer(allowAll(), func(d *Deps) {
		d.Components = map[string]Pinger{"store": pingFunc(func(context.Context) error { return nil })}
	})
	s.SetReady()
	for _, path := range []string{"/", "/health", "/openapi.json", "/self-improve/status", "/nope"} {
		assertNoKey(t, do(s.Handler(), "GET", path, ""))
	}
	for _, w := range writes {
		assertNoKey(t, do(s.Handler(), w.method, w.path, w.body, bearer(testKey)...))
		assertNoKey(t, do(s.Handler(), w.method, w.path, w.body, bearer(testKey+"0")...))
	}
	if err := s.auth.check("Bearer wrong", "a"); err == nil || strings.Contains(err.Error(), testKey) {
		t.Errorf("check = %v", err)
	}
}

func assertNoKey(t *testing.T, resp *fasthttp.Response) {
	t.Helper()
	if strings.Contains(resp.String(), testKey) || strings.Contains(resp.String(), "7f3a9c2e51d0") {
		t.Errorf("a response holds the key: %s", resp.String())
	}
}
