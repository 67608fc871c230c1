package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"time"

	"stargate/api"
	"stargate/platform"
	"stargate/platform/bolt"
	"stargate/platform/config"
	"stargate/platform/controller"
	"stargate/platform/docker"
	"stargate/platform/gateway"
	"stargate/platform/golang"
	"stargate/platform/pycheck"
	"stargate/platform/redis"
)

// run wires the platform together and serves until ctx ends.
func run(ctx context.Context, getenv func(string) string) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	protectFromOOM(log)
	for _, dir := range []string{cfg.DataDir, cfg.SandboxesDir()} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("create %s: %w", dir, err)
		}
	}

	store, storeKind, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()

	rt, err := docker.New(docker.Options{
		Namespace:  namespace(cfg),
		OCIRuntime: cfg.OCIRuntime,
		Logger:     log.With("component", "docker"),
	})
	if err != nil {
		return err
	}
	defer rt.Close()

	var validator platform.Validator
	var sidecar *pycheck.Sidecar
	if cfg.CheckerSocket != "" {
		validator = pycheck.NewClient(cfg.CheckerSocket)
	} else {
		sidecar = pycheck.NewSidecar(rt, cfg.PythonImage, filepath.Join(cfg.DataDir, "checker"), log.With("component", "checker"))
		validator = sidecar.Client()
	}

	gw := gateway.New()
	ctrl := controller.New(controller.Options{
		DataDir:          cfg.DataDir,
		SandboxesDir:     cfg.SandboxesDir(),
		PythonImage:      cfg.PythonImage,
		NanoCPUs:         int64(cfg.InstanceCPUs * 1e9),
		PidsLimit:        cfg.InstancePids,
		StartTimeout:     cfg.StartTimeout,
		MaxSourceBytes:   cfg.MaxSourceSize,
		MaxResponseBytes: cfg.MaxResponse,
		MaxInstances:     cfg.MaxInstances,
		QueueLength:      cfg.QueueLength,
		QueueWait:        cfg.QueueTimeout,
		Logger:           log.With("component", "controller"),
	}, rt, store, validator, gw)

	builder, err := golang.NewBuilder(rt, golang.BuilderOptions{
		Dir: filepath.Join(cfg.DataDir, "go"), Image: cfg.GoBuilder, Logger: log.With("component", "gobuild"),
	})
	if err != nil {
		return err
	}
	ctrl.EnableGo(golang.NewValidator(), builder, cfg.GoImage)

	srv := api.New(api.Deps{
		Functions:  ctrl,
		Gateway:    gw,
		Components: map[string]api.Pinger{"engine": rt, "store": store, "checker": validator},
		StoreKind:  storeKind,
		APIKey:     cfg.APIKey,
		Version:    version,
		MaxBody:    cfg.MaxBody,
		Logger:     log.With("component", "api"),
	})
	if cfg.DebugAddr != "" {
		go serveDebug(cfg.DebugAddr, log)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("STARGATE_ADDR: %w", err)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "version", version, "store", storeKind)
	if cfg.APIKey == "" {
		log.Warn("STARGATE_API_KEY is not set: write endpoints answer 503")
	}

	bg, stopBG := context.WithCancel(context.Background())
	defer stopBG()
	go func() {
		// Ready means loads work too: the checker is up before /health says so.
		if sidecar != nil {
			if err := sidecar.Start(bg); err != nil {
				log.Error("start checker; will retry", "err", err)
			}
			go sidecar.Run(bg)
		}
		restore(bg, ctrl, srv, cfg, log)
	}()
	go func() {
		// A first build warms the compiler's cache: agents' builds then
		// take well under a second.
		if err := builder.Warm(bg); err != nil && bg.Err() == nil {
			log.Warn("warm the Go build cache", "err", err)
		}
	}()

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("shutting down: draining calls in flight")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.DrainTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("drain", "err", err)
	}
	stopBG()
	if err := ctrl.Shutdown(sctx); err != nil {
		log.Warn("stop instances", "err", err)
	}
	if sidecar != nil {
		if err := sidecar.Stop(sctx); err != nil {
			log.Warn("stop checker", "err", err)
		}
	}
	log.Info("stopped")
	return nil
}

// restore brings back every stored function, retrying while the engine or
// the store cannot be reached, then fills the pool and reports ready.
func restore(ctx context.Context, ctrl *controller.Controller, srv *api.Server, cfg config.Config, log *slog.Logger) {
	delay := 500 * time.Millisecond
	for {
		err := ctrl.Restore(ctx)
		if err == nil {
			pool := controller.PoolOptions{Size: cfg.PoolSize, MemoryMB: config.DefaultMemoryMB, Preload: cfg.PoolPreload}
			if err := ctrl.StartPool(pool); err != nil {
				log.Warn("no pre-warmed instances: every instance starts cold", "err", err)
			}
			srv.SetReady()
			return
		}
		log.Error("restore; will retry", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, 10*time.Second)
	}
}

func openStore(ctx context.Context, cfg config.Config) (platform.Store, string, error) {
	if cfg.RedisURL != "" {
		// Open, not New: the API starts with Redis down and /health says
		// so until restore succeeds.
		s, err := redis.Open(cfg.RedisURL)
		if err != nil {
			return nil, "", fmt.Errorf("REDIS_URL: %w", err)
		}
		return s, "redis", nil
	}
	s, err := bolt.Open(filepath.Join(cfg.DataDir, "stargate.db"))
	if err != nil {
		return nil, "", fmt.Errorf("STARGATE_DATA_DIR: %w", err)
	}
	return s, "embedded", nil
}

// namespace keeps platforms with different data folders on one engine from
// touching each other's containers.
func namespace(cfg config.Config) string {
	if cfg.Namespace != "" {
		return cfg.Namespace
	}
	sum := sha256.Sum256([]byte(cfg.DataDir))
	return hex.EncodeToString(sum[:6])
}

// serveDebug serves the Go profiler, for operators chasing latency; keep it
// on a loopback address.
func serveDebug(addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	log.Info("debug listener", "addr", addr)
	if err := srv.ListenAndServe(); err != nil {
		log.Error("debug listener", "err", err)
	}
}

// protectFromOOM asks the kernel to kill anything else before the API when
// the host runs out of memory. Instances start at +800, and one may lower
// its own score to 0 without privileges: the API's must be below that.
func protectFromOOM(log *slog.Logger) {
	if err := os.WriteFile("/proc/self/oom_score_adj", []byte("-900"), 0); err != nil {
		log.Warn("could not lower the API's OOM score: under host memory pressure the kernel may pick it before a function", "err", err)
	}
}
