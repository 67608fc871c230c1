package integration

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// The error contract for Go functions, part one: what a load can get wrong
// (400, 404, 409, 413) and the code the validator or the compiler refuses
// (422). Calls that go wrong are in golang_calls_test.go.

// bilingual defines detect in det.py and in det.go.
var bilingual = map[string]string{
	"det.py": "def detect(x: int = 1):\n    return {\"lang\": \"python\", \"x\": x}\n",
	"det.go": "package det\n\n// detect answers in Go.\nfunc detect(x int) map[string]any { return map[string]any{\"lang\": \"go\", \"x\": x} }\n",
}

func TestGoErrorsRequest(t *testing.T) {
	t.Parallel()
	api := goAPI(t, Options{Env: map[string]string{"STARGATE_MAX_BODY_BYTES": "4096"}})
	api.Sandbox("gorequest", map[string]string{"wordstats.go": goSource(t, "wordstats.go"), "shapes.go": goSource(t, "shapes.go")})
	api.Sandbox("gobilingual", bilingual)
	load := func(hash, function, module, language string) Response {
		req := loadReq(hash, function, module, "scan")
		if language != "" {
			req["language"] = language
		}
		return api.Do("POST", "/self-improve/load", req, testKey)
	}

	// 400: a language that is neither python nor go.
	for _, lang := range []string{"rust", "Go", " go"} {
		r := load("gorequest", "WordStats", "wordstats", lang)
		expect(t, r, http.StatusBadRequest, "invalid_request")
		if details(r)["field"] != "language" || !strings.Contains(r.Str("message"), "python or go") {
			t.Errorf("language %q: %s", lang, r)
		}
	}
	r := api.Do("POST", "/self-improve/load", map[string]any{"visible_pixel_hash": "gorequest",
		"function_name": "WordStats", "improvement_type": "scan", "language": 1}, testKey)
	expect(t, r, http.StatusBadRequest, "invalid_request")
	if details(r)["field"] != "language" {
		t.Errorf("a number as language: %s", r)
	}

	// 404: no such function, module or sandbox.
	notFound := []struct {
		hash, function, module, language, code, says string
	}{
		{"gorequest", "Nope", "wordstats", "", "function_not_found", "module wordstats does not define a top-level function Nope"},
		{"gorequest", "Nope", "", "", "function_not_found", "Nope"},
		{"gorequest", "Nope", "", "go", "function_not_found", "no Go module in sandbox gorequest defines a top-level function Nope"},
		{"gorequest", "WordStats", "nomod", "go", "module_not_found", "nomod.go"},
		{"gorequest", "WordStats", "nomod", "", "module_not_found", "nomod"},
		// A Go function is not found when Python is asked for.
		{"gorequest", "WordStats", "", "python", "function_not_found", "WordStats"},
		{"nosuchsandbox", "WordStats", "", "go", "sandbox_not_found", "nosuchsandbox"},
	}
	for _, c := range notFound {
		r := load(c.hash, c.function, c.module, c.language)
		expect(t, r, http.StatusNotFound, c.code)
		if !strings.Contains(r.Str("message"), c.says) {
			t.Errorf("%s/%s module %q language %q: message %q does not say %q", c.hash, c.function, c.module, c.language, r.Str("message"), c.says)
		}
	}
	expect(t, api.Call("GET", "/improved/scan/WordStats", nil), http.StatusNotFound, "route_not_found")

	// 409: det.py and det.go, and no language to choose.
	r = load("gobilingual", "detect", "det", "")
	expect(t, r, http.StatusConflict, "conflict")
	if msg := r.Str("message"); !strings.Contains(msg, "det.py") || !strings.Contains(msg, "det.go") || !strings.Contains(msg, "language") {
		t.Errorf("conflict message: %q", msg)
	}
	r = load("gobilingual", "detect", "", "")
	expect(t, r, http.StatusConflict, "conflict")
	if msg := r.Str("message"); !strings.Contains(msg, "det.py, det.go") || !strings.Contains(msg, "module_name") {
		t.Errorf("conflict message without module_name: %q", msg)
	}
	if n := totalLoaded(t, api); n != 0 {
		t.Errorf("total_loaded %v after conflicts", n)
	}
	// The language field chooses; each load serves the right one.
	for _, lang := range []string{"python", "go", "python"} {
		r := api.Load(map[string]any{"visible_pixel_hash": "gobilingual", "function_name": "detect",
			"module_name": "det", "improvement_type": "scan", "language": lang})
		if r.Str("language") != lang {
			t.Errorf("load with language %s: %s", lang, r)
		}
		c := api.Call("GET", "/improved/scan/detect?x=7", nil)
		expect(t, c, http.StatusOK, "")
		if c.JSON["lang"] != lang || c.JSON["x"] != 7.0 {
			t.Errorf("detect loaded as %s answers %s", lang, c)
		}
		if item := statusItem(t, api, "detect"); item["language"] != lang || item["instances"] != 1.0 {
			t.Errorf("status after loading %s: %v", lang, item)
		}
	}
	// With language go and no module_name, only Go modules are searched.
	r = load("gobilingual", "detect", "", "go")
	if r.Status != http.StatusOK || r.Str("language") != "go" || r.Str("module_name") != "det" {
		t.Errorf("load of detect with language go and no module: %s", r)
	}

	// 413: a load or a call over STARGATE_MAX_BODY_BYTES.
	big := loadReq("gorequest", "Digest", "shapes", "scan")
	big["padding"] = strings.Repeat("x", 5000)
	r = api.Do("POST", "/self-improve/load", big, testKey)
	expect(t, r, http.StatusRequestEntityTooLarge, "too_large")
	if !strings.Contains(r.Str("message"), "4096") {
		t.Errorf("413 message does not give the limit: %s", r)
	}
	api.Load(loadReq("gorequest", "Digest", "shapes", "scan"))
	payload := strings.Repeat("QUJD", 1250) // 5000 characters of base64
	r = api.Call("POST", "/improved/scan/Digest", map[string]any{"data": payload})
	expect(t, r, http.StatusRequestEntityTooLarge, "too_large")
	r = api.Call("POST", "/improved/scan/Digest", map[string]any{"data": payload[:4000]})
	expect(t, r, http.StatusOK, "")
	if r.JSON["len"] != 3000.0 {
		t.Errorf("Digest of 4000 base64 characters: %.200s", r.Body)
	}
	healthy(t, api)
}

