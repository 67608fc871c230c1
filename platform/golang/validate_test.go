package golang

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"stargate/platform"
)

// rejected: every source here must be refused with the rule named, at the
// line given (0: any line).
var rejected = []struct {
	name, rule string
	line       int
	src        string
}{
	{"os", "banned-import", 2, `import "os"` + "\nfunc F() { os.Exit(1) }"},
	{"os/exec", "banned-import", 2, `import "os/exec"` + "\nfunc F() { exec.Command(\"sh\").Run() }"},
	{"aliased os", "banned-import", 2, `import o "os"` + "\nfunc F() { o.Exit(1) }"},
	{"grouped os", "banned-import", 4, "import (\n\t\"strings\"\n\t\"os\"\n)\nfunc F() string { _ = os.Args; return strings.ToUpper(\"\") }"},
	{"net", "banned-import", 2, `import "net"` + "\nfunc F() { net.Dial(\"tcp\", \"x:1\") }"},
	{"net/http", "banned-import", 2, `import "net/http"` + "\nfunc F() { http.Get(\"http://x\") }"},
	{"net/url", "banned-import", 2, `import "net/url"` + "\nfunc F() { url.Parse(\"\") }"},
	{"blank pprof", "banned-import", 2, `import _ "net/http/pprof"` + "\nfunc F() {}"},
	{"syscall", "banned-import", 2, `import "syscall"` + "\nfunc F() { syscall.Kill(1, 9) }"},
	{"unsafe", "banned-import", 2, `import "unsafe"` + "\nfunc F() uintptr { return unsafe.Sizeof(0) }"},
	{"plugin", "banned-import", 2, `import "plugin"` + "\nfunc F() { plugin.Open(\"x\") }"},
	{"runtime", "banned-import", 2, `import "runtime"` + "\nfunc F() { runtime.Goexit() }"},
	{"runtime/debug", "banned-import", 2, `import "runtime/debug"` + "\nfunc F() { debug.SetGCPercent(1) }"},
	{"reflect", "banned-import", 2, `import "reflect"` + "\nfunc F() { reflect.ValueOf(0) }"},
	{"io/ioutil", "banned-import", 2, `import "io/ioutil"` + "\nfunc F() { ioutil.ReadFile(\"/etc/passwd\") }"},
	{"path/filepath", "banned-import", 2, `import "path/filepath"` + "\nfunc F() { filepath.Glob(\"/*\") }"},
	{"log", "banned-import", 2, `import "log"` + "\nfunc F() { log.Fatal(1) }"},
	{"context", "banned-import", 2, `import "context"` + "\nfunc F() { _ = context.Background() }"},
	{"embed", "banned-import", 2, `import "embed"` + "\nvar X embed.FS\nfunc F() {}"},
	{"internal", "banned-import", 2, `import "internal/abi"` + "\nfunc F() {}"},
	{"nested internal", "banned-import", 2, `import "image/internal/imageutil"` + "\nfunc F() {}"},
	{"third party", "banned-import", 2, `import "github.com/evil/pkg"` + "\nfunc F() { pkg.Do() }"},
	{"text/template", "banned-import", 2, `import "text/template"` + "\nfunc F() { template.New(\"x\") }"},
	{"crypto/rand", "banned-import", 2, `import "crypto/rand"` + "\nfunc F() { rand.Read(nil) }"},
	{"cgo", "cgo", 3, "// #include <stdlib.h>\nimport \"C\"\nfunc F() { C.free(nil) }"},
	{"linkname", "directive", 3, "import _ \"strings\"\n//go:linkname nanotime runtime.nanotime\nfunc nanotime() int64\nfunc F() int64 { return nanotime() }"},
	{"embed directive", "directive", 2, "//go:embed secret.txt\nvar s string\nfunc F() string { return s }"},
	{"build constraint", "directive", 2, "//go:build ignore\n\nfunc F() {}"},
	{"old build constraint", "directive", 2, "// +build linux\n\nfunc F() {}"},
	{"noinline", "directive", 2, "//go:noinline\nfunc F() {}"},
	{"nosplit", "directive", 2, "//go:nosplit\nfunc F() {}"},
	{"line directive", "directive", 2, "//line other.go:100\nfunc F() {}"},
	{"block line directive", "directive", 2, "/*line other.go:100*/ func F() {}"},
	{"export", "directive", 2, "//export F\nfunc F() {}"},
	{"dot import", "dot-import", 2, `import . "strings"` + "\nfunc F() string { return ToUpper(\"x\") }"},
	{"go statement", "goroutine", 2, "func F() { go func() {}() }"},
	{"go statement nested", "goroutine", 5, "func F() {\n\tfor i := 0; i < 2; i++ {\n\t\tf := func() {}\n\t\tgo f()\n\t}\n}"},
	{"AfterFunc", "banned-function", 4, "import \"time\"\nfunc F() {\n\ttime.AfterFunc(0, func() {})\n}"},
	{"AfterFunc value", "banned-function", 3, "import tm \"time\"\nvar after = tm.AfterFunc\nfunc F() {}"},
	{"reserved var", "reserved-name", 2, "var stargate_x = 1\nfunc F() int { return stargate_x }"},
	{"reserved reference", "reserved-name", 3, "func F() any {\n\treturn Stargate_Function\n}"},
	{"reserved import name", "reserved-name", 2, "import stargate_strings \"strings\"\nfunc F() string { return stargate_strings.ToUpper(\"\") }"},
	{"shadow string", "builtin-shadow", 2, "type string = int\nfunc F(s string) {}"},
	{"shadow len", "builtin-shadow", 2, "func len(x []int) int { return 0 }\nfunc F() {}"},
	{"shadow nil", "builtin-shadow", 2, "var nil = 1\nfunc F() {}"},
	{"syntax", "syntax-error", 2, "func F( {"},
	{"chan param", "unsupported-signature", 2, "func F(c chan int) {}"},
	{"func param", "unsupported-signature", 2, "func F(f func() int) int { return f() }"},
	{"unnamed param", "unsupported-signature", 2, "func F(int) {}"},
	{"blank param", "unsupported-signature", 2, "func F(_ int) {}"},
	{"generic", "unsupported-signature", 2, "func F[T any](x T) T { return x }"},
	{"three results", "unsupported-signature", 2, "func F() (int, int, error) { return 0, 0, nil }"},
	{"error first", "unsupported-signature", 2, "func F() (error, int) { return nil, 0 }"},
	{"two values", "unsupported-signature", 2, "func F() (int, string) { return 0, \"\" }"},
	{"float key", "unsupported-signature", 2, "func F(m map[float64]int) {}"},
	{"chan field", "unsupported-signature", 3, "type T struct {\n\tC chan int\n}\nfunc F(t T) {}"},
	{"interface", "unsupported-signature", 2, "func F(x interface{ M() }) {}"},
	{"anonymous struct", "unsupported-signature", 2, "func F(p struct{ X int }) {}"},
	{"complex", "unsupported-signature", 2, "func F(c complex128) {}"},
	{"uintptr", "unsupported-signature", 2, "func F(p uintptr) {}"},
	{"imported type", "unsupported-signature", 4, "import \"math/big\"\nfunc F(\n\tn *big.Int) {}"},
	{"array const length", "unsupported-signature", 3, "const N = 3\nfunc F(a [N]int) {}"},
	{"error param", "unsupported-signature", 2, "func F(err error) {}"},
	{"generic type", "unsupported-signature", 4, "type Box[T any] struct{ V T }\nfunc F(\n\tb Box[int]) {}"},
	{"init", "unsupported-signature", 2, "func init() {}"},
	{"result chan", "unsupported-signature", 2, "func F() chan int { return nil }"},
}

