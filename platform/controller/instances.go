package controller

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"time"

	"stargate/platform"
	"stargate/platform/gateway"
	"stargate/platform/sandbox"
	"stargate/platform/sockdir"
)

// InstanceDirs are the host folders an instance mounts.
type InstanceDirs struct {
	Socket  string // /run/stargate, where it listens
	Code    string // /code, the checked files
	Sandbox string // /sandbox, the working directory
}

// PythonInstance is the spec of every Python function instance: the runner
// serving fn. The Runtime adds the wall; the confinement tests start their
// probes from this same spec.
func PythonInstance(image string, fn *platform.Function, dirs InstanceDirs, nanoCPUs, pids int64) platform.InstanceSpec {
	return platform.InstanceSpec{
		Role:     platform.RoleFunction,
		Function: fn.Key(),
		Revision: fn.Revision,
		Image:    image,
		Cmd: []string{
			"/opt/stargate/stargate_runner.py",
			"--socket", "/run/stargate/" + gateway.SocketName,
			"--code", "/code",
			"--module", fn.Module,
			"--function", fn.Name,
		},
		SocketDir:  dirs.Socket,
		CodeDir:    dirs.Code,
		SandboxDir: dirs.Sandbox,
		MemoryMB:   fn.MemoryMB,
		NanoCPUs:   nanoCPUs,
		PidsLimit:  pids,
	}
}

// startInstance starts one instance of fn and returns it once its function
// is imported and ready to serve.
func (c *Controller) startInstance(ctx context.Context, fn *platform.Function) (*gateway.Backend, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.StartTimeout)
	defer cancel()
	c.mu.RLock()
	p := c.pool
	c.mu.RUnlock()
	if p != nil && fn.Language == platform.LanguagePython {
		b, err := p.take(ctx, fn)
		switch {
		case b != nil:
			c.warmStarts.Add(1)
			return b, nil
		case errors.Is(err, platform.ErrRejected), errors.Is(err, platform.ErrNotFound):
			return nil, err // the function's own fault: a cold start would fail alike
		case err != nil:
			c.log.Warn("pre-warmed instance failed; starting cold", "function", fn.Key().String(), "err", err)
		}
	}
	c.coldInstanceStarts.Add(1)
	if !c.reserve() {
		return nil, c.errAtCapacity()
	}
	sockDir := filepath.Join(c.opts.DataDir, "run", randomID())
	spec, codeDir, err := c.instanceSpec(ctx, fn, sockDir)
	if err == nil {
		if err = sockdir.Prepare(sockDir); err != nil {
			c.code.release(codeDir)
		}
	}
	if err != nil {
		c.unreserve()
		return nil, err
	}
	inst, err := c.rt.Start(ctx, spec)
	if err != nil {
		c.code.release(codeDir)
		_ = sockdir.Remove(sockDir)
		c.unreserve()
		return nil, err
	}
	b, err := c.awaitReady(ctx, fn, inst)
	if err != nil {
		c.stopInstance(inst)
		return nil, err
	}
	c.log.Info("instance ready", "function", fn.Key().String(), "container", shortID(inst.ID),
		"revision", shortID(fn.Revision), "took", time.Since(inst.StartedAt).Round(time.Millisecond))
	return b, nil
}

// instanceSpec is the spec of a cold instance of fn, and the code folder it
// holds (released when the instance stops; none for Go, whose binaries live
// in the builder's cache).
func (c *Controller) instanceSpec(ctx context.Context, fn *platform.Function, sockDir string) (platform.InstanceSpec, string, error) {
	sandboxDir, sandboxID := c.sandboxPath(fn.Hash)
	if fn.Language == platform.LanguageGo {
		spec, err := c.goInstance(ctx, fn, sockDir, sandboxDir)
		spec.SandboxID = sandboxID
		return spec, "", err
	}
	codeDir, err := c.code.acquire(fn)
	if err != nil {
		return platform.InstanceSpec{}, "", err
	}
	spec := PythonInstance(c.opts.PythonImage, fn, InstanceDirs{Socket: sockDir, Code: codeDir, Sandbox: sandboxDir},
		c.opts.NanoCPUs, c.opts.PidsLimit)
	spec.SandboxID = sandboxID
	return spec, codeDir, nil
}

func (c *Controller) backendOpts() gateway.BackendOptions {
	return gateway.BackendOptions{MaxResponseBytes: c.opts.MaxResponseBytes}
}

