package controller

import (
	"context"
	"errors"
	"time"

	"stargate/platform"
	"stargate/platform/gateway"
)

// syncEvery is how often replicas compare stamps: one HGETALL each time,
// cheap enough to keep a change's reach well under a second.
const syncEvery = 100 * time.Millisecond

// syncReplicas keeps this process serving what a shared store holds: the
// functions other replicas load, change or unload are picked up within
// about every. Only stores that tell their changes (Redis) are synced; an
// outage of the store just skips rounds: calls keep being served.
func (c *Controller) syncReplicas(every time.Duration) {
	changes, ok := c.store.(platform.Changes)
	if !ok {
		return
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	failing := false
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
		err := c.syncOnce(ctx, changes)
		cancel()
		switch {
		case err != nil && !failing:
			c.log.Warn("replica sync paused: the store does not answer; calls are served from memory", "err", err)
			failing = true
		case err == nil && failing:
			c.log.Info("replica sync resumed")
			failing = false
		}
	}
}

func (c *Controller) syncOnce(ctx context.Context, changes platform.Changes) error {
	versions, epoch, err := changes.Versions(ctx)
	if err != nil {
		return err
	}
	if c.epoch != "" && epoch != c.epoch {
		// The store lost its data (restarted empty): what this replica
		// serves is still loaded; write it back rather than unloading it.
		c.log.Warn("the store was reset; writing back the functions served here")
		c.republish(ctx)
		c.epoch = epoch
		return nil
	}
	c.epoch = epoch
	c.mu.RLock()
	local := make(map[platform.FunctionKey]string, len(c.loaded))
	for k, e := range c.loaded {
		local[k] = e.fn.Stamp()
	}
	c.mu.RUnlock()
	for key, stamp := range versions {
		if local[key] != stamp {
			c.applyRemote(ctx, key)
		}
	}
	for key := range local {
		if _, ok := versions[key]; !ok {
			c.dropRemote(key)
		}
	}
	return nil
}

// applyRemote serves here the function another replica saved.
func (c *Controller) applyRemote(ctx context.Context, key platform.FunctionKey) {
	unlock := c.keys.lock(key)
	defer unlock()
	fn, err := c.store.Get(ctx, key)
	if errors.Is(err, platform.ErrFunctionNotFound) {
		c.dropRemoteLocked(key)
		return
	}
	if err != nil {
		return
	}
	c.mu.RLock()
	e := c.loaded[key]
	var cur platform.Function
	if e != nil {
		cur = e.fn
	}
	c.mu.RUnlock()
	if e != nil && cur.Stamp() == fn.Stamp() {
		return // applied meanwhile
	}
	if e != nil && len(e.target.Backends()) > 0 && sameInstances(&cur, &fn) {
		c.applyScaling(e, fn)
		return
	}
	b, err := c.startInstance(ctx, &fn)
	if err != nil {
		// Served all the same: the scaler keeps trying to start it.
		c.log.Warn("start function loaded by another replica", "function", key.String(), "err", err)
		c.activate(fn, nil)
		return
	}
	c.activate(fn, []*gateway.Backend{b})
	c.log.Info("function loaded by another replica", "function", key.String(), "path", fn.EndpointPath())
}

// dropRemote stops serving here a function another replica unloaded.
func (c *Controller) dropRemote(key platform.FunctionKey) {
	unlock := c.keys.lock(key)
	defer unlock()
	c.dropRemoteLocked(key)
}

func (c *Controller) dropRemoteLocked(key platform.FunctionKey) {
	c.mu.RLock()
	e := c.loaded[key]
	c.mu.RUnlock()
	if e != nil {
		c.drop(e)
	}
}

// republish saves every function this replica serves back into the store.
func (c *Controller) republish(ctx context.Context) {
	for _, fn := range c.Functions() {
		unlock := c.keys.lock(fn.Key())
		if err := c.store.Save(ctx, fn); err != nil {
			c.log.Warn("write back function", "function", fn.Key().String(), "err", err)
		}
		unlock()
	}
}