func TestRejected(t *testing.T) {
	if len(rejected) < 25 {
		t.Fatalf("only %d rejected cases", len(rejected))
	}
	for _, tt := range rejected {
		t.Run(tt.name, func(t *testing.T) {
			src := "package p\n" + tt.src
			fn := "F"
			if tt.name == "init" {
				fn = "init"
			}
			a := analyze("m.go", []byte(src), fn, DefaultPolicy())
			for _, v := range a.violations {
				if v.Rule == tt.rule && (tt.line == 0 || v.Line == tt.line) {
					if v.File != "m.go" || v.Message == "" || (v.Rule != "syntax-error" && v.Col < 1) {
						t.Errorf("violation without file, column or message: %+v", v)
					}
					return
				}
			}
			t.Errorf("want %s at line %d, got %+v", tt.rule, tt.line, a.violations)
		})
	}
}

// accepted: ordinary Go an agent writes must pass and have a signature.
var accepted = map[string]string{
	"issue example": `package improvements
import "strings"
// WordStats counts words of at least minLen letters.
func WordStats(text string, minLen int) (map[string]int, error) {
	out := map[string]int{}
	for _, w := range strings.Fields(text) {
		if len(w) >= minLen { out[strings.ToLower(w)]++ }
	}
	return out, nil
}`,
	"nothing in or out": "package p\nfunc F() {}",
	"error only":        "package p\nimport \"errors\"\nfunc F(x int) error { if x < 0 { return errors.New(\"neg\") }; return nil }",
	"structs": "package p\ntype Node struct {\n\tName string `json:\"name\"`\n\tKids []Node `json:\"kids,omitempty\"`\n\tMeta *Meta\n\tskip int\n}\n" +
		"type Meta struct{ Tags map[string][]string; Weight float32 `json:\"w\"` }\nfunc F(root Node, depth uint8) (Node, error) { return root, nil }",
	"pointer and variadic": "package p\nfunc F(scale *float64, xs ...int) []float64 { return nil }",
	"package main":         "package main\nimport \"fmt\"\nfunc init() { _ = fmt.Sprint() }\nfunc main() {}\nfunc F(s string) string { return s }",
	"unexported":           "package p\nfunc f(b bool) bool { return !b }\nfunc F() {}",
	"time and int keys":    "package p\nimport \"time\"\nfunc F(when time.Time, byID map[int]string, at *time.Time) (int64, error) { return 0, nil }",
	"generic helper": "package p\nimport \"cmp\"\nfunc maxOf[T cmp.Ordered](xs []T) T { var m T; for _, x := range xs { m = max(m, x) }; return m }\n" +
		"func F(xs []int) int { return maxOf(xs) }",
	"image bytes": "package p\nimport (\n\t\"bytes\"\n\t\"image\"\n\t_ \"image/png\"\n)\nfunc F(png []byte) ([2]int, error) {\n\timg, _, err := image.Decode(bytes.NewReader(png))\n" +
		"\tif err != nil { return [2]int{}, err }\n\tb := img.Bounds()\n\treturn [2]int{b.Dx(), b.Dy()}, nil\n}",
	"any":              "package p\nfunc F(v any, m map[string]any) map[string]any { return m }",
	"aliases":          "package p\nimport str \"strings\"\ntype Words = []string\ntype Celsius float64\nfunc F(w Words, c Celsius) string { return str.Join(w, \" \") }",
	"method same name": "package p\ntype T struct{}\nfunc (T) F() {}\nfunc F(x int) int { return x }",
	"local shadow":     "package p\nfunc F(s string) int { string := len(s); return string }",
	"rand v2":          "package p\nimport \"math/rand/v2\"\nfunc F(n int) int { return rand.IntN(n) }",
	"custom decoder": "package p\nimport \"strings\"\ntype Upper string\nfunc (u *Upper) UnmarshalText(b []byte) error { *u = Upper(strings.ToUpper(string(b))); return nil }\n" +
		"func F(u Upper, us []Upper) Upper { return u }",
	"spaced comment": "package p\n// go:generate is only a comment with a space\n// stargate_ in a comment is fine\nfunc F() string { return \"stargate_x\" }",
	"hash and json": "package p\nimport (\n\t\"crypto/sha256\"\n\t\"encoding/hex\"\n\t\"encoding/json\"\n\t\"sort\"\n\t\"sync\"\n)\n" +
		"var once sync.Once\nfunc F(v map[string]int) (string, error) {\n\tonce.Do(func() {})\n\tks := make([]string, 0)\n\tfor k := range v { ks = append(ks, k) }\n\tsort.Strings(ks)\n" +
		"\tb, err := json.Marshal(ks)\n\th := sha256.Sum256(b)\n\treturn hex.EncodeToString(h[:]), err\n}",
	"embedded": "package p\ntype Base struct{ ID int `json:\"id\"` }\ntype Item struct {\n\tBase\n\t*Extra\n\tName string\n}\ntype Extra struct{ Note string }\nfunc F(it Item) Item { return it }",
}