// Each kind of Go the policy refuses, with the rule and the position of
// the refused line: testdata/golang/rejected/<module>.go.
func TestGoErrorsRejected(t *testing.T) {
	t.Parallel()
	api := goAPI(t, Options{})
	const hash = "gorejected"
	files := map[string]string{}
	for _, name := range []string{"os", "exec", "http", "syscall", "unsafe", "plugin", "debug", "reflect",
		"cgo", "linkname", "embed", "directive", "notlisted", "ioutil"} {
		files[name+".go"] = goSource(t, "rejected/"+name+".go")
	}
	files["signatures.go"] = goSource(t, "signatures.go")
	files["compile.go"] = goSource(t, "compile.go")
	files["secret.txt"] = "the embed target exists: only the policy refuses it\n"
	api.Sandbox(hash, files)

	cases := []struct {
		kind, module, function string
		want                   []violation
		says                   string // in each violation's message
	}{
		{"os", "os", "Env", []violation{{"banned-import", 3, 8}}, `import of "os" is not allowed`},
		{"os/exec", "exec", "Run", []violation{{"banned-import", 3, 8}}, `import of "os/exec" is not allowed: functions cannot start processes`},
		{"net/http", "http", "Fetch", []violation{{"banned-import", 3, 8}}, `import of "net/http" is not allowed: functions have no network`},
		{"syscall", "syscall", "Pid", []violation{{"banned-import", 3, 8}}, `import of "syscall" is not allowed`},
		{"unsafe", "unsafe", "Size", []violation{{"banned-import", 3, 8}}, `import of "unsafe" is not allowed`},
		{"plugin", "plugin", "Open", []violation{{"banned-import", 3, 8}}, `import of "plugin" is not allowed`},
		{"runtime/debug", "debug", "Tune", []violation{{"banned-import", 3, 8}}, `import of "runtime/debug" is not allowed`},
		{"reflect", "reflect", "Kind", []violation{{"banned-import", 3, 8}}, `import of "reflect" is not allowed`},
		{"cgo", "cgo", "Rand", []violation{{"cgo", 4, 8}}, `import "C" (cgo) is not allowed`},
		{"go:linkname", "linkname", "Upper", []violation{{"directive", 5, 1}}, "//go:linkname is not allowed"},
		{"go:embed", "embed", "Secret", []violation{{"directive", 3, 1}}, "//go:embed is not allowed"},
		{"another directive", "directive", "Add", []violation{{"directive", 5, 1}}, "//go:noinline is not allowed"},
		{"not on the list", "notlisted", "Drivers", []violation{{"banned-import", 3, 8}}, `import of "database/sql" is not allowed: functions may import only`},
		{"denied io/ioutil", "ioutil", "Read", []violation{{"banned-import", 3, 8}}, `import of "io/ioutil" is not allowed`},
		{"channel parameter", "signatures", "Drain", []violation{{"unsupported-signature", 5, 15}}, "parameter ch: chan int is not supported"},
		{"func parameter", "signatures", "Apply", []violation{{"unsupported-signature", 8, 14}}, "parameter f: func(int) int is not supported"},
		{"three results", "signatures", "Split", []violation{{"unsupported-signature", 11, 22}}, "at most two results are supported"},
		{"channel result", "signatures", "Stream", []violation{{"unsupported-signature", 14, 20}}, "result: chan int is not supported"},
		{"compile error", "compile", "Shout", []violation{{"compile-error", 8, 2}, {"compile-error", 8, 16}, {"compile-error", 9, 9}}, ""},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.kind, "/", "_"), func(t *testing.T) {
			r := api.Do("POST", "/self-improve/load", loadReq(hash, c.function, c.module, "scan"), testKey)
			expect(t, r, http.StatusUnprocessableEntity, "rejected")
			if got := violations(t, r.JSON["details"]); !slices.Equal(got, c.want) {
				t.Errorf("violations %v, want %v", got, c.want)
			}
			for _, v := range r.JSON["details"].([]any) {
				m := v.(map[string]any)
				if m["file"] != c.module+".go" {
					t.Errorf("violation in file %v, want %s.go", m["file"], c.module)
				}
				if msg, _ := m["message"].(string); !strings.Contains(msg, c.says) {
					t.Errorf("violation message %q does not say %q", msg, c.says)
				}
			}
			if len(c.want) == 1 && !strings.HasPrefix(r.Str("message"), "rejected: "+c.module+".go:") {
				t.Errorf("message %q does not give the file and position", r.Str("message"))
			}
			body := string(r.Body)
			for _, host := range []string{api.Uploads, api.Data, "/code", "/run/stargate", "stargatefn", "fn/fn.go", "/tmp/"} {
				if strings.Contains(body, host) {
					t.Errorf("the answer names the path %s: %s", host, body)
				}
			}
		})
	}
	// The compiler's own words, at the agent's lines.
	r := api.Do("POST", "/self-improve/load", loadReq(hash, "Shout", "compile", "scan"), testKey)
	var msgs []string
	for _, v := range r.JSON["details"].([]any) {
		msgs = append(msgs, v.(map[string]any)["message"].(string))
	}
	want := []string{"declared and not used: n", "undefined: helper",
		"cannot use strings.ToUpper(s) (value of type string) as int value in return statement"}
	if !slices.Equal(msgs, want) {
		t.Errorf("compiler messages %q, want %q", msgs, want)
	}
	if n := totalLoaded(t, api); n != 0 {
		t.Errorf("rejected code was loaded: total_loaded %v", n)
	}
	if n := len(containers(t, api.Namespace, "function")); n != 0 {
		t.Errorf("%d function containers after rejected loads", n)
	}
	if n := len(containers(t, api.Namespace, "builder")); n != 0 {
		t.Errorf("%d builder containers remain", n)
	}
	healthy(t, api)
}
