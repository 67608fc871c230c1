package golang

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"stargate/platform"
)

// Images built by deploy/images/build.sh.
const (
	DefaultBuilderImage = "stargate/go-builder:dev"
	DefaultRuntimeImage = "stargate/go-runtime:dev"
)

// buildFlags are the builder's go build flags (runtimes/go/builder); they
// are part of the binary cache key.
const buildFlags = "CGO_ENABLED=0 -trimpath -buildvcs=false -ldflags=-s -w"

// BuilderOptions configure a Builder; zero values take the defaults.
type BuilderOptions struct {
	// Dir holds the build cache, the builds in progress and the binaries:
	// <Dir>/work/cache, <Dir>/work/out/<id>, <Dir>/bin/<key>/fn.
	Dir   string
	Image string // DefaultBuilderImage
	// GoVersion goes into the generated go.mod; Toolchain into the cache
	// key. Both default to this binary's Go, which the images copy.
	GoVersion string
	Toolchain string
	NanoCPUs  int64         // 2 CPUs
	MemoryMB  int           // 1024
	PidsLimit int64         // 256
	Timeout   time.Duration // 120 s, container start to exit
	Parallel  int           // builds at once: 2
	Logger    *slog.Logger
}

// Builder compiles Go functions in walled builder containers and keeps the
// binaries by content: the same module is never built twice.
//
// The builder container is an instance like any other (platform/docker
// applies the whole wall: network none, read-only root, user 65534, no
// capabilities, limits). It sees the generated module read-only at /code
// and one writable folder at /run/stargate holding the shared build cache
// and the output folder of each build. Builds share that folder, so they
// share one trust domain: what the compiler sees of agent code cannot run
// (no cgo, no //go: directives, no go:generate), and the binary is copied
// out of the folder by the platform before anything uses it.
type Builder struct {
	rt   platform.Runtime
	opts BuilderOptions
	log  *slog.Logger
	sem  chan struct{}

	mu      sync.Mutex
	flights map[string]*flight
}

type flight struct {
	done chan struct{}
	bin  Binary
	err  error
}

// Binary is a built function.
type Binary struct {
	// Dir holds the executable "fn"; instances mount it read-only at /code.
	Dir string
	// Key names the module and its build; Dir ends with it.
	Key string
	// Cached: the binary was there already, nothing was built.
	Cached    bool
	Signature *platform.Signature
}

// NewBuilder prepares the builder's folders.
func NewBuilder(rt platform.Runtime, opts BuilderOptions) (*Builder, error) {
	if opts.Dir == "" {
		return nil, errors.New("go builder: a folder is required")
	}
	def := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&opts.NanoCPUs, 2e9)
	def(&opts.PidsLimit, 256)
	if opts.MemoryMB <= 0 {
		opts.MemoryMB = 1024
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 120 * time.Second
	}
	if opts.Parallel <= 0 {
		opts.Parallel = 2
	}
	if opts.Image == "" {
		opts.Image = DefaultBuilderImage
	}
	if opts.GoVersion == "" {
		opts.GoVersion = GoVersion()
	}
	if opts.Toolchain == "" {
		opts.Toolchain = runtime.Version()
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	abs, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("go builder: %w", err)
	}
	opts.Dir = abs
	// Containers reach what they mount through the engine, not through
	// this folder: it stays private to the platform.
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("go builder: %w", err)
	}
	if err := os.Chmod(abs, 0o700); err != nil {
		return nil, fmt.Errorf("go builder: %w", err)
	}
	for _, d := range []string{"bin", "src", "work"} {
		if err := os.MkdirAll(filepath.Join(abs, d), 0o755); err != nil {
			return nil, fmt.Errorf("go builder: %w", err)
		}
	}
	// The builder runs as 65534: it must be able to write the cache and
	// its output folders (umask would strip MkdirAll's bits).
	for _, d := range []string{"work", "work/cache", "work/out"} {
		p := filepath.Join(abs, d)
		if err := os.MkdirAll(p, 0o777); err != nil {
			return nil, fmt.Errorf("go builder: %w", err)
		}
		if err := os.Chmod(p, 0o777); err != nil {
			return nil, fmt.Errorf("go builder: %w", err)
		}
	}
	b := &Builder{rt: rt, opts: opts, log: opts.Logger, sem: make(chan struct{}, opts.Parallel), flights: map[string]*flight{}}
	b.sweep()
	return b, nil
}

