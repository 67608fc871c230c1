package integration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Go functions through the real API: the validator, the walled builder
// container, the Go runtime image and HTTP. The error contract for Go is in
// golang_errors_test.go and golang_calls_test.go, the load times in
// golang_speed_test.go; the agents' sources in testdata/golang/.

const goRuntimeImage = "stargate/go-runtime:dev"

// goSource reads an agent's Go file from testdata/golang.
func goSource(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "golang", filepath.FromSlash(name)))
	if errors.Is(err, fs.ErrNotExist) {
		// The 100-line sample is platform/golang's own.
		data, err = os.ReadFile(filepath.Join("..", "platform", "golang", "testdata", filepath.FromSlash(name)))
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// The Go build cache a fresh API fills at start (the standard library and
// Stargate's runner, ~30 s on two CPUs) is filled once per test binary and
// copied into each Go test's API, so that parallel tests do not compile the
// standard library side by side. TestMain removes it with stargateBin's
// folder.
var goCache struct {
	once sync.Once
	dir  string
	cold time.Duration // the fresh API's warm-up build, as it logged it
}

var warmBuilt = regexp.MustCompile(`msg="go function built" .*function=stargate/warm .*took=(\S+)`)

// seededGoCache returns the folder of a full build cache, filling it the
// first time: a fresh API builds its warm-up function at start.
func seededGoCache(t *testing.T) string {
	t.Helper()
	goCache.once.Do(func() {
		for _, image := range []string{goRuntimeImage, "stargate/go-builder:dev"} {
			if out, err := exec.Command("docker", "image", "inspect", "-f", "{{.Id}}", image).CombinedOutput(); err != nil {
				t.Fatalf("image %s is missing (run `make images`): %s", image, out)
			}
		}
		api := StartAPI(t, Options{})
		deadline := time.Now().Add(5 * time.Minute)
		for {
			logs := api.Logs()
			if m := warmBuilt.FindStringSubmatch(logs); m != nil {
				goCache.cold, _ = time.ParseDuration(m[1])
				break
			}
			if strings.Contains(logs, "warm the Go build cache") || time.Now().After(deadline) {
				t.Fatalf("the API did not build its warm-up function:\n%s", logs)
			}
			time.Sleep(200 * time.Millisecond)
		}
		api.Stop()
		dir := filepath.Join(filepath.Dir(stargateBin), "gocache")
		copyTree(t, filepath.Join(api.Data, "go", "work", "cache"), dir)
		goCache.dir = dir
		t.Logf("Go build cache filled by a fresh API's warm-up build in %s", goCache.cold)
	})
	if goCache.dir == "" {
		t.Fatal("no Go build cache: filling it failed in another test")
	}
	return goCache.dir
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o777); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cp", "-a", src+"/.", dst).CombinedOutput(); err != nil {
		t.Fatalf("copy %s: %v: %s", src, err, out)
	}
}

// goAPI starts an API whose Go build cache already holds what every build
// needs, as a long-running API's cache does.
func goAPI(t *testing.T, opts Options) *API {
	t.Helper()
	seed := seededGoCache(t)
	root := t.TempDir()
	dirs := &API{Uploads: filepath.Join(root, "uploads"), Data: filepath.Join(root, "state"), Namespace: "it-" + randomHex(5)}
	if err := os.MkdirAll(filepath.Join(dirs.Uploads, "results"), 0o755); err != nil {
		t.Fatal(err)
	}
	copyTree(t, seed, filepath.Join(dirs.Data, "go", "work", "cache"))
	t.Cleanup(func() {
		removeNamespace(t, dirs.Namespace)
		unmountUnder(dirs.Data)
	})
	opts.Dirs = dirs
	return StartAPI(t, opts)
}