func TestAccepted(t *testing.T) {
	if len(accepted) < 10 {
		t.Fatalf("only %d accepted cases", len(accepted))
	}
	for name, src := range accepted {
		t.Run(name, func(t *testing.T) {
			fn := "F"
			if name == "issue example" {
				fn = "WordStats"
			}
			a := analyze("m.go", []byte(src), fn, DefaultPolicy())
			if len(a.violations) > 0 {
				t.Fatalf("violations: %+v", a.violations)
			}
			if a.entry == nil {
				t.Fatal("no signature")
			}
		})
	}
}

func TestCheck(t *testing.T) {
	v := NewValidator()
	files := platform.Files{
		"a.go":     []byte("package a\nfunc F() {}"),
		"b.go":     []byte("package b\nfunc F() {}"),
		"c.go":     []byte("package c\nfunc G() {}"),
		"bad.go":   []byte("package ("),
		"sub/d.go": []byte("package d\nfunc F() {}"),
		"my-f.go":  []byte("package d\nfunc F() {}"),
		"e.py":     []byte("def F(): pass"),
	}
	ctx := context.Background()
	res, err := v.Check(ctx, platform.CheckRequest{Language: platform.LanguageGo, Files: files, Function: "F"})
	if err != nil || !reflect.DeepEqual(res.Candidates, []string{"a", "b"}) || res.Signature != nil {
		t.Fatalf("several candidates: %+v %v", res, err)
	}
	res, err = v.Check(ctx, platform.CheckRequest{Language: platform.LanguageGo, Files: files, Function: "G"})
	if err != nil || res.Module != "c" || res.Signature == nil || !reflect.DeepEqual(res.Files, []string{"c.go"}) {
		t.Fatalf("one candidate: %+v %v", res, err)
	}
	res, err = v.Check(ctx, platform.CheckRequest{Language: platform.LanguageGo, Files: files, Module: "c", Function: "H"})
	if err != nil || res.Signature != nil || len(res.Violations) > 0 {
		t.Fatalf("function not defined: %+v %v", res, err)
	}
	if _, err = v.Check(ctx, platform.CheckRequest{Language: platform.LanguageGo, Files: files, Module: "zz", Function: "F"}); !errors.Is(err, platform.ErrModuleNotFound) {
		t.Fatalf("missing module: %v", err)
	}
	if _, err = v.Check(ctx, platform.CheckRequest{Language: platform.LanguagePython, Files: files, Function: "F"}); !errors.Is(err, platform.ErrInvalid) {
		t.Fatalf("python request: %v", err)
	}
}