// sweep removes what builds of an earlier process left behind: the folder
// belongs to one platform process.
func (b *Builder) sweep() {
	for _, d := range []string{"src", "work/out", "bin"} {
		entries, _ := os.ReadDir(filepath.Join(b.opts.Dir, d))
		for _, e := range entries {
			if d != "bin" || strings.HasPrefix(e.Name(), ".tmp-") {
				removeTree(filepath.Join(b.opts.Dir, d, e.Name()))
			}
		}
	}
}

// Prune removes every binary whose key is not in keep (the keys of the
// functions still loaded; BuildFunction of a loaded function is a cache hit
// that returns its key).
func (b *Builder) Prune(keep map[string]bool) error {
	entries, err := os.ReadDir(filepath.Join(b.opts.Dir, "bin"))
	if err != nil {
		return fmt.Errorf("prune go binaries: %w", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range entries {
		if !keep[e.Name()] && b.flights[e.Name()] == nil {
			removeTree(filepath.Join(b.opts.Dir, "bin", e.Name()))
		}
	}
	return nil
}

// BuildFunction builds fn from its stored source, fn.Files[fn.Module+".go"].
func (b *Builder) BuildFunction(ctx context.Context, fn *platform.Function) (Binary, error) {
	src, ok := fn.Files[fn.Module+".go"]
	if !ok {
		return Binary{}, fmt.Errorf("%w: %s.go is not in the function's files", platform.ErrModuleNotFound, fn.Module)
	}
	return b.Build(ctx, fn.Key(), fn.Module, fn.Name, src)
}

// Build validates src (again: nothing unchecked is compiled), generates the
// module serving function and returns its binary, built now or earlier.
// Validation and compiler errors are a *platform.RejectedError; a failing
// engine is platform.ErrUnavailable.
func (b *Builder) Build(ctx context.Context, key platform.FunctionKey, module, function string, src []byte) (Binary, error) {
	mod, err := Generate(module, function, src, b.opts.GoVersion)
	if err != nil {
		return Binary{}, err
	}
	k := moduleKey(mod, b.opts.Toolchain, buildFlags)
	bin := Binary{Dir: b.BinaryDir(k), Key: k, Signature: mod.Signature}
	if isFile(filepath.Join(bin.Dir, "fn")) {
		bin.Cached = true
		return bin, nil
	}
	b.mu.Lock()
	if f := b.flights[k]; f != nil {
		b.mu.Unlock()
		select {
		case <-f.done:
			return f.bin, f.err
		case <-ctx.Done():
			return Binary{}, fmt.Errorf("%w: waiting for a build: %v", platform.ErrTimeout, ctx.Err())
		}
	}
	f := &flight{done: make(chan struct{})}
	b.flights[k] = f
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.flights, k)
		b.mu.Unlock()
		close(f.done)
	}()
	if f.err = b.compile(ctx, key, k, module+".go", mod); f.err == nil {
		f.bin = bin
	}
	return f.bin, f.err
}

// BinaryDir is where the binary of cache key k is kept.
func (b *Builder) BinaryDir(k string) string { return filepath.Join(b.opts.Dir, "bin", k) }

// Warm builds a trivial function so that the build cache holds the
// standard library and the runner: the first agent build is then warm.
func (b *Builder) Warm(ctx context.Context) error {
	src := []byte("package warm\n\n// Warm is built at start to fill the build cache.\nfunc Warm(n int) (int, error) { return n, nil }\n")
	_, err := b.Build(ctx, platform.FunctionKey{Hash: "stargate", Name: "warm"}, "warm", "Warm", src)
	return err
}

