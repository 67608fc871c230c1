// Package sandbox reads agents' sandbox folders, UPLOADS_DIR/results/<hash>/,
// without ever leaving them: names are validated before they touch a path,
// and files are read through an os.Root so that neither ".." nor a symlink
// can reach outside the sandbox.
package sandbox

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"

	"stargate/platform"
)

var (
	hashPattern  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$`)
	identPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)
)

// pythonKeywords cannot name a module or function.
var pythonKeywords = map[string]bool{
	"False": true, "None": true, "True": true, "and": true, "as": true, "assert": true,
	"async": true, "await": true, "break": true, "class": true, "continue": true,
	"def": true, "del": true, "elif": true, "else": true, "except": true, "finally": true,
	"for": true, "from": true, "global": true, "if": true, "import": true, "in": true,
	"is": true, "lambda": true, "nonlocal": true, "not": true, "or": true, "pass": true,
	"raise": true, "return": true, "try": true, "while": true, "with": true, "yield": true,
}

// ValidHash reports whether s may name a sandbox.
func ValidHash(s string) bool { return hashPattern.MatchString(s) }

// ValidIdentifier reports whether s may name a module or function.
func ValidIdentifier(s string) bool { return identPattern.MatchString(s) && !pythonKeywords[s] }

// CheckHash returns an InvalidError for a bad visible_pixel_hash.
func CheckHash(s string) error {
	if !ValidHash(s) {
		return platform.Invalid("visible_pixel_hash", "must match ^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$, got %q", clip(s))
	}
	return nil
}

// CheckIdentifier returns an InvalidError when s is not an identifier.
func CheckIdentifier(field, s string) error {
	if !ValidIdentifier(s) {
		return platform.Invalid(field, "must be an identifier (letters, digits and _, not starting with a digit, not a keyword), got %q", clip(s))
	}
	return nil
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// Limits bound what is read from one sandbox.
type Limits struct {
	MaxBytes int // all source files together
	MaxFiles int
	MaxDepth int
}

// Dir is the folder holding every sandbox.
type Dir struct {
	root string
}

// NewDir returns the sandboxes under root (UPLOADS_DIR/results).
func NewDir(root string) Dir { return Dir{root: root} }

// Root is the folder holding every sandbox.
func (d Dir) Root() string { return d.root }

// Sandbox is one agent's folder.
type Sandbox struct {
	Hash string
	// Path is the real, symlink-free host path of the folder.
	Path string
	// ID is the folder's identity when it was opened; what is mounted must
	// still be this folder.
	ID platform.FileID
}

// Open returns the sandbox for hash; ErrSandboxNotFound when there is none.
// The sandbox folder itself must be a real directory, not a symlink, so that
// what is mounted into an instance is what lies under the uploads folder.
func (d Dir) Open(hash string) (Sandbox, error) {
	if err := CheckHash(hash); err != nil {
		return Sandbox{}, err
	}
	root, err := filepath.EvalSymlinks(d.root)
	if err != nil {
		return Sandbox{}, fmt.Errorf("%w: %s (no sandboxes folder)", platform.ErrSandboxNotFound, hash)
	}
	p := filepath.Join(root, hash)
	fi, err := os.Lstat(p)
	if err != nil || !fi.IsDir() {
		return Sandbox{}, fmt.Errorf("%w: %s", platform.ErrSandboxNotFound, hash)
	}
	return Sandbox{Hash: hash, Path: p, ID: FileID(fi)}, nil
}

// FileID is the identity of the file fi describes; zero when the system
// does not say.
func FileID(fi fs.FileInfo) platform.FileID {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return platform.FileID{}
	}
	return platform.FileID{Dev: uint64(st.Dev), Ino: uint64(st.Ino)}
}

// List returns the hashes of every sandbox.
func (d Dir) List() ([]string, error) {
	entries, err := os.ReadDir(d.root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list sandboxes: %w", err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && ValidHash(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// HasFile reports whether the sandbox holds a regular file at rel.
func (s Sandbox) HasFile(rel string) bool {
	root, err := os.OpenRoot(s.Path)
	if err != nil {
		return false
	}
	defer root.Close()
	fi, err := root.Lstat(rel)
	return err == nil && fi.Mode().IsRegular()
}

// Sources reads every file with the given extension (".py") in the sandbox,
// keyed by '/'-separated path relative to it. Symlinks, hidden folders and
// __pycache__ are skipped; the limits bound the work a hostile sandbox can
// cause.
func (s Sandbox) Sources(ext string, lim Limits) (platform.Files, error) {
	root, err := os.OpenRoot(s.Path)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", platform.ErrSandboxNotFound, s.Hash)
	}
	defer root.Close()
	files := platform.Files{}
	total := 0
	var walk func(dir string, depth int) error
	walk = func(dir string, depth int) error {
		f, err := root.Open(dir)
		if err != nil {
			return fmt.Errorf("read sandbox folder %s: %w", dir, err)
		}
		entries, err := f.ReadDir(-1)
		f.Close()
		if err != nil {
			return fmt.Errorf("read sandbox folder %s: %w", dir, err)
		}
		for _, e := range entries {
			name := e.Name()
			rel := path.Join(dir, name)
			switch {
			case e.Type()&fs.ModeSymlink != 0:
				continue
			case e.IsDir():
				if strings.HasPrefix(name, ".") || name == "__pycache__" || depth >= lim.MaxDepth {
					continue
				}
				if err := walk(rel, depth+1); err != nil {
					return err
				}
			case e.Type().IsRegular() && strings.HasSuffix(name, ext):
				if len(files) >= lim.MaxFiles {
					return tooLarge(rel, fmt.Sprintf("the sandbox holds more than %d %s files; split it or remove unused ones", lim.MaxFiles, ext))
				}
				data, err := readFile(root, rel, lim.MaxBytes-total)
				if err != nil {
					return err
				}
				total += len(data)
				files[strings.TrimPrefix(rel, "./")] = data
			}
		}
		return nil
	}
	if err := walk(".", 0); err != nil {
		return nil, err
	}
	return files, nil
}

func readFile(root *os.Root, rel string, budget int) ([]byte, error) {
	f, err := root.Open(rel)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", rel, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(budget)+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", rel, err)
	}
	if len(data) > budget {
		return nil, tooLarge(rel, "the sandbox's source files together exceed the size limit; remove unused ones")
	}
	return data, nil
}

func tooLarge(rel, msg string) error {
	return &platform.RejectedError{Violations: []platform.Violation{{File: rel, Rule: "too-large", Line: 1, Message: msg}}}
}
