package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"stargate/platform"
	"stargate/platform/gateway"
	"stargate/platform/slots"
	"stargate/platform/sockdir"
)

// pool keeps pre-warmed generic Python instances: running, listening,
// common libraries imported, no function yet. Handing one to a function
// mounts the function's checked code and its sandbox read-only into the
// instance's slot (see package slots) and tells the runner which function
// to import. An instance is handed out once: it never returns to the pool
// and never serves another function.
type pool struct {
	c        *Controller
	slots    *slots.Root
	size     int
	memoryMB int
	preload  string
	ready    chan *pooled
	refill   chan struct{}
}

type pooled struct {
	inst platform.Instance
	b    *gateway.Backend
}

// assignment is what the platform records of a pooled instance it handed
// out, beside (not inside) its slot, so that a restart can adopt it.
type assignment struct {
	Function platform.FunctionKey `json:"function"`
	Revision string               `json:"revision"`
	CodeDir  string               `json:"code_dir"`
}

// PoolOptions size the pool.
type PoolOptions struct {
	Size     int
	MemoryMB int    // only functions with this memory limit are served from the pool
	Preload  string // comma-separated modules imported before hand-out
}

// StartPool starts keeping pre-warmed instances. It needs the right to
// mount; without it, it returns an error and every start stays cold. Call
// it after Restore, which removes the instances it cannot account for.
func (c *Controller) StartPool(opts PoolOptions) error {
	if opts.Size <= 0 {
		return nil
	}
	root, err := slots.Prepare(filepath.Join(c.opts.DataDir, "slots"))
	if err != nil {
		return err
	}
	p := &pool{
		c: c, slots: root, size: opts.Size, memoryMB: opts.MemoryMB, preload: opts.Preload,
		ready: make(chan *pooled, opts.Size), refill: make(chan struct{}, 1),
	}
	c.mu.Lock()
	c.pool = p
	c.mu.Unlock()
	c.goBackground(p.fill)
	return nil
}

// PythonPoolInstance is the spec of a pre-warmed Python instance.
func PythonPoolInstance(image string, socketDir, slotDir string, memoryMB int, preload string, nanoCPUs, pids int64) platform.InstanceSpec {
	return platform.InstanceSpec{
		Role:  platform.RolePool,
		Image: image,
		Cmd: []string{
			"/opt/stargate/stargate_runner.py",
			"--socket", "/run/stargate/" + gateway.SocketName,
			"--code", "/slot/code",
			"--workdir", "/slot/sandbox",
			"--pool", "--preload", preload,
		},
		SocketDir: socketDir,
		SlotDir:   slotDir,
		MemoryMB:  memoryMB,
		NanoCPUs:  nanoCPUs,
		PidsLimit: pids,
	}
}

// fill keeps the pool full until shutdown.
func (p *pool) fill() {
	c := p.c
	delay := 500 * time.Millisecond
	for c.ctx.Err() == nil {
		if len(p.ready) < p.size {
			pi, err := p.spawn()
			if err != nil {
				if c.ctx.Err() != nil {
					break // shutting down: a start cut short is expected
				}
				c.log.Warn("pre-warm instance", "err", err, "retry_in", delay)
				select {
				case <-c.ctx.Done():
				case <-time.After(delay):
				}
				delay = min(2*delay, 30*time.Second)
				continue
			}
			delay = 500 * time.Millisecond
			select {
			case p.ready <- pi:
			default:
				c.stopPooled(pi)
			}
			continue
		}
		select {
		case <-c.ctx.Done():
		case <-p.refill:
		}
	}
	p.drain()
}

// spawn starts one pre-warmed instance and waits until it listens.
func (p *pool) spawn() (*pooled, error) {
	c := p.c
	if !c.reserve() {
		return nil, c.errAtCapacity()
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.opts.StartTimeout)
	defer cancel()
	id := randomID()
	sockDir := filepath.Join(c.opts.DataDir, "run", id)
	slot, err := p.slots.Create(id)
	if err == nil {
		err = sockdir.Prepare(sockDir)
	}
	if err != nil {
		c.unreserve()
		return nil, err
	}
	inst, err := c.rt.Start(ctx, PythonPoolInstance(c.opts.PythonImage, sockDir, slot, p.memoryMB, p.preload, c.opts.NanoCPUs, c.opts.PidsLimit))
	if err != nil {
		_ = p.slots.Remove(slot)
		_ = sockdir.Remove(sockDir)
		c.unreserve()
		return nil, err
	}
	alive := func(ctx context.Context) error {
		if st, err := c.rt.State(ctx, inst.ID); err == nil && !st.Running {
			return &platform.DiedError{Reason: describeExit(st, p.memoryMB) + " while starting"}
		}
		return nil
	}
	err = sockdir.WaitAndLock(ctx, sockDir, gateway.SocketName, alive)
	var b *gateway.Backend
	if err == nil {
		b, err = gateway.Dial(ctx, inst, c.backendOpts())
	}
	if err != nil {
		c.stopInstance(inst)
		return nil, err
	}
	return &pooled{inst: inst, b: b}, nil
}