func TestSignature(t *testing.T) {
	src := "package p\ntype Opts struct {\n\tMin int `json:\"min\"`\n\tTags []string\n}\n" +
		"// Score rates text.\n//\n// It is pure.\nfunc Score(text string, weight *float64, opts Opts, raw []byte, when [2]bool, rest ...uint16) (map[string]float64, error) { return nil, nil }"
	a := analyze("m.go", []byte(src), "Score", DefaultPolicy())
	if a.entry == nil {
		t.Fatalf("violations: %+v", a.violations)
	}
	sig := a.entry.signature()
	if sig.Doc != "Score rates text.\n\nIt is pure." || sig.Returns != "(map[string]float64, error)" {
		t.Errorf("doc %q, returns %q", sig.Doc, sig.Returns)
	}
	want := []struct {
		name, annotation, schema string
		required                 bool
	}{
		{"text", "string", `{"type":"string"}`, true},
		{"weight", "*float64", `{"nullable":true,"type":"number"}`, false},
		{"opts", "Opts", `{"properties":{"Tags":{"items":{"type":"string"},"type":"array"},"min":{"type":"integer"}},"type":"object"}`, true},
		{"raw", "[]byte", `{"format":"byte","type":"string"}`, false},
		{"when", "[2]bool", `{"items":{"type":"boolean"},"maxItems":2,"minItems":2,"type":"array"}`, true},
		{"rest", "...uint16", `{"items":{"type":"integer"},"type":"array"}`, false},
	}
	if len(sig.Params) != len(want) {
		t.Fatalf("params %+v", sig.Params)
	}
	for i, w := range want {
		p := sig.Params[i]
		if p.Name != w.name || p.Annotation != w.annotation || string(p.Schema) != w.schema || p.Required != w.required {
			t.Errorf("param %d = %+v (schema %s), want %+v", i, p, p.Schema, w)
		}
	}
	if string(sig.ReturnSchema) != `{"additionalProperties":{"type":"number"},"type":"object"}` {
		t.Errorf("return schema %s", sig.ReturnSchema)
	}
}

func TestPolicyLists(t *testing.T) {
	p := DefaultPolicy()
	for _, path := range []string{"strings", "math", "math/big", "unicode/utf8", "encoding/json", "hash/crc32", "image/png", "compress/gzip", "container/heap"} {
		if rule, msg := p.importProblem(path); rule != "" {
			t.Errorf("%s refused: %s", path, msg)
		}
	}
	for _, path := range []string{"os", "os/user", "net/url", "runtime", "runtime/pprof", "debug/elf", "go/ast", "testing", "C", "mathx", "math2/x"} {
		if rule, _ := p.importProblem(path); rule == "" {
			t.Errorf("%s allowed", path)
		}
	}
	if _, msg := p.importProblem("os/exec"); !strings.Contains(msg, "processes") {
		t.Errorf("os/exec reason: %s", msg)
	}
}
