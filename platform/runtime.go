package platform

import (
	"context"
	"time"
)

// Roles an instance can play; a label on every container says which.
const (
	RoleFunction = "function"
	RoleChecker  = "checker"
	// RolePool is a pre-warmed instance no function has been given yet (or,
	// once given one, that the platform records as serving it).
	RolePool = "pool"
)

// InstanceSpec is everything a Runtime needs to start one instance. The
// Runtime applies the wall (no network, read-only root, non-root user, no
// capabilities, limits) to every instance; nothing here can turn it off.
type InstanceSpec struct {
	Role     string
	Function FunctionKey // empty for the checker
	Revision string
	Image    string
	Cmd      []string
	Env      []string
	// SocketDir is a host directory mounted at /run/stargate; the instance
	// listens on a unix socket there.
	SocketDir string
	// CodeDir is a host directory holding the checked code, mounted
	// read-only at /code. Empty for none.
	CodeDir string
	// SandboxDir is the function's sandbox, mounted read-only at /sandbox,
	// the working directory. Empty for none.
	SandboxDir string
	// SandboxID is what SandboxDir was when the platform checked it. The
	// runtime refuses an instance whose /sandbox turns out to be anything
	// else: an agent that swaps its folder for a symlink between the check
	// and the mount does not get another folder mounted.
	SandboxID FileID
	// SlotDir, for a pre-warmed instance, is mounted read-only at /slot
	// with slave propagation: the function's code and sandbox are mounted
	// into it on the host when the instance is handed out.
	SlotDir   string
	MemoryMB  int
	NanoCPUs  int64
	PidsLimit int64
}

// FileID identifies a file on the host: its device and inode, as stat
// reports them. The zero value identifies nothing.
type FileID struct {
	Dev, Ino uint64
}

// IsZero reports whether id identifies nothing.
func (id FileID) IsZero() bool { return id == FileID{} }

// Instance is one running container serving one function revision (or the
// checker).
type Instance struct {
	ID        string
	Role      string
	Function  FunctionKey
	Revision  string
	SocketDir string
	CodeDir   string
	SlotDir   string
	StartedAt time.Time
}

// InstanceState is what the runtime knows of an instance's process.
type InstanceState struct {
	Running   bool
	OOMKilled bool
	ExitCode  int
	Error     string
}

// Runtime starts and stops walled instances.
type Runtime interface {
	// Start creates and starts an instance; it returns once the process runs,
	// not once it serves.
	Start(ctx context.Context, spec InstanceSpec) (Instance, error)
	// Stop kills and removes an instance. An instance that is already gone
	// is not an error.
	Stop(ctx context.Context, id string) error
	// List returns every instance of this platform that exists, running or not.
	List(ctx context.Context) ([]Instance, error)
	// State reports an instance's process state; ErrInstanceNotFound when
	// the instance does not exist.
	State(ctx context.Context, id string) (InstanceState, error)
	// Weigh sets the instance's share of CPU time when CPUs are contended,
	// relative to others (1024 is one whole share).
	Weigh(ctx context.Context, id string, weight int) error
	// Ping reports whether the engine answers.
	Ping(ctx context.Context) error
}
