// Package docker runs Stargate instances as containers on a Docker engine,
// through the engine API. Every container gets the whole wall: no network, a
// read-only root filesystem, a non-root user, no capabilities,
// no-new-privileges, and memory, CPU and pids limits. Nothing in an
// InstanceSpec can turn any of that off.
package docker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"

	"stargate/platform"
)

// Labels on every container this package starts.
const (
	LabelPlatform  = "io.stargate.platform"
	LabelNamespace = "io.stargate.namespace"
	LabelRole      = "io.stargate.role"
	LabelHash      = "io.stargate.hash"
	LabelFunction  = "io.stargate.function"
	LabelRevision  = "io.stargate.revision"
	LabelSocketDir = "io.stargate.socket-dir"
	LabelCodeDir   = "io.stargate.code-dir"
	LabelSlotDir   = "io.stargate.slot-dir"
	platformName   = "stargate"
)

// Paths inside an instance.
const (
	SocketMount  = "/run/stargate"
	CodeMount    = "/code"
	SandboxMount = "/sandbox"
	SlotMount    = "/slot"
	// UnprivilegedUser is nobody:nogroup on Debian.
	UnprivilegedUser = "65534:65534"
)

// Options configure a Runtime.
type Options struct {
	// Namespace keeps several platforms on one engine apart: List and
	// Stop only see containers of their own namespace.
	Namespace string
	// OCIRuntime selects a runtime other than the engine's default, such as
	// gVisor's runsc.
	OCIRuntime string
	Logger     *slog.Logger
}

// Runtime implements platform.Runtime on a Docker engine.
type Runtime struct {
	cli         *client.Client
	opts        Options
	log         *slog.Logger
	cannotCheck sync.Once
}

var _ platform.Runtime = (*Runtime)(nil)

// New connects to the engine named by the environment (DOCKER_HOST etc.),
// negotiating the API version so older engines work.
func New(opts Options) (*Runtime, error) {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	r := &Runtime{cli: cli, opts: opts, log: opts.Logger}
	if !r.checksMounts() {
		r.log.Warn("with this OCI runtime the platform cannot confirm that an instance's /sandbox is the folder it checked",
			"runtime", opts.OCIRuntime)
	}
	return r, nil
}

// Close releases the client.
func (r *Runtime) Close() error { return r.cli.Close() }

// Ping reports whether the engine answers.
func (r *Runtime) Ping(ctx context.Context) error {
	if _, err := r.cli.Ping(ctx); err != nil {
		return unavailable(err)
	}
	return nil
}

// Start creates and starts a walled container for spec.
func (r *Runtime) Start(ctx context.Context, spec platform.InstanceSpec) (platform.Instance, error) {
	cfg, hc, err := r.containerConfig(spec)
	if err != nil {
		return platform.Instance{}, err
	}
	name := containerName(spec)
	created, err := r.cli.ContainerCreate(ctx, cfg, hc, nil, nil, name)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return platform.Instance{}, fmt.Errorf("%w: image %s is missing (run make images): %v", platform.ErrUnavailable, spec.Image, err)
		}
		return platform.Instance{}, fmt.Errorf("create container: %w", unavailable(err))
	}
	if err := r.cli.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		r.remove(created.ID)
		return platform.Instance{}, fmt.Errorf("start container: %w", unavailable(err))
	}
	if spec.SandboxDir != "" && r.checksMounts() {
		if err := r.checkSandbox(ctx, created.ID, spec.SandboxID); err != nil {
			r.remove(created.ID)
			return platform.Instance{}, err
		}
	}
	return platform.Instance{
		ID:        created.ID,
		Role:      spec.Role,
		Function:  spec.Function,
		Revision:  spec.Revision,
		SocketDir: spec.SocketDir,
		CodeDir:   spec.CodeDir,
		SlotDir:   spec.SlotDir,
		StartedAt: time.Now(),
	}, nil
}

