package docker

import (
	"context"
	"fmt"

	"golang.org/x/sys/unix"

	"stargate/platform"
)

// checkSandbox confirms that the folder a started container sees at
// /sandbox is the one the platform checked. The engine resolves a bind
// mount's source path when the container starts; an agent that replaced its
// sandbox folder with a symlink after the check (to /etc, say) would
// otherwise get the link's target mounted. The platform runs no function
// code before this passes: the runner imports the function only when asked.
//
// It looks through /proc/<pid>/root, so the API must see the engine's
// processes (run it on the host, or with the host's pid namespace). Under
// another OCI runtime, such as gVisor, the process the engine reports is
// the runtime's own, whose root is not the container's: the check is not
// made there, which the API logs once at start.
func (r *Runtime) checkSandbox(ctx context.Context, id string, want platform.FileID) error {
	info, err := r.cli.ContainerInspect(ctx, id)
	if err != nil {
		return fmt.Errorf("inspect container %.12s: %w", id, unavailable(err))
	}
	if info.State == nil || info.State.Pid == 0 {
		return fmt.Errorf("%w: container %.12s stopped as it started", platform.ErrUnavailable, id)
	}
	var st unix.Stat_t
	if err := unix.Stat(fmt.Sprintf("/proc/%d/root%s", info.State.Pid, SandboxMount), &st); err != nil {
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
