// Package controller loads and unloads functions: it reads a sandbox, has the
// validator check its code, starts walled instances through the Runtime,
// records the function in the Store and points the gateway's routes at it.
// It also restores everything from the Store at start and replaces instances
// that die or hang.
package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"stargate/platform"
	"stargate/platform/config"
	"stargate/platform/gateway"
	"stargate/platform/sandbox"
)

// Options are the controller's settings.
type Options struct {
	DataDir          string
	SandboxesDir     string
	PythonImage      string
	NanoCPUs         int64
	PidsLimit        int64
	StartTimeout     time.Duration
	MaxSourceBytes   int
	MaxResponseBytes int
	Logger           *slog.Logger
}

// Controller owns the loaded functions of this process.
type Controller struct {
	opts      Options
	rt        platform.Runtime
	store     platform.Store
	check     platform.Validator
	gw        *gateway.Gateway
	sandboxes sandbox.Dir
	code      *codeDirs
	log       *slog.Logger
	keys      keyedMutex

	mu     sync.RWMutex
	loaded map[platform.FunctionKey]*entry

	ctx    context.Context // ends at shutdown; background work follows it
	cancel context.CancelFunc
	bg     sync.WaitGroup
}

type entry struct {
	fn     platform.Function
	target *gateway.Target
}

// New builds a controller and hooks it into the gateway's failure path.
func New(opts Options, rt platform.Runtime, store platform.Store, check platform.Validator, gw *gateway.Gateway) *Controller {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Controller{
		opts:      opts,
		rt:        rt,
		store:     store,
		check:     check,
		gw:        gw,
		sandboxes: sandbox.NewDir(opts.SandboxesDir),
		code:      newCodeDirs(filepath.Join(opts.DataDir, "code")),
		log:       opts.Logger,
		loaded:    map[platform.FunctionKey]*entry{},
		ctx:       ctx,
		cancel:    cancel,
	}
	gw.OnFailure = c.onFailure
	return c
}

// LoadRequest is what a caller asks to load.
type LoadRequest struct {
	Hash           string
	Function       string
	Module         string // empty: find the one module defining Function
	Type           string
	TimeoutSeconds int // 0: default
	MemoryMB       int // 0: default
}

func (r *LoadRequest) normalize() error {
	if err := sandbox.CheckHash(r.Hash); err != nil {
		return err
	}
	if err := sandbox.CheckIdentifier("function_name", r.Function); err != nil {
		return err
	}
	if r.Module != "" {
		if err := sandbox.CheckIdentifier("module_name", r.Module); err != nil {
			return err
		}
	}
	switch r.Type {
	case platform.TypeScan, platform.TypeAgent, platform.TypeAPI:
	default:
		return platform.Invalid("improvement_type", "must be scan, agent or api, got %q", clip(r.Type))
	}
	if r.TimeoutSeconds == 0 {
		r.TimeoutSeconds = config.DefaultTimeoutSeconds
	}
	if r.TimeoutSeconds < 1 || r.TimeoutSeconds > config.MaxTimeoutSeconds {
		return platform.Invalid("timeout_seconds", "must be between 1 and %d", config.MaxTimeoutSeconds)
	}
	if r.MemoryMB == 0 {
		r.MemoryMB = config.DefaultMemoryMB
	}
	if r.MemoryMB < config.MinMemoryMB || r.MemoryMB > config.MaxMemoryMB {
		return platform.Invalid("memory_mb", "must be between %d and %d", config.MinMemoryMB, config.MaxMemoryMB)
	}
	return nil
}

// Load checks a function's code and, if it passes, serves it. It returns
// once the function answers at its endpoint. Loading a function that is
// already loaded replaces its instances without failing a call.
func (c *Controller) Load(ctx context.Context, req LoadRequest) (platform.Function, error) {
	fn, err := c.prepare(ctx, req)
	if err != nil {
		return platform.Function{}, err
	}
	fn.ShortRoute = true
	if err := c.deploy(ctx, &fn); err != nil {
		return platform.Function{}, err
	}
	return fn, nil
}

