// Package sockdir manages the per-instance host folders that hold an
// instance's unix socket. The folder is writable while the instance starts,
// so that its unprivileged process can create the socket; once the socket
// exists the folder is made read-only, so nothing the instance runs later can
// fill it, replace the socket or plant files in it.
package sockdir

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Prepare creates dir (or empties it of a stale socket) and opens it for the
// instance to create its socket in.
func Prepare(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("socket folder: %w", err)
	}
	// A folder locked by an earlier instance must be unlocked to be cleaned.
	if err := os.Chmod(dir, 0o777); err != nil {
		return fmt.Errorf("socket folder: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("socket folder: %w", err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("socket folder: %w", err)
		}
	}
	// Umask would strip the bits MkdirAll asked for; 0777 lets uid 65534 in.
	return os.Chmod(dir, 0o777)
}

// WaitAndLock waits until the socket name appears in dir, then makes dir
// read-only. alive is polled now and then; its error ends the wait early
// (the instance died while starting).
func WaitAndLock(ctx context.Context, dir, name string, alive func(context.Context) error) error {
	sock := filepath.Join(dir, name)
	delay := time.Millisecond
	lastCheck := time.Now()
	for {
		fi, err := os.Lstat(sock)
		if err == nil {
			if fi.Mode().Type() != fs.ModeSocket {
				return fmt.Errorf("instance created %s, which is not a socket", name)
			}
			return Lock(dir)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("wait for socket: %w", err)
		}
		if alive != nil && time.Since(lastCheck) > 100*time.Millisecond {
			lastCheck = time.Now()
			if err := alive(ctx); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for socket: %w", ctx.Err())
		case <-time.After(delay):
		}
		if delay < 10*time.Millisecond {
			delay += time.Millisecond
		}
	}
}

// Lock makes dir read-only for everyone but its owner's root: the socket
// stays connectable, nothing new can be created.
func Lock(dir string) error {
	if err := os.Chmod(dir, 0o555); err != nil {
		return fmt.Errorf("lock socket folder: %w", err)
	}
	return nil
}

// Remove deletes dir and what is in it.
func Remove(dir string) error {
	_ = os.Chmod(dir, 0o755)
	if err := os.RemoveAll(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove socket folder: %w", err)
	}
	return nil
}
