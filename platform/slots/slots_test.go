package slots

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"stargate/platform"
)

// prepared is a slots root in a temporary folder; the test is skipped when
// this process may not mount (the platform then runs without a pool).
func prepared(t *testing.T) *Root {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "slots")
	r, err := Prepare(dir)
	if errors.Is(err, unix.EPERM) {
		t.Skipf("no right to mount here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Error(err)
		}
	})
	return r
}

func idOf(t *testing.T, path string) platform.FileID {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return platform.FileID{Dev: uint64(st.Dev), Ino: uint64(st.Ino)}
}

func TestAttachMountsTheCheckedFolderReadOnly(t *testing.T) {
	r := prepared(t)
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "data.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	slot, err := r.Create("a")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Remove(slot) })
	if err := r.Attach(slot, "sandbox", src, idOf(t, src)); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(slot, "sandbox", "data.txt"))
	if err != nil || string(got) != "mine" {
		t.Fatalf("read through the slot: %q, %v", got, err)
	}
	err = os.WriteFile(filepath.Join(slot, "sandbox", "new.txt"), nil, 0o644)
	if !errors.Is(err, unix.EROFS) {
		t.Fatalf("write through the slot: %v, want EROFS", err)
	}
	if err := r.Remove(slot); err != nil {
		t.Fatal(err)
	}
}

// An agent swaps its sandbox folder after the platform checked it: the slot
// gets nothing.
func TestAttachRefusesASwappedFolder(t *testing.T) {
	r := prepared(t)
	secret := t.TempDir()
	if err := os.WriteFile(filepath.Join(secret, "key.txt"), []byte("not for functions"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, swap := range map[string]func(dir string) error{
		"symlink":        func(dir string) error { return os.Symlink(secret, dir) },
		"another_folder": func(dir string) error { return os.Mkdir(dir, 0o755) },
	} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "sandbox")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			checked := idOf(t, dir)
			if err := os.Rename(dir, dir+".old"); err != nil {
				t.Fatal(err)
			}
			if err := swap(dir); err != nil {
				t.Fatal(err)
			}
			slot, err := r.Create(name)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = r.Remove(slot) })
			if err := r.Attach(slot, "sandbox", dir, checked); err == nil {
				t.Fatal("a swapped sandbox was mounted")
			} else {
				t.Logf("refused: %v", err)
			}
			if _, err := os.Stat(filepath.Join(slot, "sandbox", "key.txt")); err == nil {
				t.Fatal("the secret is visible in the slot")
			}
		})
	}
}
