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
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
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
	// MaxInstances caps every function's instances together.
	MaxInstances int
	// QueueLength and QueueWait bound each function's waiting calls.
	QueueLength int
	QueueWait   time.Duration
	Logger      *slog.Logger
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

	instances atomic.Int64 // running or starting, for the platform-wide cap
	pool      *pool        // nil: every start is cold
	golang    *goSupport   // nil: Go functions are not served
	syncStart sync.Once
	epoch     string // the shared store's epoch last seen (sync loop only)

	warmStarts         atomic.Int64 // instances handed out from the pool
	coldInstanceStarts atomic.Int64 // instances created for a function

	ctx    context.Context // ends at shutdown; background work follows it
	cancel context.CancelFunc
	bg     sync.WaitGroup
}

type entry struct {
	fn     platform.Function
	target *gateway.Target

	starting   atomic.Int32 // instances starting (one at a time)
	coldStarts atomic.Int64 // instances started because calls waited
	failures   atomic.Int32 // failed starts in a row
	retryAt    atomic.Int64 // unix nanos before which no start is tried
	lastErr    atomic.Pointer[error]
	weighed    atomic.Int32 // instances the CPU weights were last set for
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
	if c.opts.MaxInstances <= 0 {
		c.opts.MaxInstances = config.MaxInstancesLimit
	}
	c.goBackground(func() { c.maintain(500 * time.Millisecond) })
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
	// Language is "python" or "go"; empty: the one the module is written in.
	Language string
	// Scaling fields left nil take their defaults.
	MinInstances, MaxInstances, Concurrency, IdleTimeoutSeconds *int
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
	_, err := r.scaling(config.MaxInstancesLimit)
	return err
}

// scaling reads the scaling fields, with defaults; maxInstances is the
// platform's own limit.
func (r *LoadRequest) scaling(maxInstances int) (platform.Scaling, error) {
	get := func(p *int, def int) int {
		if p == nil {
			return def
		}
		return *p
	}
	s := platform.Scaling{
		MinInstances:       get(r.MinInstances, config.DefaultMinInstances),
		MaxInstances:       get(r.MaxInstances, config.DefaultMaxInstances),
		Concurrency:        get(r.Concurrency, config.DefaultConcurrency),
		IdleTimeoutSeconds: get(r.IdleTimeoutSeconds, config.DefaultIdleSeconds),
	}
	if r.MaxInstances == nil && s.MinInstances > s.MaxInstances {
		s.MaxInstances = s.MinInstances // asking for a floor above the default ceiling raises it
	}
	limit := min(maxInstances, config.MaxInstancesLimit)
	switch {
	case s.MaxInstances < 1 || s.MaxInstances > limit:
		return s, platform.Invalid("max_instances", "must be between 1 and %d", limit)
	case s.MinInstances < 0 || s.MinInstances > s.MaxInstances:
		return s, platform.Invalid("min_instances", "must be between 0 and max_instances (%d)", s.MaxInstances)
	case s.Concurrency < 1 || s.Concurrency > config.MaxConcurrency:
		return s, platform.Invalid("concurrency", "must be between 1 and %d", config.MaxConcurrency)
	case s.IdleTimeoutSeconds < 1 || s.IdleTimeoutSeconds > config.MaxIdleSeconds:
		return s, platform.Invalid("idle_timeout_seconds", "must be between 1 and %d", config.MaxIdleSeconds)
	}
	return s, nil
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
	lang, err := c.language(ctx, sb, &req)
	if err != nil {
		return platform.Function{}, err
	}
	if lang == platform.LanguageGo {
		return c.prepareGo(ctx, sb, req)
	}
	return c.preparePython(ctx, sb, req)
}

// preparePython checks a Python function and every sandbox file its module
// can import.
func (c *Controller) preparePython(ctx context.Context, sb sandbox.Sandbox, req LoadRequest) (platform.Function, error) {
	if req.Module != "" && !sb.HasFile(req.Module+".py") {
		return platform.Function{}, fmt.Errorf("%w: %s.py is not in sandbox %s", platform.ErrModuleNotFound, req.Module, req.Hash)
	}
	files, err := sb.Sources(".py", c.sourceLimits())
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
	return c.checked(req, platform.LanguagePython, files, res)
}

