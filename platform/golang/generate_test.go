package golang

import (
	"bytes"
	"errors"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"stargate/platform"
	"stargate/platform/gateway"
	goruntime "stargate/runtimes/go"
)

// TestGeneratedCompiles generates the module of every accepted source and
// compiles it (and vets the binding) with the host's toolchain.
func TestGeneratedCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles with the go command")
	}
	for name, src := range accepted {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn := "F"
			if name == "issue example" {
				fn = "WordStats"
			}
			m, err := Generate("m", fn, []byte(src), GoVersion())
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			writeTree(t, dir, m.Files)
			if out, err := hostGo(t, dir, "vet", "./..."); err != nil {
				t.Fatalf("generated module does not build:\n%s\n%s", out, m.Files[bindingFile])
			}
		})
	}
}

func TestGenerate(t *testing.T) {
	src := []byte("// Doc.\npackage main // any clause\n\nfunc main() {}\n\nfunc F(x int) int { return x }\n")
	m, err := Generate("m", "F", src, "1.26")
	if err != nil {
		t.Fatal(err)
	}
	got := string(m.Files[agentFile])
	if want := "// Doc.\npackage fn // any clause\n\nfunc main() {}\n\nfunc F(x int) int { return x }\n"; got != want {
		t.Errorf("agent file:\n%s", got)
	}
	if string(m.Files["go.mod"]) != "module stargatefn\n\ngo 1.26\n" {
		t.Errorf("go.mod: %s", m.Files["go.mod"])
	}
	for _, name := range []string{"runner/server.go", "bind/convert.go"} {
		if _, ok := m.Files[name]; !ok {
			t.Errorf("%s missing", name)
		}
	}
	if !strings.Contains(string(m.Files["runner/server.go"]), `"stargatefn/bind"`) {
		t.Error("the runner's import of bind is not rewritten")
	}
	for name := range m.Files {
		if strings.HasSuffix(name, "_test.go") {
			t.Errorf("test file %s in the module", name)
		}
	}
	m2, _ := Generate("m", "F", src, "1.26")
	if m.Digest() != m2.Digest() {
		t.Error("generation is not deterministic")
	}
	var re *platform.RejectedError
	if _, err := Generate("m", "F", []byte("package p\nimport \"os\"\nfunc F() { os.Exit(1) }"), "1.26"); !errors.As(err, &re) || re.Violations[0].Rule != "banned-import" {
		t.Errorf("banned import: %v", err)
	}
	if _, err := Generate("m", "G", src, "1.26"); !errors.Is(err, platform.ErrFunctionNotFound) {
		t.Errorf("missing function: %v", err)
	}
}

// TestGeneratedServes builds testdata/textstats.go with the host toolchain
// and calls it over its socket: the binding and the runner together,
// without a container.
func TestGeneratedServes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds with the go command")
	}
	m, err := Generate("textstats", "Analyze", readTestdata(t, "textstats.go"), GoVersion())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeTree(t, dir, m.Files)
	bin := filepath.Join(dir, "fn.bin")
	if out, err := hostGo(t, dir, "build", "-trimpath", "-o", bin, "."); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	sockDir := shortTempDir(t, "gs")
	sock := filepath.Join(sockDir, SocketName)
	cmd := exec.Command(bin, "--socket", sock, "--module", "textstats", "--function", "Analyze")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("runner's stderr:\n%s", stderr.String())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for !isSocket(sock) {
		if time.Now().After(deadline) {
			t.Fatal("the socket never appeared")
		}
		time.Sleep(5 * time.Millisecond)
	}
	exercise(t, sock)
}

// TestBindImportsAllowed: the package the binding imports into the agent's
// package imports nothing an agent could not import itself.
func TestBindImportsAllowed(t *testing.T) {
	p := DefaultPolicy()
	n := 0
	for name, data := range goruntime.Files(modulePath) {
		if !strings.HasPrefix(name, "bind/") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, data, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			n++
			path, _ := strconv.Unquote(imp.Path.Value)
			if rule, msg := p.importProblem(path); rule != "" {
				t.Errorf("%s: %s", name, msg)
			}
		}
	}
	if n == 0 {
		t.Fatal("no imports found in bind")
	}
}

func isSocket(p string) bool {
	fi, err := os.Lstat(p)
	return err == nil && fi.Mode().Type() == os.ModeSocket
}

func TestSocketName(t *testing.T) {
	if SocketName != gateway.SocketName {
		t.Fatalf("SocketName %q, gateway listens on %q", SocketName, gateway.SocketName)
	}
}

func TestCompileViolations(t *testing.T) {
	log := "# stargatefn/fn\n" +
		"fn/fn.go:4:9: undefined: helper\n" +
		"fn/fn.go:7:2: cannot use x (variable of type int) as string value in return statement\n" +
		"\thave (int)\n\twant (string)\n" +
		"fn/stargate_binding.go:30:4: something that follows\n"
	got := compileViolations([]byte(log), "m.go")
	if len(got) != 2 || got[0] != (platform.Violation{File: "m.go", Rule: "compile-error", Line: 4, Col: 9, Message: "undefined: helper"}) ||
		got[1].Line != 7 || !strings.HasSuffix(got[1].Message, "have (int)\nwant (string)") {
		t.Errorf("violations %+v", got)
	}
	got = compileViolations([]byte("fn/stargate_binding.go:3:1: oops\n"), "m.go")
	if len(got) != 1 || !strings.Contains(got[0].Message, "generated code") || got[0].Line != 0 {
		t.Errorf("generated-code violations %+v", got)
	}
	got = compileViolations([]byte("go: something else broke\n"), "m.go")
	if len(got) != 1 || got[0].Message != "go: something else broke" {
		t.Errorf("other output %+v", got)
	}
}
