package sockdir_test

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stargate/platform/sockdir"
)

// shortDir returns a fresh folder with a path short enough for a unix
// socket (t.TempDir's can exceed the 108 byte limit).
func shortDir(t *testing.T) string {
	t.Helper()
	base, err := os.MkdirTemp("", "sd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = os.Chmod(filepath.Join(base, "s"), 0o755)
		_ = os.RemoveAll(base)
	})
	return filepath.Join(base, "s")
}

func mode(t *testing.T, dir string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestPrepareCreatesOpenFolder(t *testing.T) {
	dir := filepath.Join(shortDir(t), "nested")
	if err := sockdir.Prepare(dir); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	if got, want := mode(t, dir), fs.FileMode(0o777); got != want {
		t.Errorf("mode = %v, want %v", got, want)
	}
}

func TestPrepareEmptiesLockedFolder(t *testing.T) {
	dir := shortDir(t)
	if err := sockdir.Prepare(dir); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", filepath.Join(dir, "fn.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := os.WriteFile(filepath.Join(dir, "planted"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "sub", "deeper"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := sockdir.Lock(dir); err != nil {
		t.Fatal(err)
	}

	if err := sockdir.Prepare(dir); err != nil {
		t.Fatalf("Prepare of a locked folder: %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("folder still holds %d entries after Prepare", len(entries))
	}
	if got, want := mode(t, dir), fs.FileMode(0o777); got != want {
		t.Errorf("mode = %v, want %v", got, want)
	}
}

func TestPrepareOverAFile(t *testing.T) {
	dir := shortDir(t)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := sockdir.Prepare(dir); err == nil {
		t.Error("Prepare over a regular file succeeded")
	}
}

func TestWaitAndLockWaitsForSocket(t *testing.T) {
	dir := shortDir(t)
	if err := sockdir.Prepare(dir); err != nil {
		t.Fatal(err)
	}
	lnc := make(chan net.Listener, 1)
	go func() {
		time.Sleep(50 * time.Millisecond)
		ln, err := net.Listen("unix", filepath.Join(dir, "fn.sock"))
		if err != nil {
			t.Error(err)
		}
		lnc <- ln
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := sockdir.WaitAndLock(ctx, dir, "fn.sock", func(context.Context) error { return nil }); err != nil {
		t.Fatalf("WaitAndLock: %v", err)
	}
	if ln := <-lnc; ln != nil {
		defer ln.Close()
	}
	if took := time.Since(start); took < 40*time.Millisecond {
		t.Errorf("WaitAndLock returned after %v, before the socket existed", took)
	}
	if got, want := mode(t, dir), fs.FileMode(0o555); got != want {
		t.Errorf("mode after WaitAndLock = %v, want %v", got, want)
	}
	// The socket stays connectable once the folder is locked.
	conn, err := net.Dial("unix", filepath.Join(dir, "fn.sock"))
	if err != nil {
		t.Fatalf("dial locked socket: %v", err)
	}
	conn.Close()
}

func TestWaitAndLockEnds(t *testing.T) {
	errDied := errors.New("instance died")
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string)
		alive   func(context.Context) error
		timeout time.Duration
		want    error  // errors.Is target, or nil to only check for an error
		wantMsg string // substring of the error
	}{
		{
			name: "regular file named like the socket",
			setup: func(t *testing.T, dir string) {
				if err := os.WriteFile(filepath.Join(dir, "fn.sock"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			},
			timeout: 5 * time.Second,
			wantMsg: "not a socket",
		},
		{
			name: "folder named like the socket",
			setup: func(t *testing.T, dir string) {
				if err := os.Mkdir(filepath.Join(dir, "fn.sock"), 0o755); err != nil {
					t.Fatal(err)
				}
			},
			timeout: 5 * time.Second,
			wantMsg: "not a socket",
		},
		{
			name: "symlink named like the socket",
			setup: func(t *testing.T, dir string) {
				if err := os.Symlink("/run/docker.sock", filepath.Join(dir, "fn.sock")); err != nil {
					t.Fatal(err)
				}
			},
			timeout: 5 * time.Second,
			wantMsg: "not a socket",
		},
		{
			name:    "context ends",
			timeout: 150 * time.Millisecond,
			want:    context.DeadlineExceeded,
		},
		{
			name:    "instance dies",
			alive:   func(context.Context) error { return errDied },
			timeout: 5 * time.Second,
			want:    errDied,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := shortDir(t)
			if err := sockdir.Prepare(dir); err != nil {
				t.Fatal(err)
			}
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			start := time.Now()
			err := sockdir.WaitAndLock(ctx, dir, "fn.sock", tt.alive)
			if err == nil {
				t.Fatal("WaitAndLock succeeded")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("WaitAndLock = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("WaitAndLock = %v, want it to say %q", err, tt.wantMsg)
			}
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("WaitAndLock took %v", took)
			}
			if got := mode(t, dir); got == 0o555 {
				t.Error("the folder was locked although no socket appeared")
			}
		})
	}
}

func TestWaitAndLockCancel(t *testing.T) {
	dir := shortDir(t)
	if err := sockdir.Prepare(dir); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, cancel)
	if err := sockdir.WaitAndLock(ctx, dir, "fn.sock", nil); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitAndLock after cancel = %v, want context.Canceled", err)
	}
}

func TestWaitAndLockMissingFolder(t *testing.T) {
	// A folder that is a file makes Lstat fail with something other than
	// "does not exist": the wait ends at once.
	base := shortDir(t)
	if err := os.MkdirAll(base, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(base, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := sockdir.WaitAndLock(ctx, file, "fn.sock", nil)
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitAndLock in a file = %v, want an immediate error", err)
	}
}

func TestLockAndRemove(t *testing.T) {
	dir := shortDir(t)
	if err := sockdir.Prepare(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := sockdir.Lock(dir); err != nil {
		t.Fatal(err)
	}
	if got, want := mode(t, dir), fs.FileMode(0o555); got != want {
		t.Errorf("mode after Lock = %v, want %v", got, want)
	}
	if err := sockdir.Remove(dir); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if _, err := os.Lstat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("folder still exists after Remove: %v", err)
	}
	if err := sockdir.Remove(dir); err != nil {
		t.Errorf("Remove of a missing folder = %v, want nil", err)
	}
	if err := sockdir.Lock(dir); err == nil {
		t.Error("Lock of a missing folder succeeded")
	}
}
