package sandbox_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"stargate/platform"
	"stargate/platform/sandbox"
)

// tree writes files (path -> content; a path ending in "/" is a folder)
// under dir.
func tree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// sandboxes returns a sandboxes folder holding "good" (a real sandbox), a
// file named "afile", and "linked", a symlink to a folder elsewhere.
func sandboxes(t *testing.T) (sandbox.Dir, string) {
	t.Helper()
	base := t.TempDir()
	root := filepath.Join(base, "results")
	tree(t, root, map[string]string{"good/api.py": "def handler(): pass\n", "afile": "x"})
	tree(t, base, map[string]string{"elsewhere/api.py": "secret = 1\n"})
	symlink(t, filepath.Join(base, "elsewhere"), filepath.Join(root, "linked"))
	return sandbox.NewDir(root), root
}

func TestDirOpen(t *testing.T) {
	d, root := sandboxes(t)
	tests := []struct {
		hash string
		want error
	}{
		{"good", nil},
		{"missing", platform.ErrSandboxNotFound},
		{"afile", platform.ErrSandboxNotFound},
		{"linked", platform.ErrSandboxNotFound},
		{"..", platform.ErrInvalid},
		{"../results/good", platform.ErrInvalid},
		{"good/..", platform.ErrInvalid},
		{"", platform.ErrInvalid},
	}
	for _, tt := range tests {
		sb, err := d.Open(tt.hash)
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("Open(%q) = %v, want %v", tt.hash, err, tt.want)
			continue
		}
		if err == nil {
			if got, want := sb.Path, filepath.Join(root, tt.hash); got != want || sb.Hash != tt.hash {
				t.Errorf("Open(%q) = %+v, want Path %q", tt.hash, sb, want)
			}
		}
		if tt.want == platform.ErrInvalid && errors.Is(err, platform.ErrNotFound) {
			t.Errorf("Open(%q) = %v: a bad name must not look like a missing sandbox", tt.hash, err)
		}
	}
}

func TestDirOpenMissingRoot(t *testing.T) {
	d := sandbox.NewDir(filepath.Join(t.TempDir(), "nope"))
	if _, err := d.Open("good"); !errors.Is(err, platform.ErrSandboxNotFound) {
		t.Errorf("Open on a missing root = %v, want ErrSandboxNotFound", err)
	}
	got, err := d.List()
	if err != nil || len(got) != 0 {
		t.Errorf("List on a missing root = %v, %v, want nothing", got, err)
	}
}

// A symlinked sandboxes folder is resolved: the sandbox's Path is the real
// one, so what gets mounted is what the checker read.
func TestDirOpenResolvesSymlinkedRoot(t *testing.T) {
	_, root := sandboxes(t)
	link := filepath.Join(t.TempDir(), "link")
	symlink(t, root, link)
	sb, err := sandbox.NewDir(link).Open("good")
	if err != nil {
		t.Fatal(err)
	}
	real, _ := filepath.EvalSymlinks(root)
	if got, want := sb.Path, filepath.Join(real, "good"); got != want {
		t.Errorf("Path = %q, want %q", got, want)
	}
}

func TestDirList(t *testing.T) {
	d, root := sandboxes(t)
	tree(t, root, map[string]string{"b2/": "", ".hidden/": "", "bad name/": ""})
	got, err := d.List()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if want := []string{"b2", "good"}; !slices.Equal(got, want) {
		t.Errorf("List() = %q, want %q", got, want)
	}
	if got, want := d.Root(), root; got != want {
		t.Errorf("Root() = %q, want %q", got, want)
	}
}

func TestHasFile(t *testing.T) {
	d, root := sandboxes(t)
	good := filepath.Join(root, "good")
	tree(t, good, map[string]string{"pkg/": ""})
	symlink(t, "/etc/passwd", filepath.Join(good, "passwd.py"))
	symlink(t, "api.py", filepath.Join(good, "alias.py"))
	sb, err := d.Open("good")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		rel  string
		want bool
	}{
		{"api.py", true},
		{"missing.py", false},
		{"pkg", false},
		{"passwd.py", false},
		{"alias.py", false},
		{"../afile", false},
		{"/etc/passwd", false},
	}
	for _, tt := range tests {
		if got := sb.HasFile(tt.rel); got != tt.want {
			t.Errorf("HasFile(%q) = %v, want %v", tt.rel, got, tt.want)
		}
	}
}

var unlimited = sandbox.Limits{MaxBytes: 1 << 20, MaxFiles: 100, MaxDepth: 8}

func open(t *testing.T, files map[string]string) (sandbox.Sandbox, string) {
	t.Helper()
	root := t.TempDir()
	tree(t, filepath.Join(root, "sb"), files)
	sb, err := sandbox.NewDir(root).Open("sb")
	if err != nil {
		t.Fatal(err)
	}
	return sb, sb.Path
}

