package controller

import (
	"context"
	"errors"

	"stargate/platform"
)

// The original system's auto-load convention: a sandbox whose api.py
// defines a top-level handler serves it as an api improvement.
const (
	enhanceModule   = "api"
	enhanceFunction = "handler"
)

// EnhanceItem is what happened to one sandbox.
type EnhanceItem struct {
	Hash     string
	Function *platform.Function // loaded or unchanged
	Reason   string             // why it was rejected or skipped, or a note
	Err      error              // rejected: the error a load would answer
}

// EnhanceReport sorts the sandboxes by outcome.
type EnhanceReport struct {
	Loaded    []EnhanceItem
	Unchanged []EnhanceItem
	Rejected  []EnhanceItem
	Skipped   []EnhanceItem
}

// AutoEnhance loads the handler of every sandbox's api.py that is new or
// changed. A sandbox whose short path another sandbox holds is served at its
// long path only, so that every sandbox gets loaded.
func (c *Controller) AutoEnhance(ctx context.Context) (EnhanceReport, error) {
	var rep EnhanceReport
	hashes, err := c.sandboxes.List()
	if err != nil {
		return rep, err
	}
	for _, hash := range hashes {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		sb, err := c.sandboxes.Open(hash)
		if err != nil || !sb.HasFile(enhanceModule+".py") {
			continue
		}
		item := c.enhanceOne(ctx, hash)
		switch {
		case item.Err != nil && errors.Is(item.Err, platform.ErrUnavailable):
			// Nothing else will work either.
			return rep, item.Err
		case item.Err != nil:
			rep.Rejected = append(rep.Rejected, item)
		case item.Function == nil:
			rep.Skipped = append(rep.Skipped, item)
		case item.Reason == "unchanged":
			item.Reason = ""
			rep.Unchanged = append(rep.Unchanged, item)
		default:
			rep.Loaded = append(rep.Loaded, item)
		}
	}
	return rep, nil
}

func (c *Controller) enhanceOne(ctx context.Context, hash string) EnhanceItem {
	key := platform.FunctionKey{Hash: hash, Name: enhanceFunction}
	req := LoadRequest{Hash: hash, Function: enhanceFunction, Module: enhanceModule, Type: platform.TypeAPI}
	c.mu.RLock()
	cur, loaded := c.loaded[key]
	var current platform.Function
	if loaded {
		current = cur.fn
		req.TimeoutSeconds, req.MemoryMB = current.TimeoutSeconds, current.MemoryMB
	}
	c.mu.RUnlock()

	fn, err := c.prepare(ctx, req)
	if errors.Is(err, platform.ErrFunctionNotFound) {
		return EnhanceItem{Hash: hash, Reason: "api.py defines no top-level handler"}
	}
	if err != nil {
		return EnhanceItem{Hash: hash, Reason: err.Error(), Err: err}
	}
	if loaded && current.Revision == fn.Revision && current.Type == fn.Type {
		return EnhanceItem{Hash: hash, Function: &current, Reason: "unchanged"}
	}
	fn.ShortRoute = true
	if _, taken := c.shortOwner(fn.ShortPath(), key); taken {
		fn.ShortRoute = false
	}
	err = c.deploy(ctx, &fn)
	var conflict *platform.ConflictError
	if errors.As(err, &conflict) && fn.ShortRoute {
		fn.ShortRoute = false
		err = c.deploy(ctx, &fn)
	}
	if err != nil {
		return EnhanceItem{Hash: hash, Reason: err.Error(), Err: err}
	}
	item := EnhanceItem{Hash: hash, Function: &fn}
	if !fn.ShortRoute {
		item.Reason = "served at " + fn.LongPath() + " only: another sandbox serves " + fn.ShortPath()
	}
	return item
}
