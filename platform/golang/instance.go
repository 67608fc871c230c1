package golang

import (
	"strconv"

	"stargate/platform"
)

// SocketName is the unix socket a function listens on in its socket
// folder; it is gateway.SocketName (a test keeps them equal).
const SocketName = "fn.sock"

// InstanceDirs are the host folders a Go instance mounts.
type InstanceDirs struct {
	Socket  string // /run/stargate, where it listens
	Binary  string // /code: Binary.Dir, holding the executable fn (read-only)
	Sandbox string // /sandbox, the working directory (read-only)
}

// Instance is the spec of every Go function instance: the built binary
// serving fn, in the same wall as Python instances (platform/docker adds
// it). Go sizes itself to the container: GOMAXPROCS follows the CPU limit,
// and GOMEMLIMIT makes the collector work harder before the memory limit
// kills the process.
func Instance(image string, fn *platform.Function, dirs InstanceDirs, nanoCPUs, pids int64) platform.InstanceSpec {
	return platform.InstanceSpec{
		Role:     platform.RoleFunction,
		Function: fn.Key(),
		Revision: fn.Revision,
		Image:    image,
		Cmd: []string{
			"/code/fn",
			"--socket", "/run/stargate/" + SocketName,
			"--module", fn.Module,
			"--function", fn.Name,
			// Runaway recursion ends as "stack overflow", not as an OOM kill.
			"--max-stack-mb", strconv.Itoa(max(fn.MemoryMB/4, 8)),
		},
		Env:        []string{"GOMEMLIMIT=" + strconv.Itoa(max(fn.MemoryMB*9/10, 1)) + "MiB"},
		SocketDir:  dirs.Socket,
		CodeDir:    dirs.Binary,
		SandboxDir: dirs.Sandbox,
		MemoryMB:   fn.MemoryMB,
		NanoCPUs:   nanoCPUs,
		PidsLimit:  pids,
	}
}
