package controller

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"stargate/platform"
)

// codeDirs keeps the checked code of each revision on disk, one read-only
// folder per sandbox and file set, mounted at /code in its instances. The
// instance runs these copies, never the live sandbox files, so what runs is
// exactly what the checker read, even if the agent edits its sandbox later.
// Folders are counted by the instances using them and removed with the last.
type codeDirs struct {
	root string

	mu   sync.Mutex
	refs map[string]int
}

func newCodeDirs(root string) *codeDirs {
	return &codeDirs{root: root, refs: map[string]int{}}
}

func (d *codeDirs) dir(hash, digest string) string {
	return filepath.Join(d.root, hash, digest)
}

// acquire writes fn's files (if they are not there yet) and counts one more
// user of the folder.
func (d *codeDirs) acquire(fn *platform.Function) (string, error) {
	dir := d.dir(fn.Hash, fn.Files.Digest())
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.refs[dir] == 0 {
		if err := writeTree(dir, fn.Files); err != nil {
			return "", err
		}
	}
	d.refs[dir]++
	return dir, nil
}

// mine reports whether dir is one of these folders: a Go instance's code
// folder is the builder's binary cache, which is not counted here.
func (d *codeDirs) mine(dir string) bool {
	return dir != "" && strings.HasPrefix(dir, d.root+string(filepath.Separator))
}

// adopt counts one more user of a folder an earlier process wrote.
func (d *codeDirs) adopt(dir string) {
	if !d.mine(dir) {
		return
	}
	d.mu.Lock()
	d.refs[dir]++
	d.mu.Unlock()
}

// release counts one user less; the last one removes the folder.
func (d *codeDirs) release(dir string) {
	if !d.mine(dir) {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.refs[dir]--
	if d.refs[dir] > 0 {
		return
	}
	delete(d.refs, dir)
	_ = removeTree(dir)
	_ = os.Remove(filepath.Dir(dir)) // the sandbox's folder, if now empty
}

// sweep removes every folder no instance uses, e.g. after a crash.
func (d *codeDirs) sweep() {
	d.mu.Lock()
	defer d.mu.Unlock()
	hashes, _ := os.ReadDir(d.root)
	for _, h := range hashes {
		revs, _ := os.ReadDir(filepath.Join(d.root, h.Name()))
		for _, r := range revs {
			dir := filepath.Join(d.root, h.Name(), r.Name())
			if d.refs[dir] == 0 {
				_ = removeTree(dir)
			}
		}
		_ = os.Remove(filepath.Join(d.root, h.Name()))
	}
}

// writeTree writes files under dir, read-only, atomically: a folder that
// exists is complete.
func writeTree(dir string, files platform.Files) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("code folder: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".tmp-")
	if err != nil {
		return fmt.Errorf("code folder: %w", err)
	}
	for name, data := range files {
		p := filepath.Join(tmp, filepath.FromSlash(name))
		if !strings.HasPrefix(p, tmp+string(filepath.Separator)) {
			_ = removeTree(tmp)
			return fmt.Errorf("code folder: bad file name %q", name)
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			_ = removeTree(tmp)
			return fmt.Errorf("code folder: %w", err)
		}
		if err := os.WriteFile(p, data, 0o444); err != nil {
			_ = removeTree(tmp)
			return fmt.Errorf("code folder: %w", err)
		}
	}
	// Folders read-only too; readable by the instance's unprivileged user.
	_ = filepath.WalkDir(tmp, func(p string, e fs.DirEntry, err error) error {
		if err == nil && e.IsDir() {
			_ = os.Chmod(p, 0o555)
		}
		return nil
	})
	if err := os.Rename(tmp, dir); err != nil {
		_ = removeTree(tmp)
		if _, serr := os.Stat(dir); serr == nil {
			return nil
		}
		return fmt.Errorf("code folder: %w", err)
	}
	return nil
}

func removeTree(dir string) error {
	_ = filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && e.IsDir() {
			_ = os.Chmod(p, 0o755)
		}
		return nil
	})
	err := os.RemoveAll(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func jsonUnmarshal(data []byte, v any) error {
	if len(data) == 0 {
		return errors.New("empty")
	}
	return json.Unmarshal(data, v)
}