// containerConfig builds the container's configuration: the wall itself.
func (r *Runtime) containerConfig(spec platform.InstanceSpec) (*container.Config, *container.HostConfig, error) {
	if spec.Image == "" || spec.SocketDir == "" || spec.MemoryMB <= 0 || spec.PidsLimit <= 0 || spec.NanoCPUs <= 0 {
		return nil, nil, fmt.Errorf("instance spec: image, socket dir and limits are required")
	}
	if spec.SandboxDir != "" && spec.SandboxID.IsZero() {
		return nil, nil, fmt.Errorf("instance spec: a sandbox needs the identity it was checked with")
	}
	labels := map[string]string{
		LabelPlatform:  platformName,
		LabelNamespace: r.opts.Namespace,
		LabelRole:      spec.Role,
		LabelHash:      spec.Function.Hash,
		LabelFunction:  spec.Function.Name,
		LabelRevision:  spec.Revision,
		LabelSocketDir: spec.SocketDir,
		LabelCodeDir:   spec.CodeDir,
		LabelSlotDir:   spec.SlotDir,
	}
	workdir := "/"
	mounts := []mount.Mount{{
		Type:   mount.TypeBind,
		Source: spec.SocketDir,
		Target: SocketMount,
		// The socket directory is the only writable host path an instance
		// sees; the platform takes its write permission away once the socket
		// exists.
		BindOptions: &mount.BindOptions{Propagation: mount.PropagationRPrivate, NonRecursive: true},
	}}
	if spec.CodeDir != "" {
		mounts = append(mounts, readOnlyBind(spec.CodeDir, CodeMount))
	}
	if spec.SandboxDir != "" {
		mounts = append(mounts, readOnlyBind(spec.SandboxDir, SandboxMount))
		workdir = SandboxMount
	}
	if spec.SlotDir != "" {
		slot := readOnlyBind(spec.SlotDir, SlotMount)
		// Mounts made under the slot on the host later appear inside.
		slot.BindOptions.Propagation = mount.PropagationRSlave
		mounts = append(mounts, slot)
	}
	memory := int64(spec.MemoryMB) << 20
	pids := spec.PidsLimit
	init := true
	oomScore := 800 // under memory pressure the host kills functions before the API
	cfg := &container.Config{
		Image:           spec.Image,
		Cmd:             spec.Cmd,
		Env:             spec.Env,
		User:            UnprivilegedUser,
		WorkingDir:      workdir,
		Labels:          labels,
		NetworkDisabled: true,
		StopSignal:      "SIGKILL",
	}
	hc := &container.HostConfig{
		NetworkMode:    "none",
		IpcMode:        "private",
		ReadonlyRootfs: true,
		Mounts:         mounts,
		// noexec: nothing written at run time can be executed.
		Tmpfs:       map[string]string{"/tmp": "rw,noexec,nosuid,nodev,size=16m,mode=1777"},
		CapDrop:     []string{"ALL"},
		SecurityOpt: []string{"no-new-privileges"},
		ShmSize:     1 << 20,
		Init:        &init,
		OomScoreAdj: oomScore,
		Runtime:     r.opts.OCIRuntime,
		LogConfig: container.LogConfig{
			Type: "json-file",
			// A print loop may not fill the disk.
			Config: map[string]string{"max-size": "1m", "max-file": "1"},
		},
		Resources: container.Resources{
			Memory:     memory,
			MemorySwap: memory, // no swap: an allocation past the limit is an OOM kill
			NanoCPUs:   spec.NanoCPUs,
			PidsLimit:  &pids,
			Ulimits: []*container.Ulimit{
				{Name: "nofile", Soft: 256, Hard: 256},
				{Name: "core", Soft: 0, Hard: 0},
			},
		},
	}
	return cfg, hc, nil
}

func readOnlyBind(src, dst string) mount.Mount {
	return mount.Mount{
		Type:        mount.TypeBind,
		Source:      src,
		Target:      dst,
		ReadOnly:    true,
		BindOptions: &mount.BindOptions{Propagation: mount.PropagationRPrivate, NonRecursive: true},
	}
}

// Stop kills and removes the container; a missing one is not an error.
func (r *Runtime) Stop(ctx context.Context, id string) error {
	err := r.cli.ContainerRemove(ctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true})
	if err != nil && !errdefs.IsNotFound(err) && !isRemovalInProgress(err) {
		return fmt.Errorf("remove container %.12s: %w", id, unavailable(err))
	}
	return nil
}

// remove is Stop for cleanup paths that have no caller to report to.
func (r *Runtime) remove(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Stop(ctx, id); err != nil {
		r.log.Warn("remove container", "id", id, "err", err)
	}
}

// List returns every container of this platform and namespace.
func (r *Runtime) List(ctx context.Context) ([]platform.Instance, error) {
	args := filters.NewArgs(
		filters.Arg("label", LabelPlatform+"="+platformName),
		filters.Arg("label", LabelNamespace+"="+r.opts.Namespace),
	)
	list, err := r.cli.ContainerList(ctx, container.ListOptions{All: true, Filters: args})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", unavailable(err))
	}
	out := make([]platform.Instance, 0, len(list))
	for _, c := range list {
		l := c.Labels
		out = append(out, platform.Instance{
			ID:        c.ID,
			Role:      l[LabelRole],
			Function:  platform.FunctionKey{Hash: l[LabelHash], Name: l[LabelFunction]},
			Revision:  l[LabelRevision],
			SocketDir: l[LabelSocketDir],
			CodeDir:   l[LabelCodeDir],
			SlotDir:   l[LabelSlotDir],
			StartedAt: time.Unix(c.Created, 0),
		})
	}
	return out, nil
}

// Weigh sets the container's CPU shares.
func (r *Runtime) Weigh(ctx context.Context, id string, weight int) error {
	_, err := r.cli.ContainerUpdate(ctx, id, container.UpdateConfig{Resources: container.Resources{CPUShares: int64(weight)}})
	if err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("update container %.12s: %w", id, unavailable(err))
	}
	return nil
}

// State reports the container's process state.
func (r *Runtime) State(ctx context.Context, id string) (platform.InstanceState, error) {
	info, err := r.cli.ContainerInspect(ctx, id)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return platform.InstanceState{}, platform.ErrInstanceNotFound
		}
		return platform.InstanceState{}, fmt.Errorf("inspect container %.12s: %w", id, unavailable(err))
	}
	s := info.State
	if s == nil {
		return platform.InstanceState{}, fmt.Errorf("inspect container %.12s: no state", id)
	}
	return platform.InstanceState{
		Running:   s.Running && !s.Restarting,
		OOMKilled: s.OOMKilled,
		ExitCode:  s.ExitCode,
		Error:     s.Error,
	}, nil
}

// unavailable marks errors that mean the engine cannot be reached.
func unavailable(err error) error {
	if client.IsErrConnectionFailed(err) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: docker engine: %v", platform.ErrUnavailable, err)
	}
	return err
}

func isRemovalInProgress(err error) bool {
	return errdefs.IsConflict(err) && strings.Contains(err.Error(), "already in progress")
}

var nameUnsafe = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

// containerName is for people reading `docker ps`; labels are what count.
func containerName(spec platform.InstanceSpec) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	parts := []string{"stargate", spec.Role}
	if spec.Function.Name != "" {
		parts = append(parts, trim(spec.Function.Hash, 12), trim(spec.Function.Name, 24))
	}
	parts = append(parts, hex.EncodeToString(b[:]))
	return nameUnsafe.ReplaceAllString(strings.Join(parts, "-"), "_")
}

func trim(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
