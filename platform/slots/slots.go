// Package slots lets a pre-warmed instance receive its function's files
// after it started. A pooled container mounts its slot folder with slave
// propagation; to hand it a function, the platform bind-mounts the
// function's checked code and its sandbox, read-only, into the slot folder
// on the host, and the mounts appear inside the running container.
//
// The read-only flag must be set before a mount propagates (a later remount
// does not propagate), so every mount is made and remounted read-only in a
// private staging folder and then moved into the shared slots folder.
//
// This needs the right to mount (root, or CAP_SYS_ADMIN) in the Docker
// engine's mount namespace; Prepare reports when that is not the case, and
// the platform then starts every instance cold.
package slots

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"stargate/platform"
)

// Root is the folder holding every slot, and the private staging folder
// next to it.
type Root struct {
	dir     string
	staging string
}

// Prepare makes dir a shared mount (so that mounts under it propagate into
// containers) and a private staging folder beside it.
func Prepare(dir string) (*Root, error) {
	for _, d := range []string{dir, dir + ".staging"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("slots: %w", err)
		}
	}
	// mountinfo names real paths.
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, fmt.Errorf("slots: %w", err)
	}
	r := &Root{dir: real, staging: real + ".staging"}
	if err := selfMount(r.dir, unix.MS_SHARED); err != nil {
		return nil, err
	}
	if err := selfMount(r.staging, unix.MS_PRIVATE); err != nil {
		return nil, err
	}
	return r, nil
}

// At returns the slots under dir without mounting anything: enough to
// remove slots a pool (perhaps of an earlier process) left.
func At(dir string) *Root {
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	return &Root{dir: dir, staging: dir + ".staging"}
}

// selfMount makes dir a mount point of its own (bind onto itself) with the
// given propagation.
func selfMount(dir string, propagation uintptr) error {
	mounted, err := isMountPoint(dir)
	if err != nil {
		return err
	}
	if !mounted {
		if err := unix.Mount(dir, dir, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("slots: bind %s: %w", dir, err)
		}
	}
	if err := unix.Mount("", dir, "", propagation, ""); err != nil {
		return fmt.Errorf("slots: propagation of %s: %w", dir, err)
	}
	return nil
}

// Close unmounts the root's own mounts, once no slot is in use: a platform
// that stops leaves no mount behind.
func (r *Root) Close() error {
	for _, d := range []string{r.staging, r.dir} {
		if err := unix.Unmount(d, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) {
			return fmt.Errorf("slots: unmount %s: %w", d, err)
		}
	}
	return nil
}

// Dir is the folder of the slot with this id.
func (r *Root) Dir(id string) string { return filepath.Join(r.dir, id) }

// Create makes an empty slot folder.
func (r *Root) Create(id string) (string, error) {
	dir := r.Dir(id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("slots: %w", err)
	}
	return dir, nil
}

// Attach mounts the folder src read-only (and nosuid, nodev) at slot/name.
// src itself must not be a symlink, and when want is not zero it must be
// that folder: the mount is made from the folder opened and checked, so
// swapping src for something else meanwhile changes nothing.
func (r *Root) Attach(slot, name, src string, want platform.FileID) error {
	target := filepath.Join(slot, name)
	if err := os.MkdirAll(target, 0o755); err != nil {
		return fmt.Errorf("slots: %w", err)
	}
	fd, err := unix.Open(src, unix.O_PATH|unix.O_NOFOLLOW|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP) {
		return fmt.Errorf("slots: %s %s is not a folder (a symlink is not followed)", name, src)
	}
	if err != nil {
		return fmt.Errorf("slots: open %s: %w", name, err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("slots: stat %s: %w", name, err)
	}
	if got := (platform.FileID{Dev: st.Dev, Ino: st.Ino}); !want.IsZero() && got != want {
		return fmt.Errorf("slots: %s %s was replaced after it was checked", name, src)
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	stage := filepath.Join(r.staging, hex.EncodeToString(b[:]))
	if err := os.Mkdir(stage, 0o755); err != nil {
		return fmt.Errorf("slots: %w", err)
	}
	defer os.Remove(stage)
	if err := unix.Mount(fmt.Sprintf("/proc/self/fd/%d", fd), stage, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("slots: bind %s: %w", name, err)
	}
	ro := uintptr(unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV)
	if err := unix.Mount("", stage, "", ro, ""); err != nil {
		_ = unix.Unmount(stage, unix.MNT_DETACH)
		return fmt.Errorf("slots: read-only %s: %w", name, err)
	}
	if err := unix.Mount(stage, target, "", unix.MS_MOVE, ""); err != nil {
		_ = unix.Unmount(stage, unix.MNT_DETACH)
		return fmt.Errorf("slots: move %s: %w", name, err)
	}
	return nil
}

// Remove unmounts everything in a slot and removes its folder. A slot that
// is gone is not an error.
func (r *Root) Remove(slot string) error {
	if !strings.HasPrefix(slot, r.dir+string(filepath.Separator)) {
		return fmt.Errorf("slots: %s is not a slot", slot)
	}
	mounts, err := mountsUnder(slot)
	if err != nil {
		return err
	}
	// Deepest first.
	for i := len(mounts) - 1; i >= 0; i-- {
		if err := unix.Unmount(mounts[i], unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) {
			return fmt.Errorf("slots: unmount %s: %w", mounts[i], err)
		}
	}
	if err := os.RemoveAll(slot); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("slots: %w", err)
	}
	return nil
}

// Sweep removes every slot but those in keep (by id).
func (r *Root) Sweep(keep map[string]bool) {
	entries, _ := os.ReadDir(r.dir)
	for _, e := range entries {
		if e.IsDir() && !keep[e.Name()] {
			_ = r.Remove(r.Dir(e.Name()))
		}
	}
}

// isMountPoint reports whether dir is a mount point.
func isMountPoint(dir string) (bool, error) {
	mounts, err := mountsUnder(dir)
	if err != nil {
		return false, err
	}
	for _, m := range mounts {
		if m == dir {
			return true, nil
		}
	}
	return false, nil
}

// mountsUnder lists the mount points at or below dir, in mount order.
func mountsUnder(dir string) ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("slots: %w", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		p := unescape(fields[4])
		if p == dir || strings.HasPrefix(p, dir+"/") {
			out = append(out, p)
		}
	}
	return out, sc.Err()
}

// unescape undoes mountinfo's octal escapes (\040 for a space, ...).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var n byte
			ok := true
			for _, c := range s[i+1 : i+4] {
				if c < '0' || c > '7' {
					ok = false
					break
				}
				n = n*8 + byte(c-'0')
			}
			if ok {
				b.WriteByte(n)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