// prepare reads and checks a function's code; nothing starts yet.
func (c *Controller) prepare(ctx context.Context, req LoadRequest) (platform.Function, error) {
	if err := req.normalize(); err != nil {
		return platform.Function{}, err
	}
	sb, err := c.sandboxes.Open(req.Hash)
	if err != nil {
		return platform.Function{}, err
	}
	if req.Module != "" && !sb.HasFile(req.Module+".py") {
		return platform.Function{}, fmt.Errorf("%w: %s.py is not in sandbox %s", platform.ErrModuleNotFound, req.Module, req.Hash)
	}
	files, err := sb.Sources(".py", sandbox.Limits{MaxBytes: c.opts.MaxSourceBytes, MaxFiles: 2000, MaxDepth: 8})
	if err != nil {
		return platform.Function{}, err
	}
	res, err := c.check.Check(ctx, platform.CheckRequest{
		Language: platform.LanguagePython, Files: files, Module: req.Module, Function: req.Function,
	})
	if err != nil {
		return platform.Function{}, err
	}
	if req.Module == "" {
		switch len(res.Candidates) {
		case 0:
			return platform.Function{}, fmt.Errorf("%w: no module in sandbox %s defines a top-level function %s", platform.ErrFunctionNotFound, req.Hash, req.Function)
		case 1:
			req.Module = res.Candidates[0]
		default:
			return platform.Function{}, fmt.Errorf("%w: %s is defined in several modules (%s); say which with module_name",
				platform.ErrConflict, req.Function, strings.Join(res.Candidates, ", "))
		}
	}
	if len(res.Violations) > 0 {
		return platform.Function{}, &platform.RejectedError{Violations: res.Violations}
	}
	if res.Signature == nil {
		return platform.Function{}, fmt.Errorf("%w: %s.py does not define a top-level function %s", platform.ErrFunctionNotFound, req.Module, req.Function)
	}
	code := platform.Files{}
	for _, name := range res.Files {
		data, ok := files[name]
		if !ok {
			return platform.Function{}, fmt.Errorf("checker named a file the sandbox does not have: %q", name)
		}
		code[name] = data
	}
	fn := platform.Function{
		Hash:           req.Hash,
		Name:           req.Function,
		Module:         req.Module,
		Language:       platform.LanguagePython,
		Type:           req.Type,
		TimeoutSeconds: req.TimeoutSeconds,
		MemoryMB:       req.MemoryMB,
		Files:          code,
		Signature:      *res.Signature,
		LoadedAt:       time.Now().UTC().Truncate(time.Millisecond),
	}
	fn.Revision = revision(&fn)
	return fn, nil
}

// revision names what an instance runs: the code, the entry point and the
// language; limits are not part of it.
func revision(fn *platform.Function) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s", fn.Language, fn.Module, fn.Name, fn.Files.Digest())
	return hex.EncodeToString(h.Sum(nil))
}

// deploy starts fn's instance, records fn and switches its routes to it.
func (c *Controller) deploy(ctx context.Context, fn *platform.Function) error {
	unlock := c.keys.lock(fn.Key())
	defer unlock()
	// A conflict known here costs nothing; the store has the final word.
	if fn.ShortRoute {
		if owner, ok := c.shortOwner(fn.ShortPath(), fn.Key()); ok {
			return &platform.ConflictError{Path: fn.ShortPath(), Owner: owner}
		}
	}
	b, err := c.startInstance(ctx, fn)
	if err != nil {
		return err
	}
	if err := c.store.Save(ctx, *fn); err != nil {
		c.stopBackend(b)
		return err
	}
	c.activate(*fn, []*gateway.Backend{b})
	c.log.Info("function loaded", "function", fn.Key().String(), "path", fn.EndpointPath(), "revision", shortID(fn.Revision))
	return nil
}

// shortOwner returns who, other than key, serves path here.
func (c *Controller) shortOwner(path string, key platform.FunctionKey) (platform.FunctionKey, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for k, e := range c.loaded {
		if k != key && e.fn.ShortRoute && e.fn.ShortPath() == path {
			return k, true
		}
	}
	return platform.FunctionKey{}, false
}