// take hands a pre-warmed instance to fn, or returns nil when none is
// ready (or fn's memory limit differs from the pool's): the caller then
// starts one cold.
func (p *pool) take(ctx context.Context, fn *platform.Function) (*gateway.Backend, error) {
	if fn.MemoryMB != p.memoryMB || fn.Language != platform.LanguagePython {
		return nil, nil
	}
	var pi *pooled
	select {
	case pi = <-p.ready:
	default:
		return nil, nil
	}
	select {
	case p.refill <- struct{}{}:
	default:
	}
	c := p.c
	codeDir, err := c.code.acquire(fn)
	if err != nil {
		c.stopPooled(pi)
		return nil, err
	}
	inst := pi.inst
	inst.Function, inst.Revision, inst.CodeDir = fn.Key(), fn.Revision, codeDir
	pi.b.Instance = inst
	err = p.slots.Attach(inst.SlotDir, "code", codeDir, platform.FileID{})
	if err == nil {
		dir, id := c.sandboxPath(fn.Hash)
		err = p.slots.Attach(inst.SlotDir, "sandbox", dir, id)
	}
	if err == nil {
		err = p.record(inst)
	}
	if err != nil {
		pi.b.Close()
		c.stopInstance(inst)
		return nil, err
	}
	if err := c.ready(ctx, fn, pi.b, func(ctx context.Context) error { return pi.b.Assign(ctx, fn.Module, fn.Name) }); err != nil {
		pi.b.Close()
		c.stopInstance(inst)
		return nil, err
	}
	return pi.b, nil
}

// recordPath is where an instance's assignment is kept: beside its slot,
// where the instance cannot see it.
func (p *pool) recordPath(slot string) string { return slot + ".json" }

func (p *pool) record(inst platform.Instance) error {
	data, err := json.Marshal(assignment{Function: inst.Function, Revision: inst.Revision, CodeDir: inst.CodeDir})
	if err != nil {
		return err
	}
	if err := os.WriteFile(p.recordPath(inst.SlotDir), data, 0o600); err != nil {
		return fmt.Errorf("record assignment: %w", err)
	}
	return nil
}

// readAssignment reads what a pooled instance was handed, if anything.
func readAssignment(inst platform.Instance) (assignment, bool) {
	var a assignment
	if inst.SlotDir == "" {
		return a, false
	}
	data, err := os.ReadFile(inst.SlotDir + ".json")
	if err != nil || json.Unmarshal(data, &a) != nil {
		return a, false
	}
	return a, true
}

// releaseSlot unmounts and removes an instance's slot and its record.
func (c *Controller) releaseSlot(inst platform.Instance) {
	if inst.SlotDir == "" {
		return
	}
	_ = os.Remove(inst.SlotDir + ".json")
	if err := slots.At(filepath.Dir(inst.SlotDir)).Remove(inst.SlotDir); err != nil {
		c.log.Warn("remove slot", "err", err)
	}
}

func (c *Controller) stopPooled(pi *pooled) {
	pi.b.Close()
	c.stopInstance(pi.inst)
}

// drain stops every instance still waiting in the pool.
func (p *pool) drain() {
	for {
		select {
		case pi := <-p.ready:
			p.c.stopPooled(pi)
		default:
			return
		}
	}
}

// PoolStatus is what the pool holds now.
type PoolStatus struct {
	Enabled  bool  `json:"enabled"`
	Size     int   `json:"size"`
	Ready    int   `json:"ready"`
	MemoryMB int   `json:"memory_mb"`
	Warm     int64 `json:"warm_starts"` // instances handed out from the pool
	Cold     int64 `json:"cold_starts"` // instances created for a function
}

// Pool reports the pre-warmed pool.
func (c *Controller) Pool() PoolStatus {
	c.mu.RLock()
	p := c.pool
	c.mu.RUnlock()
	st := PoolStatus{Warm: c.warmStarts.Load(), Cold: c.coldInstanceStarts.Load()}
	if p != nil {
		st.Enabled, st.Size, st.Ready, st.MemoryMB = true, p.size, len(p.ready), p.memoryMB
	}
	return st
}