// compile runs one build in a builder container and keeps its binary.
func (b *Builder) compile(ctx context.Context, key platform.FunctionKey, k, file string, mod *Module) error {
	select {
	case b.sem <- struct{}{}:
		defer func() { <-b.sem }()
	case <-ctx.Done():
		return fmt.Errorf("%w: waiting for a builder: %v", platform.ErrTimeout, ctx.Err())
	}
	started := time.Now()
	id := randomID()
	srcDir := filepath.Join(b.opts.Dir, "src", id)
	if err := writeModule(srcDir, mod.Files); err != nil {
		return err
	}
	defer removeTree(srcDir)
	outDir := filepath.Join(b.opts.Dir, "work", "out", id)
	if err := os.Mkdir(outDir, 0o777); err != nil {
		return fmt.Errorf("go build folder: %w", err)
	}
	defer removeTree(outDir)
	if err := os.Chmod(outDir, 0o777); err != nil {
		return fmt.Errorf("go build folder: %w", err)
	}
	st, err := b.run(ctx, key, k, srcDir, id)
	if err != nil {
		return err
	}
	out, err := os.OpenRoot(outDir)
	if err != nil {
		return fmt.Errorf("go build folder: %w", err)
	}
	defer out.Close()
	switch {
	case st.OOMKilled:
		return limitError(file, fmt.Sprintf("the compiler ran out of memory (limit %d MiB)", b.opts.MemoryMB))
	case st.ExitCode == 124:
		return limitError(file, fmt.Sprintf("the build took longer than %s", b.opts.Timeout))
	case st.ExitCode != 0:
		log, _ := readSmall(out, "build.log", 256<<10)
		if len(bytes.TrimSpace(log)) == 0 {
			log = []byte(fmt.Sprintf("the builder exited with code %d without a message", st.ExitCode))
		}
		return &platform.RejectedError{Violations: compileViolations(log, file)}
	}
	if err := keepBinary(out, b.BinaryDir(k)); err != nil {
		return err
	}
	b.log.Info("go function built", "function", key.String(), "key", k[:12], "took", time.Since(started).Round(time.Millisecond))
	return nil
}

// run starts the builder container and waits for it to exit, within the
// wall time; the container is removed before run returns.
func (b *Builder) run(ctx context.Context, key platform.FunctionKey, k, srcDir, id string) (platform.InstanceState, error) {
	ctx, cancel := context.WithTimeout(ctx, b.opts.Timeout)
	defer cancel()
	inst, err := b.rt.Start(ctx, platform.InstanceSpec{
		Role:     platform.RoleBuilder,
		Function: key,
		Revision: k,
		Image:    b.opts.Image,
		Cmd: []string{"/opt/stargate/stargate-gobuild", "--src", "/code",
			"--out", "/run/stargate/out/" + id, "--cache", "/run/stargate/cache",
			"--timeout", (b.opts.Timeout - 5*time.Second).String()},
		SocketDir: filepath.Join(b.opts.Dir, "work"),
		CodeDir:   srcDir,
		MemoryMB:  b.opts.MemoryMB,
		NanoCPUs:  b.opts.NanoCPUs,
		PidsLimit: b.opts.PidsLimit,
	})
	if err != nil {
		return platform.InstanceState{}, fmt.Errorf("start go builder: %w", err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := b.rt.Stop(stopCtx, inst.ID); err != nil {
			b.log.Warn("remove go builder", "container", inst.ID, "err", err)
		}
	}()
	delay := 10 * time.Millisecond
	for {
		st, err := b.rt.State(ctx, inst.ID)
		if errors.Is(err, platform.ErrInstanceNotFound) {
			return st, fmt.Errorf("%w: the go builder was removed while building", platform.ErrUnavailable)
		}
		if err == nil && !st.Running {
			return st, nil
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return platform.InstanceState{ExitCode: 124}, nil
			}
			return platform.InstanceState{}, fmt.Errorf("go build: %w", ctx.Err())
		case <-time.After(delay):
		}
		delay = min(2*delay, 100*time.Millisecond)
	}
}

func limitError(file, msg string) error {
	return &platform.RejectedError{Violations: []platform.Violation{{File: file, Rule: "build-limit", Message: msg}}}
}

// writeModule writes the module's files under dir, read-only, readable by
// the builder's unprivileged user.
func writeModule(dir string, files map[string][]byte) error {
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(path.Clean(name)))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("go module folder: %w", err)
		}
		if err := os.WriteFile(p, data, 0o444); err != nil {
			return fmt.Errorf("go module folder: %w", err)
		}
	}
	return filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && e.IsDir() {
			err = os.Chmod(p, 0o555)
		}
		return err
	})
}

func removeTree(dir string) {
	_ = filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && e.IsDir() {
			_ = os.Chmod(p, 0o755)
		}
		return nil
	})
	_ = os.RemoveAll(dir)
}

func isFile(p string) bool {
	fi, err := os.Lstat(p)
	return err == nil && fi.Mode().IsRegular()
}

func randomID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
