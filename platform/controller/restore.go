package controller

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"stargate/platform"
	"stargate/platform/gateway"
	"stargate/platform/slots"
)

// Restore serves every function the store holds. Instances left running by
// an earlier process (say, one killed with SIGKILL) are adopted when they
// run the stored revision and still answer; every other instance of this
// platform is removed. It returns once every function has an instance or has
// failed to get one (those are retried in the background).
func (c *Controller) Restore(ctx context.Context) error {
	fns, err := c.store.List(ctx)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	insts, err := c.rt.List(ctx)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if changes, ok := c.store.(platform.Changes); ok {
		// The epoch the restored state belongs to: a store that loses its
		// data from now on is told apart from other replicas unloading.
		_, epoch, err := changes.Versions(ctx)
		if err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		c.epoch = epoch
	}
	byKey := map[platform.FunctionKey][]platform.Instance{}
	for i, inst := range insts {
		if inst.Role == platform.RolePool {
			// A pre-warmed instance that was handed out serves the
			// function its record names; its labels cannot say.
			a, ok := readAssignment(inst)
			if !ok {
				continue
			}
			inst.Function, inst.Revision, inst.CodeDir = a.Function, a.Revision, a.CodeDir
			insts[i] = inst
		}
		if inst.Role == platform.RoleFunction || inst.Role == platform.RolePool {
			byKey[inst.Function] = append(byKey[inst.Function], inst)
		}
	}
	var (
		mu      sync.Mutex
		adopted = map[string]bool{}
		wg      sync.WaitGroup
		sem     = make(chan struct{}, 4)
	)
	for i := range fns {
		fn := fns[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			b := c.adopt(ctx, &fn, byKey[fn.Key()])
			if b != nil {
				mu.Lock()
				adopted[b.ID()] = true
				mu.Unlock()
				c.activate(fn, []*gateway.Backend{b})
				return
			}
			b, err := c.startInstance(ctx, &fn)
			if err != nil {
				// Served from the store all the same; the scaler keeps
				// trying to start it.
				c.log.Error("restore function", "function", fn.Key().String(), "err", err)
				c.activate(fn, nil)
				return
			}
			c.activate(fn, []*gateway.Backend{b})
		}()
	}
	wg.Wait()
	keepSlots := map[string]bool{}
	for _, inst := range insts {
		if inst.Role != platform.RoleFunction && inst.Role != platform.RolePool {
			continue
		}
		if adopted[inst.ID] {
			if inst.SlotDir != "" {
				keepSlots[filepath.Base(inst.SlotDir)] = true
			}
			continue
		}
		if err := c.rt.Stop(ctx, inst.ID); err != nil {
			c.log.Warn("remove stale instance", "container", shortID(inst.ID), "err", err)
		}
		c.releaseSlot(inst)
	}
	slots.At(filepath.Join(c.opts.DataDir, "slots")).Sweep(keepSlots)
	c.sweepSocketDirs(adopted, insts)
	c.code.sweep()
	c.log.Info("restored", "functions", len(fns), "adopted", len(adopted))
	c.syncStart.Do(func() { c.goBackground(func() { c.syncReplicas(syncEvery) }) })
	return nil
}

// adopt returns a backend for a running instance of fn's revision, or nil.
func (c *Controller) adopt(ctx context.Context, fn *platform.Function, candidates []platform.Instance) *gateway.Backend {
	for _, inst := range candidates {
		if inst.Revision != fn.Revision || inst.SocketDir == "" {
			continue
		}
		st, err := c.rt.State(ctx, inst.ID)
		if err != nil || !st.Running {
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		b, err := gateway.Dial(pctx, inst, c.backendOpts())
		if err == nil {
			if err = b.Ready(pctx); err != nil {
				b.Close()
			}
		}
		cancel()
		if err != nil {
			continue
		}
		c.code.adopt(inst.CodeDir)
		c.instances.Add(1) // counted even past the cap: it runs already
		c.log.Info("adopted instance", "function", fn.Key().String(), "container", shortID(inst.ID))
		return b
	}
	return nil
}

// sweepSocketDirs removes socket folders no adopted instance uses.
func (c *Controller) sweepSocketDirs(adopted map[string]bool, insts []platform.Instance) {
	keep := map[string]bool{}
	for _, inst := range insts {
		if adopted[inst.ID] {
			keep[filepath.Base(inst.SocketDir)] = true
		}
	}
	root := filepath.Join(c.opts.DataDir, "run")
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		if !keep[e.Name()] {
			dir := filepath.Join(root, e.Name())
			_ = os.Chmod(dir, 0o755)
			_ = os.RemoveAll(dir)
		}
	}
}

// Shutdown stops background work and removes every instance. Call it after
// the HTTP server has drained its calls.
func (c *Controller) Shutdown(ctx context.Context) error {
	c.cancel()
	c.mu.Lock()
	entries := make([]*entry, 0, len(c.loaded))
	for _, e := range c.loaded {
		entries = append(entries, e)
	}
	c.mu.Unlock()
	var wg sync.WaitGroup
	for _, e := range entries {
		retired := e.target.Close()
		for _, b := range retired {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.stopBackend(b)
			}()
		}
	}
	wg.Wait()
	done := make(chan struct{})
	go func() { c.bg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return errors.New("shutdown: background work did not finish")
	}
	// A start cut short by the shutdown may have left a container the
	// engine created anyway: remove whatever is left of this platform.
	if insts, err := c.rt.List(ctx); err == nil {
		for _, inst := range insts {
			if inst.Role == platform.RoleFunction || inst.Role == platform.RolePool {
				_ = c.rt.Stop(ctx, inst.ID)
				c.releaseSlot(inst)
			}
		}
	}
	c.mu.RLock()
	p := c.pool
	c.mu.RUnlock()
	if p != nil {
		if err := p.slots.Close(); err != nil {
			c.log.Warn("unmount slots", "err", err)
		}
	}
	return nil
}
