package docker

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"stargate/platform"
)

// checkSandbox confirms that the folder a started container sees at
// /sandbox is the one the platform checked. The engine resolves a bind
// mount's source path when the container starts; an agent that replaced its
// sandbox folder with a symlink after the check (to /etc, say) would
// otherwise get the link's target mounted. It runs before the function is
// imported (Python) or called (Go, whose package init cannot open files).
//
// It looks through /proc/<pid>/root, which takes root (or the engine's
// processes running as the API's user). An API that may not look cannot
// check: it logs that once and the gap stays open. Under another OCI
// runtime, such as gVisor, the process the engine reports is the runtime's
// own, whose root is not the container's: the check is not made there,
// which New logs.
func (r *Runtime) checkSandbox(ctx context.Context, id string, want platform.FileID) error {
	info, err := r.cli.ContainerInspect(ctx, id)
	if err != nil {
		return fmt.Errorf("inspect container %.12s: %w", id, unavailable(err))
	}
	if info.State == nil || !info.State.Running || info.State.Pid == 0 {
		return nil // it already exited: nothing more runs in it, and the caller learns why
	}
	var st unix.Stat_t
	err = unix.Stat(fmt.Sprintf("/proc/%d/root%s", info.State.Pid, SandboxMount), &st)
	switch {
	case errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ESRCH):
		return nil // exited meanwhile
	case errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM):
		r.cannotCheck.Do(func() {
			r.log.Warn("cannot confirm that instances mount the sandbox folder that was checked: "+
				"run the API as root to close that gap", "err", err)
		})
		return nil
	case err != nil:
		return fmt.Errorf("%w: cannot check the sandbox mounted in container %.12s: %v", platform.ErrUnavailable, id, err)
	}
	if got := (platform.FileID{Dev: st.Dev, Ino: st.Ino}); got != want {
		return fmt.Errorf("%w: the sandbox folder was replaced while an instance started; nothing of it was used, try again",
			platform.ErrConflict)
	}
	return nil
}

// checksMounts reports whether checkSandbox can work with the configured
// OCI runtime.
func (r *Runtime) checksMounts() bool {
	return r.opts.OCIRuntime == "" || r.opts.OCIRuntime == "runc"
}