// checked turns a validator's result into the function to load, or the
// error a load answers.
func (c *Controller) checked(req LoadRequest, lang string, files platform.Files, res platform.CheckResult) (platform.Function, error) {
	if len(res.Violations) > 0 {
		return platform.Function{}, &platform.RejectedError{Violations: res.Violations}
	}
	if res.Signature == nil {
		return platform.Function{}, fmt.Errorf("%w: module %s does not define a top-level function %s", platform.ErrFunctionNotFound, req.Module, req.Function)
	}
	code := platform.Files{}
	for _, name := range res.Files {
		data, ok := files[name]
		if !ok {
			return platform.Function{}, fmt.Errorf("checker named a file the sandbox does not have: %q", name)
		}
		code[name] = data
	}
	scaling, err := req.scaling(c.opts.MaxInstances)
	if err != nil {
		return platform.Function{}, err
	}
	fn := platform.Function{
		Scaling:        scaling,
		Hash:           req.Hash,
		Name:           req.Function,
		Module:         req.Module,
		Language:       lang,
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

func (c *Controller) sourceLimits() sandbox.Limits {
	return sandbox.Limits{MaxBytes: c.opts.MaxSourceBytes, MaxFiles: 2000, MaxDepth: 8}
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
	if handled, err := c.rescale(ctx, fn); handled {
		return err
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

// rescale handles a load that changes nothing the instances run (same
// code, memory and routes): only the timeout and scaling settings change,
// and the running instances stay. It reports whether it handled fn, and the
// store's error if the change could not be recorded (then nothing changed).
func (c *Controller) rescale(ctx context.Context, fn *platform.Function) (bool, error) {
	c.mu.RLock()
	e := c.loaded[fn.Key()]
	var cur platform.Function
	if e != nil {
		cur = e.fn
	}
	c.mu.RUnlock()
	if e == nil || len(e.target.Backends()) == 0 || !sameInstances(&cur, fn) {
		return false, nil
	}
	if err := c.store.Save(ctx, *fn); err != nil {
		return true, err
	}
	c.applyScaling(e, *fn)
	return true, nil
}

// sameInstances reports whether instances of cur can serve next as they
// are: same code, memory and routes.
func sameInstances(cur, next *platform.Function) bool {
	return cur.Revision == next.Revision && cur.MemoryMB == next.MemoryMB && cur.Type == next.Type && cur.ShortRoute == next.ShortRoute
}

// applyScaling takes fn's timeout and scaling settings into use for the
// running instances of e.
func (c *Controller) applyScaling(e *entry, fn platform.Function) {
	c.mu.Lock()
	e.fn = fn
	c.mu.Unlock()
	e.target.SetTimeout(fn.Timeout())
	e.target.SetLimits(c.limits(fn))
	c.log.Info("function rescaled", "function", fn.Key().String(), "min", fn.Scaling.MinInstances,
		"max", fn.Scaling.MaxInstances, "concurrency", fn.Scaling.Concurrency)
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
		e.target.OnDemand = func(*gateway.Target) { c.onDemand(e) }
		c.loaded[fn.Key()] = e
	} else {
		oldPaths = e.fn.Paths()
	}
	e.fn = fn
	c.mu.Unlock()

	e.target.SetTimeout(fn.Timeout())
	e.target.SetLimits(c.limits(fn))
	retired := e.target.Replace(backends)
	for _, b := range backends {
		c.watch(e.target, b)
	}
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
	if e != nil {
		c.drop(e)
	}
	return nil
}

// drop stops serving a loaded function here: routes first (404 at once),
// then its instances, after calls in flight had a moment to finish. The
// caller holds the function's key lock.
func (c *Controller) drop(e *entry) {
	key := e.target.Key
	c.mu.Lock()
	if c.loaded[key] != e {
		c.mu.Unlock()
		return
	}
	delete(c.loaded, key)
	c.mu.Unlock()
	c.gw.Remove(e.target)
	retired := e.target.Close()
	c.drainAndStop(retired, min(e.fn.Timeout(), 5*time.Second))
	c.log.Info("function unloaded", "function", key.String())
}

// onFailure is the gateway's report of a backend that failed: find out why
// and replace it, off the caller's path.
func (c *Controller) onFailure(t *gateway.Target, b *gateway.Backend, cause error) {
	c.goBackground(func() { c.replace(t, b, cause) })
}

// replace records why a backend failed, removes it, and has its place
// taken: at once when the function is now below its minimum (or has no
// instance at all while calls may wait), otherwise by the next call that
// finds no free instance.
func (c *Controller) replace(t *gateway.Target, failed *gateway.Backend, cause error) {
	c.mu.RLock()
	e := c.loaded[t.Key]
	c.mu.RUnlock()
	var died *platform.DiedError
	switch {
	case errors.As(cause, &died):
		memoryMB := 0
		if e != nil {
			memoryMB = e.fn.MemoryMB
		}
		failed.MarkDead(c.whyDied(failed.ID(), memoryMB, died.Reason))
	default:
		failed.MarkDead(cause.Error())
	}
	c.log.Warn("instance failed; replacing it", "function", t.Key.String(), "container", shortID(failed.ID()), "cause", cause)
	// Removing a container takes a while; the new one need not wait.
	c.goBackground(func() { c.stopBackend(failed) })
	if e != nil && e.target == t {
		c.topUp(e, 1)
	}
}

// watch notices an instance that dies while idle (killed, out of memory,
// crashed) and has it replaced, without waiting for a call to fail on it.
func (c *Controller) watch(t *gateway.Target, b *gateway.Backend) {
	c.goBackground(func() {
		select {
		case <-b.Lost():
		case <-c.ctx.Done():
			return
		}
		// A backend retired on purpose (reload, idle, unload) or by a
		// failed call is someone else's business already. The watcher can
		// win that race against the call that timed out: then it is a
		// timeout too (the instance is stuck, not dead: kill it at once).
		if t.Retire(b) {
			var cause error = &platform.DiedError{Reason: "the connection to the instance broke"}
			if errors.Is(b.Err(), os.ErrDeadlineExceeded) {
				cause = fmt.Errorf("%w: a call ran past its timeout", platform.ErrTimeout)
			}
			c.replace(t, b, cause)
		}
	})
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