// containersOf lists the function containers serving name.
func containersOf(t *testing.T, api *API, name string) []string {
	t.Helper()
	var ids []string
	for _, c := range containers(t, api.Namespace, "function") {
		if c.Labels["io.stargate.function"] == name {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

// query is one query parameter, escaped.
func query(name, value string) string { return url.Values{name: {value}}.Encode() }

// jsonEqual fails unless body is the JSON value want.
func jsonEqual(t *testing.T, what string, r Response, want string) {
	t.Helper()
	var got, exp any
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Errorf("%s: not JSON: %s", what, r)
		return
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatal(err)
	}
	if r.Status != http.StatusOK || fmt.Sprint(got) != fmt.Sprint(exp) {
		t.Errorf("%s = %s, want 200 %s", what, r, want)
	}
}

func TestGoLoadCallUnload(t *testing.T) {
	t.Parallel()
	api := goAPI(t, Options{})
	const hash = "golang01"
	api.Sandbox(hash, map[string]string{"wordstats.go": goSource(t, "wordstats.go")})

	r := api.Load(loadReq(hash, "WordStats", "wordstats", "scan"))
	for key, want := range map[string]any{
		"status": "success", "function_loaded": true, "endpoint_path": "/improved/scan/WordStats",
		"function_name": "WordStats", "module_name": "wordstats", "language": "go", "visible_pixel_hash": hash,
	} {
		if r.JSON[key] != want {
			t.Errorf("load answer %s = %v, want %v", key, r.JSON[key], want)
		}
	}
	params, _ := json.Marshal(r.JSON["parameters"])
	if want := `[{"annotation":"string","kind":"positional_or_keyword","name":"text","required":true,"schema":{"type":"string"}},` +
		`{"annotation":"int","kind":"positional_or_keyword","name":"minLen","required":true,"schema":{"type":"integer"}}]`; string(params) != want {
		t.Errorf("parameters %s, want %s", params, want)
	}
	if ids := containersOf(t, api, "WordStats"); len(ids) != 1 {
		t.Fatalf("%d instances of WordStats, want 1", len(ids))
	}

	// Query parameters, converted by the Go types; a JSON body; the long path.
	jsonEqual(t, "GET", api.Call("GET", "/improved/scan/WordStats?text=The+cat+saw+the+other+CAT!&minLen=3", nil),
		`{"cat":2,"other":1,"saw":1,"the":2}`)
	jsonEqual(t, "POST, minLen 2.0", api.Call("POST", "/improved/scan/WordStats", `{"text":"a bb ccc","minLen":2.0}`),
		`{"bb":1,"ccc":1}`)
	jsonEqual(t, "POST", api.Call("POST", "/improved/scan/WordStats", map[string]any{"text": "Über über alles, a b", "minLen": 2}),
		`{"alles":1,"über":2}`)
	jsonEqual(t, "POST, long path", api.Call("POST", "/improved/scan/"+hash+"/WordStats", map[string]any{"text": "", "minLen": "1"}),
		`{}`)
	// The body wins over the query.
	jsonEqual(t, "POST with a query", api.Call("POST", "/improved/scan/WordStats?minLen=9", map[string]any{"text": "go go gopher", "minLen": 2}),
		`{"go":2,"gopher":1}`)

	// Without module_name the one Go module defining the function is found.
	r = api.Load(loadReq(hash, "WordStats", "", "agent"))
	if r.Str("module_name") != "wordstats" || r.Str("language") != "go" || r.Str("endpoint_path") != "/improved/agent/WordStats" {
		t.Errorf("load without module_name: %s", r)
	}
	jsonEqual(t, "agent GET", api.Call("GET", "/improved/agent/WordStats?text=x+yy+yy&minLen=2", nil), `{"yy":2}`)
	// The replaced instance is stopped in the background.
	deadline := time.Now().Add(10 * time.Second)
	for len(containersOf(t, api, "WordStats")) != 1 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}

	item := statusItem(t, api, "WordStats")
	if item["language"] != "go" || item["instances"] != 1.0 || item["module_name"] != "wordstats" {
		t.Errorf("status item: %v", item)
	}
	if n := totalLoaded(t, api); n != 1 {
		t.Errorf("total_loaded %v, want 1 (one function, loaded again under another type)", n)
	}

	// Unload: the route is gone, and so is the container.
	expect(t, api.Do("DELETE", "/self-improve/unload/"+hash+"/WordStats", nil, testKey), http.StatusOK, "")
	expect(t, api.Call("GET", "/improved/agent/WordStats?text=x&minLen=1", nil), http.StatusNotFound, "route_not_found")
	expect(t, api.Call("GET", "/improved/agent/"+hash+"/WordStats?text=x&minLen=1", nil), http.StatusNotFound, "route_not_found")
	if ids := containersOf(t, api, "WordStats"); len(ids) != 0 {
		t.Errorf("%d containers remain after the unload", len(ids))
	}
	if doc := api.Do("GET", "/openapi.json", nil, ""); strings.Contains(string(doc.Body), "WordStats") {
		t.Error("openapi still documents the unloaded function")
	}
	expect(t, api.Do("DELETE", "/self-improve/unload/"+hash+"/WordStats", nil, testKey), http.StatusNotFound, "function_not_found")
	healthy(t, api)
}

func TestGoSignatures(t *testing.T) {
	t.Parallel()
	api := goAPI(t, Options{})
	const hash = "golang02"
	api.Sandbox(hash, map[string]string{"shapes.go": goSource(t, "shapes.go")})
	for _, fn := range []string{"double", "Summarize", "Digest", "Weighted", "Check", "Touch", "Reverse"} {
		api.Load(loadReq(hash, fn, "", "agent"))
	}
	call := func(method, fn string, body any) Response {
		return api.Call(method, "/improved/agent/"+fn, body)
	}
	cases := []struct {
		what string
		r    Response
		want string
	}{
		{"unexported, query", call("GET", "double?n=21", nil), `42`},
		{"unexported, body", call("POST", "double", map[string]any{"n": "4"}), `8`},
		{"struct by name", call("POST", "Summarize", map[string]any{"order": map[string]any{
			"id": "A1", "qty": 3, "unit_price": 2.5, "tags": []string{"x", "y"}, "Note": "json:- is never bound"}}),
			`{"id":"A1","total":7.5,"tags":"x+y","note":""}`},
		{"struct as the whole body", call("POST", "Summarize", map[string]any{"id": "B2", "qty": 2, "unit_price": 0.25}),
			`{"id":"B2","total":0.5,"tags":"","note":""}`},
		{"struct in the query", call("GET", "Summarize?"+query("order", `{"id":"q","QTY":4,"unit_price":1.5}`), nil),
			`{"id":"q","total":6,"tags":"","note":""}`},
		{"[]byte as base64", call("POST", "Digest", map[string]any{"data": "aGVsbG8="}),
			`{"len":5,"sha256":"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824","text":"hello"}`},
		{"[]byte in the query", call("GET", "Digest?data=AAEC", nil),
			`{"len":3,"sha256":"ae4b3280e56e2faf83f414a6e3dabe9d5fbe18976544c05fed121accb85b53fc","text":"\u0000\u0001\u0002"}`},
		{"slice and map", call("POST", "Weighted", map[string]any{"values": []int{1, 2, 3}, "weights": map[string]int{"a": 2, "b": 10}}),
			`{"a":12,"b":60}`},
		{"repeated query parameter, map as JSON", call("GET", "Weighted?values=1&values=2&"+query("weights", `{"a":3}`), nil), `{"a":9}`},
		{"only an error, nil", call("GET", "Check?n=1", nil), `null`},
		{"nothing", call("POST", "Touch", map[string]any{"name": "x"}), `null`},
		{"a list body, whole", call("POST", "Reverse", []string{"a", "b", "c"}), `["c","b","a"]`},
		{"a list body, by name", call("POST", "Reverse", map[string]any{"items": []string{"a", "b"}}), `["b","a"]`},
		{"a slice left out", call("GET", "Reverse", nil), `null`},
	}
	for _, c := range cases {
		jsonEqual(t, c.what, c.r, c.want)
	}
	// The only error: a non-nil one is the function's error.
	r := call("GET", "Check?n=-2", nil)
	expect(t, r, http.StatusInternalServerError, "function_error")
	if r.Str("message") != "negative: -2" {
		t.Errorf("Check(-2): %s", r)
	}

	// The OpenAPI document shows the Go parameters with their JSON types.
	doc := api.Do("GET", "/openapi.json", nil, "")
	expect(t, doc, http.StatusOK, "")
	var spec struct {
		Paths map[string]map[string]struct {
			Description string `json:"description"`
			Parameters  []struct {
				Name     string          `json:"name"`
				In       string          `json:"in"`
				Required bool            `json:"required"`
				Schema   json.RawMessage `json:"schema"`
			} `json:"parameters"`
			RequestBody json.RawMessage `json:"requestBody"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(doc.Body, &spec); err != nil {
		t.Fatal(err)
	}
	wantParams := map[string][]string{
		"double":    {`n query true {"type":"integer"}`},
		"Summarize": {`order query true {"properties":{"id":{"type":"string"},"qty":{"type":"integer"},"tags":{"items":{"type":"string"},"type":"array"},"unit_price":{"type":"number"}},"type":"object"}`},
		"Digest":    {`data query false {"format":"byte","type":"string"}`},
		"Weighted":  {`values query false {"items":{"type":"integer"},"type":"array"}`, `weights query false {"additionalProperties":{"type":"integer"},"type":"object"}`},
		"Check":     {`n query true {"type":"integer"}`},
		"Touch":     {`name query true {"type":"string"}`},
		"Reverse":   {`items query false {"items":{"type":"string"},"type":"array"}`},
	}
	for fn, want := range wantParams {
		for _, path := range []string{"/improved/agent/" + fn, "/improved/agent/" + hash + "/" + fn} {
			op, ok := spec.Paths[path]["get"]
			if !ok {
				t.Errorf("openapi lacks GET %s", path)
				continue
			}
			var got []string
			for _, p := range op.Parameters {
				got = append(got, fmt.Sprintf("%s %s %v %s", p.Name, p.In, p.Required, p.Schema))
			}
			if !slices.Equal(got, want) {
				t.Errorf("openapi %s parameters:\n got %q\nwant %q", path, got, want)
			}
		}
	}
	if d := spec.Paths["/improved/agent/Summarize"]["get"].Description; d != "Summarize prices an order." {
		t.Errorf("openapi description of Summarize: %q", d)
	}
	if b := string(spec.Paths["/improved/agent/Weighted"]["post"].RequestBody); !strings.Contains(b, `"values":{"items":{"type":"integer"},"type":"array"}`) {
		t.Errorf("openapi request body of Weighted: %s", b)
	}
	healthy(t, api)
}

func TestGoWall(t *testing.T) {
	t.Parallel()
	api := goAPI(t, Options{})
	const hash = "golang03"
	sandbox := api.Sandbox(hash, map[string]string{"wordstats.go": goSource(t, "wordstats.go")})
	req := loadReq(hash, "WordStats", "wordstats", "scan")
	req["memory_mb"] = 96
	api.Load(req)

	ids := containersOf(t, api, "WordStats")
	if len(ids) != 1 {
		t.Fatalf("want one instance, got %d", len(ids))
	}
	info, err := dockerClient(t).ContainerInspect(context.Background(), ids[0])
	if err != nil {
		t.Fatal(err)
	}
	hc, cfg := info.HostConfig, info.Config
	if cfg.Image != goRuntimeImage {
		t.Errorf("image %q, want %s", cfg.Image, goRuntimeImage)
	}
	if hc.NetworkMode != "none" || !cfg.NetworkDisabled {
		t.Errorf("network: mode %q, disabled %v", hc.NetworkMode, cfg.NetworkDisabled)
	}
	if !hc.ReadonlyRootfs {
		t.Error("the root filesystem is writable")
	}
	if cfg.User != "65534:65534" {
		t.Errorf("user %q, want 65534:65534", cfg.User)
	}
	if !slices.Contains(hc.CapDrop, "ALL") || len(hc.CapAdd) != 0 || hc.Privileged {
		t.Errorf("capabilities: drop %v, add %v, privileged %v", hc.CapDrop, hc.CapAdd, hc.Privileged)
	}
	if !slices.ContainsFunc(hc.SecurityOpt, func(s string) bool { return strings.HasPrefix(s, "no-new-privileges") }) {
		t.Errorf("security options %v lack no-new-privileges", hc.SecurityOpt)
	}
	if hc.Memory != 96<<20 || hc.MemorySwap != hc.Memory || hc.PidsLimit == nil || *hc.PidsLimit <= 0 || hc.NanoCPUs <= 0 {
		t.Errorf("limits: memory %d, swap %d, pids %v, NanoCPUs %d", hc.Memory, hc.MemorySwap, hc.PidsLimit, hc.NanoCPUs)
	}
	realSandbox, err := filepath.EvalSymlinks(sandbox)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range info.Mounts {
		seen[m.Destination] = true
		switch m.Destination {
		case "/code":
			if m.RW || !strings.HasPrefix(m.Source, api.Data) {
				t.Errorf("/code mount %+v: want read-only from under %s", m, api.Data)
			}
		case "/sandbox":
			if m.RW || m.Source != realSandbox {
				t.Errorf("/sandbox mount %+v: want read-only from %s", m, realSandbox)
			}
		case "/run/stargate":
		default:
			if m.RW {
				t.Errorf("writable mount %s from %s", m.Destination, m.Source)
			}
		}
	}
	if !seen["/code"] || !seen["/sandbox"] {
		t.Errorf("mounts %v lack /code or /sandbox", seen)
	}
	if len(cfg.Cmd) == 0 || cfg.Cmd[0] != "/code/fn" {
		t.Errorf("command %q does not run the built binary", cfg.Cmd)
	}
	for _, kv := range cfg.Env {
		name, value, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "STARGATE_") || strings.Contains(value, testKey) {
			t.Errorf("the container's environment carries %s", kv)
		}
	}
	jsonEqual(t, "call behind the wall", api.Call("GET", "/improved/scan/WordStats?text=walls+walls&minLen=1", nil), `{"walls":2}`)
}