// awaitReady waits for the socket, locks its folder, then asks the runtime
// to import the function: no code of the function runs before the folder is
// locked.
func (c *Controller) awaitReady(ctx context.Context, fn *platform.Function, inst platform.Instance) (*gateway.Backend, error) {
	alive := func(ctx context.Context) error { return c.diedWhileStarting(ctx, fn, inst.ID) }
	if err := sockdir.WaitAndLock(ctx, inst.SocketDir, gateway.SocketName, alive); err != nil {
		if errors.Is(err, platform.ErrInstanceDied) || errors.Is(err, platform.ErrRejected) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: instance of %s did not start: %v", platform.ErrUnavailable, fn.Name, err)
	}
	b, err := gateway.Dial(ctx, inst, c.backendOpts())
	if err != nil {
		return nil, fmt.Errorf("%w: instance of %s did not answer: %v", platform.ErrUnavailable, fn.Name, err)
	}
	if err := c.ready(ctx, fn, b, b.Ready); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// ready has a started instance import its function (ask) and maps what the
// runtime answers to the platform's errors.
func (c *Controller) ready(ctx context.Context, fn *platform.Function, b *gateway.Backend, ask func(context.Context) error) error {
	err := ask(ctx)
	var re *gateway.ReadyError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &re) && re.Code == "import_failed":
		return &platform.RejectedError{Violations: []platform.Violation{{
			File: fn.Module + ".py", Rule: "import-error", Line: tracebackLine(re.Details, fn.Module+".py"),
			Message: "the module raised while being imported: " + re.Message,
		}}}
	case errors.As(err, &re) && re.Code == "function_not_found":
		return fmt.Errorf("%w: %s", platform.ErrFunctionNotFound, re.Message)
	case errors.As(err, &re):
		return fmt.Errorf("instance of %s is not ready: %s", fn.Name, re.Message)
	}
	if died := c.diedWhileStarting(ctx, fn, b.ID()); died != nil {
		return died
	}
	return fmt.Errorf("%w: instance of %s did not answer: %v", platform.ErrUnavailable, fn.Name, err)
}

// diedWhileStarting returns a *platform.DiedError when the instance's
// container has stopped.
func (c *Controller) diedWhileStarting(ctx context.Context, fn *platform.Function, id string) error {
	st, err := c.rt.State(ctx, id)
	if errors.Is(err, platform.ErrInstanceNotFound) {
		return &platform.DiedError{Reason: "the instance was removed while starting"}
	}
	if err != nil || st.Running {
		return nil
	}
	if fn.Language == platform.LanguageGo && st.ExitCode == 2 && !st.OOMKilled {
		// A Go program that panics before main runs exits with code 2.
		return &platform.RejectedError{Violations: []platform.Violation{{
			File: fn.Module + ".go", Rule: "init-error", Line: 1,
			Message: "the function's package panicked while initialising (init functions or package-level variables)",
		}}}
	}
	return &platform.DiedError{Reason: describeExit(st, fn.MemoryMB) + " while starting"}
}

// whyDied asks the engine why an instance stopped answering. The process may
// take a moment to be reaped after its connection broke.
func (c *Controller) whyDied(id string, memoryMB int, fallback string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for {
		st, err := c.rt.State(ctx, id)
		if errors.Is(err, platform.ErrInstanceNotFound) {
			return "the instance was removed"
		}
		if err == nil && !st.Running {
			return describeExit(st, memoryMB)
		}
		select {
		case <-ctx.Done():
			return fallback
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func describeExit(st platform.InstanceState, memoryMB int) string {
	switch {
	case st.OOMKilled:
		return fmt.Sprintf("it ran out of memory (limit %d MiB) and was killed", memoryMB)
	case st.ExitCode == 137:
		return "it was killed (SIGKILL)"
	case st.ExitCode != 0:
		return fmt.Sprintf("it exited with code %d", st.ExitCode)
	default:
		return "it exited"
	}
}

// stopBackend kills an instance and frees what it used.
func (c *Controller) stopBackend(b *gateway.Backend) {
	b.Close()
	c.stopInstance(b.Instance)
}

func (c *Controller) stopInstance(inst platform.Instance) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.rt.Stop(ctx, inst.ID); err != nil {
		c.log.Warn("stop instance", "container", shortID(inst.ID), "err", err)
	}
	if err := sockdir.Remove(inst.SocketDir); err != nil {
		c.log.Warn("remove socket folder", "err", err)
	}
	c.releaseSlot(inst)
	c.code.release(inst.CodeDir)
	c.unreserve()
}

// drainAndStop waits for calls in flight on retired backends, up to grace,
// then stops them.
func (c *Controller) drainAndStop(backends []*gateway.Backend, grace time.Duration) {
	deadline := time.Now().Add(grace)
	for _, b := range backends {
		for b.Inflight() > 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		c.stopBackend(b)
	}
}

// sandboxPath is the folder mounted at /sandbox, and its identity: the
// sandbox itself, or an empty folder when it has gone since the function was
// loaded (its code is in the revision, so the function can still run).
func (c *Controller) sandboxPath(hash string) (string, platform.FileID) {
	sb, err := c.sandboxes.Open(hash)
	if err == nil {
		return sb.Path, sb.ID
	}
	empty := filepath.Join(c.opts.DataDir, "empty")
	_ = os.MkdirAll(empty, 0o555)
	fi, err := os.Lstat(empty)
	if err != nil || !fi.IsDir() {
		return empty, platform.FileID{} // the runtime refuses it
	}
	return empty, sandbox.FileID(fi)
}

func tracebackLine(details []byte, file string) int {
	var d struct {
		Traceback []struct {
			File string `json:"file"`
			Line int    `json:"line"`
		} `json:"traceback"`
	}
	if jsonUnmarshal(details, &d) != nil {
		return 0
	}
	line := 0
	for _, f := range d.Traceback {
		if path.Clean(f.File) == file {
			line = f.Line
		}
	}
	return line
}

func randomID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
