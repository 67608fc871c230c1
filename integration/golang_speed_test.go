package integration

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

// How long Go loads take. Not parallel: the other tests wait, so the
// numbers are the machine's, not the neighbours'. The goals are the
// issue's; the assertions leave room for a busy CI machine.

const helloGo = `package bench

// Hello greets.
func Hello(name string) map[string]string { return map[string]string{"hello": name} }
`

const helloPy = `def hello(name: str = "world"):
    return {"hello": name}
`

// timeLoad loads and returns how long the answer took.
func timeLoad(t *testing.T, api *API, req map[string]any) time.Duration {
	t.Helper()
	start := time.Now()
	api.Load(req)
	return time.Since(start)
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func round(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}

func TestGoSpeed(t *testing.T) {
	api := goAPI(t, Options{})
	const hash = "gospeed01"
	api.Sandbox(hash, map[string]string{
		"hello.go":     helloGo,
		"textstats.go": goSource(t, "textstats.go"),
		"hellopy.py":   helloPy,
	})
	unload := func(name string) {
		t.Helper()
		expect(t, api.Do("DELETE", "/self-improve/unload/"+hash+"/"+name, nil, testKey), http.StatusOK, "")
	}

	// A first function: the build cache now holds everything a build of
	// this platform's binaries shares.
	first := timeLoad(t, api, loadReq(hash, "Hello", "hello", "api"))
	jsonEqual(t, "Hello", api.Call("GET", "/improved/api/Hello?name=go", nil), `{"hello":"go"}`)

	// A ~100-line function, never built before: build + start + ready.
	analyze := loadReq(hash, "Analyze", "textstats", "scan")
	load := timeLoad(t, api, analyze)
	r := api.Call("POST", "/improved/scan/Analyze", map[string]any{"text": "to be or not to be", "opts": map[string]any{"min_len": 2, "top": 2}})
	expect(t, r, http.StatusOK, "")
	if r.JSON["words"] != 6.0 || r.JSON["unique"] != 4.0 {
		t.Errorf("Analyze: %s", r)
	}
	if load > 5*time.Second {
		t.Errorf("loading a 127-line Go function with a warm build cache took %s, the goal is 5 s", load)
	}

	// Unchanged source, loaded again: the same revision, nothing restarts.
	var goReload, goCached, pyReload, pyLoad []time.Duration
	for range 5 {
		goReload = append(goReload, timeLoad(t, api, analyze))
	}
	// Unchanged source after an unload: the binary comes from the cache,
	// an instance starts. A Python function's load does the same work
	// (the checker instead of the validator, no build).
	for range 5 {
		unload("Analyze")
		goCached = append(goCached, timeLoad(t, api, analyze))
	}
	python := loadReq(hash, "hello", "hellopy", "api")
	timeLoad(t, api, python)
	for range 5 {
		pyReload = append(pyReload, timeLoad(t, api, python))
	}
	for range 5 {
		unload("hello")
		pyLoad = append(pyLoad, timeLoad(t, api, python))
	}
	expect(t, api.Call("GET", "/improved/scan/Analyze?text=a+b", nil), http.StatusOK, "")
	jsonEqual(t, "hello", api.Call("GET", "/improved/api/hello?name=py", nil), `{"hello":"py"}`)

	t.Logf("Go build cache filled at start in %s (a fresh API's warm-up build)", goCache.cold)
	t.Logf("first Go load (Hello): %s", first.Round(time.Millisecond))
	t.Logf("127-line Go function, warm cache, build + start + ready: %s", load.Round(time.Millisecond))
	t.Logf("reload, unchanged source:          Go median %s %v, Python median %s %v",
		median(goReload).Round(time.Millisecond), round(goReload), median(pyReload).Round(time.Millisecond), round(pyReload))
	t.Logf("load after unload, unchanged source: Go median %s %v (binary cached), Python median %s %v",
		median(goCached).Round(time.Millisecond), round(goCached), median(pyLoad).Round(time.Millisecond), round(pyLoad))
	if g, p := median(goReload), median(pyReload); g > 2*p+200*time.Millisecond {
		t.Errorf("reloading unchanged Go source: median %s, Python %s", g, p)
	}
	if g, p := median(goCached), median(pyLoad); g > 2*p+200*time.Millisecond {
		t.Errorf("loading unchanged Go source (cached binary): median %s, a Python load %s", g, p)
	}
}