// activate puts backends into service for fn and points fn's paths at them;
// backends of an earlier revision finish their calls and are stopped.
func (c *Controller) activate(fn platform.Function, backends []*gateway.Backend) {
	c.mu.Lock()
	e := c.loaded[fn.Key()]
	var oldPaths []string
	if e == nil {
		e = &entry{target: gateway.NewTarget(fn.Key(), fn.Timeout())}
		c.loaded[fn.Key()] = e
	} else {
		oldPaths = e.fn.Paths()
	}
	e.fn = fn
	c.mu.Unlock()

	e.target.SetTimeout(fn.Timeout())
	retired := e.target.Replace(backends)
	c.gw.Set(e.target, fn.Paths()...)
	if stale := minus(oldPaths, fn.Paths()); len(stale) > 0 {
		c.gw.RemovePaths(e.target, stale...)
	}
	if len(retired) > 0 {
		c.goBackground(func() { c.drainAndStop(retired, fn.Timeout()) })
	}
}

// Unload stops serving a function: its routes answer 404 at once, its
// instances are removed.
func (c *Controller) Unload(ctx context.Context, key platform.FunctionKey) error {
	if err := sandbox.CheckHash(key.Hash); err != nil {
		return err
	}
	if err := sandbox.CheckIdentifier("function_name", key.Name); err != nil {
		return err
	}
	unlock := c.keys.lock(key)
	defer unlock()
	c.mu.RLock()
	e := c.loaded[key]
	c.mu.RUnlock()
	if err := c.store.Delete(ctx, key); err != nil {
		if !(errors.Is(err, platform.ErrFunctionNotFound) && e != nil) {
			return err
		}
	}
	if e == nil {
		return nil
	}
	c.mu.Lock()
	delete(c.loaded, key)
	c.mu.Unlock()
	c.gw.Remove(e.target)
	retired := e.target.Close()
	// Calls in flight get a moment to finish; the caller waits for removal.
	c.drainAndStop(retired, min(e.fn.Timeout(), 5*time.Second))
	c.log.Info("function unloaded", "function", key.String())
	return nil
}

// onFailure is the gateway's report of a backend that failed: find out why
// and replace it, off the caller's path.
func (c *Controller) onFailure(t *gateway.Target, b *gateway.Backend, cause error) {
	c.goBackground(func() { c.replace(t, b, cause) })
}

// replace records why a backend failed, stops it and starts a new instance
// in its place, retrying while the function stays loaded.
func (c *Controller) replace(t *gateway.Target, failed *gateway.Backend, cause error) {
	if failed != nil {
		var died *platform.DiedError
		switch {
		case errors.As(cause, &died):
			memoryMB := 0
			c.mu.RLock()
			if e := c.loaded[t.Key]; e != nil {
				memoryMB = e.fn.MemoryMB
			}
			c.mu.RUnlock()
			failed.MarkDead(c.whyDied(failed.ID(), memoryMB, died.Reason))
		default:
			failed.MarkDead(cause.Error())
		}
		c.log.Warn("instance failed; replacing it", "function", t.Key.String(), "container", shortID(failed.ID()), "cause", cause)
		// Removing a container takes a while; the new one need not wait.
		c.goBackground(func() { c.stopBackend(failed) })
	}
	delay := 200 * time.Millisecond
	for c.ctx.Err() == nil {
		c.mu.RLock()
		e := c.loaded[t.Key]
		c.mu.RUnlock()
		if e == nil || e.target != t {
			return
		}
		fn := e.fn
		b, err := c.startInstance(c.ctx, &fn)
		if err == nil {
			if !t.Add(b) {
				c.stopBackend(b) // unloaded meanwhile
			}
			return
		}
		c.log.Warn("replace instance", "function", t.Key.String(), "err", err)
		select {
		case <-c.ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, 30*time.Second)
	}
}

func (c *Controller) goBackground(fn func()) {
	c.bg.Add(1)
	go func() {
		defer c.bg.Done()
		fn()
	}()
}

// Functions returns every loaded function, sorted by key.
func (c *Controller) Functions() []platform.Function {
	c.mu.RLock()
	out := make([]platform.Function, 0, len(c.loaded))
	for _, e := range c.loaded {
		out = append(out, e.fn)
	}
	c.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Key().String() < out[j].Key().String() })
	return out
}

func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		found := false
		for _, y := range b {
			found = found || x == y
		}
		if !found {
			out = append(out, x)
		}
	}
	return out
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