func keys(fs platform.Files) []string {
	out := make([]string, 0, len(fs))
	for k := range fs {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestSources(t *testing.T) {
	sb, dir := open(t, map[string]string{
		"api.py":                 "A",
		"pkg/__init__.py":        "",
		"pkg/b.py":               "B",
		"pkg/sub/c.py":           "C",
		"notes.txt":              "not python",
		"script.pyc":             "compiled",
		".git/hooks.py":          "hidden",
		"pkg/.venv/lib.py":       "hidden",
		"__pycache__/api.py":     "cache",
		"pkg/__pycache__/b.py":   "cache",
		"empty/":                 "",
		"weird.py/inner.py":      "a folder named like a module",
		"deep/a/b/c/d/e/f/g.py":  "G",
		"deep/a/b/c/d/e/f/g/h/i": "not python",
	})
	symlink(t, "/etc/passwd", filepath.Join(dir, "x.py"))
	symlink(t, "api.py", filepath.Join(dir, "alias.py"))
	symlink(t, "/etc", filepath.Join(dir, "etc"))
	symlink(t, "pkg", filepath.Join(dir, "pkglink"))

	got, err := sb.Sources(".py", unlimited)
	if err != nil {
		t.Fatalf("Sources: %v", err)
	}
	want := []string{"api.py", "deep/a/b/c/d/e/f/g.py", "pkg/__init__.py", "pkg/b.py", "pkg/sub/c.py", "weird.py/inner.py"}
	if !slices.Equal(keys(got), want) {
		t.Errorf("Sources keys = %q, want %q", keys(got), want)
	}
	if got, want := string(got["pkg/sub/c.py"]), "C"; got != want {
		t.Errorf("pkg/sub/c.py = %q, want %q", got, want)
	}
	for k, v := range got {
		if strings.Contains(string(v), "root:") {
			t.Errorf("%s holds /etc/passwd", k)
		}
	}
}

func TestSourcesLimits(t *testing.T) {
	files := map[string]string{
		"a.py":         strings.Repeat("a", 10),
		"b.py":         strings.Repeat("b", 10),
		"p/c.py":       strings.Repeat("c", 10),
		"p/q/r/s/d.py": "",
	}
	tests := []struct {
		name     string
		lim      sandbox.Limits
		wantKeys []string
		wantErr  bool
	}{
		{"room for all", sandbox.Limits{MaxBytes: 30, MaxFiles: 4, MaxDepth: 8}, []string{"a.py", "b.py", "p/c.py", "p/q/r/s/d.py"}, false},
		{"one byte over", sandbox.Limits{MaxBytes: 29, MaxFiles: 4, MaxDepth: 8}, nil, true},
		{"one file over", sandbox.Limits{MaxBytes: 100, MaxFiles: 3, MaxDepth: 8}, nil, true},
		{"no budget", sandbox.Limits{MaxBytes: 0, MaxFiles: 4, MaxDepth: 8}, nil, true},
		// MaxDepth bounds the walk: deeper folders are not read at all.
		{"top folder only", sandbox.Limits{MaxBytes: 100, MaxFiles: 4, MaxDepth: 0}, []string{"a.py", "b.py"}, false},
		{"one level", sandbox.Limits{MaxBytes: 100, MaxFiles: 4, MaxDepth: 1}, []string{"a.py", "b.py", "p/c.py"}, false},
		{"exact depth", sandbox.Limits{MaxBytes: 100, MaxFiles: 4, MaxDepth: 4}, []string{"a.py", "b.py", "p/c.py", "p/q/r/s/d.py"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb, _ := open(t, files)
			got, err := sb.Sources(".py", tt.lim)
			if tt.wantErr {
				var rej *platform.RejectedError
				if !errors.As(err, &rej) || len(rej.Violations) != 1 || rej.Violations[0].Rule != "too-large" {
					t.Fatalf("Sources = %v, %v, want a too-large RejectedError", keys(got), err)
				}
				if !errors.Is(err, platform.ErrRejected) {
					t.Errorf("error %v does not wrap ErrRejected", err)
				}
				if f := rej.Violations[0].File; strings.HasPrefix(f, "/") || strings.Contains(f, "..") {
					t.Errorf("violation names %q, want a path relative to the sandbox", f)
				}
				return
			}
			if err != nil {
				t.Fatalf("Sources: %v", err)
			}
			if !slices.Equal(keys(got), tt.wantKeys) {
				t.Errorf("keys = %q, want %q", keys(got), tt.wantKeys)
			}
		})
	}
}

func TestSourcesOfRemovedSandbox(t *testing.T) {
	sb, dir := open(t, map[string]string{"a.py": ""})
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := sb.Sources(".py", unlimited); !errors.Is(err, platform.ErrSandboxNotFound) {
		t.Errorf("Sources of a removed sandbox = %v, want ErrSandboxNotFound", err)
	}
}
