// Package config reads Stargate's configuration from the environment. Load
// takes a getenv function so tests pass a map instead of touching the process
// environment; every value is validated at start, and an error names the
// variable.
package config

import (
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is the whole configuration of one API process.
type Config struct {
	Addr        string // STARGATE_ADDR
	APIKey      string // STARGATE_API_KEY; empty disables every write endpoint
	UploadsDir  string // UPLOADS_DIR; sandboxes are UploadsDir/results/<hash>
	DataDir     string // STARGATE_DATA_DIR
	RedisURL    string // REDIS_URL; empty selects the embedded store
	LogLevel    slog.Level
	MaxBody     int // STARGATE_MAX_BODY_BYTES
	MaxResponse int // STARGATE_MAX_RESPONSE_BYTES

	PythonImage   string // STARGATE_PYTHON_IMAGE
	GoImage       string // STARGATE_GO_IMAGE: Go function instances
	GoBuilder     string // STARGATE_GO_BUILDER_IMAGE: compiles Go functions
	CheckerSocket string // STARGATE_CHECKER_SOCKET; empty runs the checker as a sidecar container
	OCIRuntime    string // STARGATE_OCI_RUNTIME; empty is the engine's default (runc)
	Namespace     string // STARGATE_NAMESPACE; empty derives one from DataDir
	DebugAddr     string // STARGATE_DEBUG_ADDR; serves net/http/pprof when set

	InstanceCPUs  float64 // STARGATE_INSTANCE_CPUS
	InstancePids  int64   // STARGATE_INSTANCE_PIDS
	StartTimeout  time.Duration
	DrainTimeout  time.Duration // STARGATE_SHUTDOWN_TIMEOUT
	MaxSourceSize int           // STARGATE_MAX_SOURCE_BYTES: all .py files of one sandbox together

	MaxInstances int           // STARGATE_MAX_INSTANCES: all functions' instances together
	QueueLength  int           // STARGATE_QUEUE_LENGTH: calls waiting per function before 429
	QueueTimeout time.Duration // STARGATE_QUEUE_TIMEOUT: longest wait for an instance before 429
	PoolSize     int           // STARGATE_POOL_SIZE: pre-warmed generic instances; 0 disables
	PoolPreload  string        // STARGATE_POOL_PRELOAD: modules pre-warmed instances import
}

// Defaults and maxima of per-function settings, fixed by the API contract.
const (
	DefaultTimeoutSeconds = 30
	MaxTimeoutSeconds     = 300
	DefaultMemoryMB       = 128
	MinMemoryMB           = 32
	MaxMemoryMB           = 1024

	DefaultMinInstances = 1
	DefaultMaxInstances = 4
	MaxInstancesLimit   = 64
	DefaultConcurrency  = 1
	MaxConcurrency      = 64
	DefaultIdleSeconds  = 300
	MaxIdleSeconds      = 86400
)

// Load reads and validates the configuration.
func Load(getenv func(string) string) (Config, error) {
	c := Config{
		Addr:          ":8080",
		UploadsDir:    "./data/uploads",
		DataDir:       "./data/state",
		LogLevel:      slog.LevelInfo,
		MaxBody:       10 << 20,
		MaxResponse:   32 << 20,
		PythonImage:   "stargate/python-runtime:dev",
		GoImage:       "stargate/go-runtime:dev",
		GoBuilder:     "stargate/go-builder:dev",
		InstanceCPUs:  1,
		InstancePids:  64,
		StartTimeout:  30 * time.Second,
		DrainTimeout:  30 * time.Second,
		MaxSourceSize: 8 << 20,
		MaxInstances:  64,
		QueueLength:   100,
		QueueTimeout:  10 * time.Second,
		PoolSize:      2,
		PoolPreload:   "numpy,PIL.Image",
	}
	r := reader{getenv: getenv}
	r.str("STARGATE_ADDR", &c.Addr, validAddr)
	// Callers' tokens are trimmed too; a key read with its newline must work.
	c.APIKey = strings.TrimSpace(getenv("STARGATE_API_KEY"))
	if c.APIKey != "" && len(c.APIKey) < 16 {
		r.fail("STARGATE_API_KEY", "must be at least 16 characters")
	}
	r.str("UPLOADS_DIR", &c.UploadsDir, nil)
	r.str("STARGATE_DATA_DIR", &c.DataDir, nil)
	r.str("REDIS_URL", &c.RedisURL, validRedisURL)
	r.level("STARGATE_LOG_LEVEL", &c.LogLevel)
	r.size("STARGATE_MAX_BODY_BYTES", &c.MaxBody, 1<<10, 1<<30)
	r.size("STARGATE_MAX_RESPONSE_BYTES", &c.MaxResponse, 1<<10, 1<<30)
	r.size("STARGATE_MAX_SOURCE_BYTES", &c.MaxSourceSize, 1<<10, 64<<20)
	r.str("STARGATE_PYTHON_IMAGE", &c.PythonImage, nil)
	r.str("STARGATE_GO_IMAGE", &c.GoImage, nil)
	r.str("STARGATE_GO_BUILDER_IMAGE", &c.GoBuilder, nil)
	r.str("STARGATE_CHECKER_SOCKET", &c.CheckerSocket, nil)
	r.str("STARGATE_OCI_RUNTIME", &c.OCIRuntime, nil)
	r.str("STARGATE_NAMESPACE", &c.Namespace, validNamespace)
	r.str("STARGATE_DEBUG_ADDR", &c.DebugAddr, validAddr)
	r.float("STARGATE_INSTANCE_CPUS", &c.InstanceCPUs, 0.05, 64)
	r.int64("STARGATE_INSTANCE_PIDS", &c.InstancePids, 8, 4096)
	r.duration("STARGATE_START_TIMEOUT", &c.StartTimeout)
	r.duration("STARGATE_SHUTDOWN_TIMEOUT", &c.DrainTimeout)
	r.count("STARGATE_MAX_INSTANCES", &c.MaxInstances, 1, 4096)
	r.count("STARGATE_QUEUE_LENGTH", &c.QueueLength, 0, 100000)
	r.duration("STARGATE_QUEUE_TIMEOUT", &c.QueueTimeout)
	r.count("STARGATE_POOL_SIZE", &c.PoolSize, 0, 64)
	r.str("STARGATE_POOL_PRELOAD", &c.PoolPreload, validModules)
	if r.err != nil {
		return Config{}, r.err
	}
	var err error
	if c.UploadsDir, err = filepath.Abs(c.UploadsDir); err != nil {
		return Config{}, fmt.Errorf("UPLOADS_DIR: %w", err)
	}
	if c.DataDir, err = filepath.Abs(c.DataDir); err != nil {
		return Config{}, fmt.Errorf("STARGATE_DATA_DIR: %w", err)
	}
	if c.CheckerSocket != "" {
		if c.CheckerSocket, err = filepath.Abs(c.CheckerSocket); err != nil {
			return Config{}, fmt.Errorf("STARGATE_CHECKER_SOCKET: %w", err)
		}
	}
	return c, nil
}

// SandboxesDir is where the sandboxes live: UPLOADS_DIR/results.
func (c Config) SandboxesDir() string { return filepath.Join(c.UploadsDir, "results") }

type reader struct {
	getenv func(string) string
	err    error
}

func (r *reader) fail(name, format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...))
	}
}

func (r *reader) str(name string, dst *string, check func(string) error) {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return
	}
	if check != nil {
		if err := check(v); err != nil {
			r.fail(name, "%v", err)
			return
		}
	}
	*dst = v
}

func (r *reader) size(name string, dst *int, lo, hi int) {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		r.fail(name, "want a number of bytes between %d and %d, got %q", lo, hi, v)
		return
	}
	*dst = n
}

func (r *reader) count(name string, dst *int, lo, hi int) {
	n := int64(*dst)
	r.int64(name, &n, int64(lo), int64(hi))
	*dst = int(n)
}

func (r *reader) int64(name string, dst *int64, lo, hi int64) {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		r.fail(name, "want a whole number between %d and %d, got %q", lo, hi, v)
		return
	}
	*dst = n
}

func (r *reader) float(name string, dst *float64, lo, hi float64) {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || f < lo || f > hi {
		r.fail(name, "want a number between %g and %g, got %q", lo, hi, v)
		return
	}
	*dst = f
}

func (r *reader) duration(name string, dst *time.Duration) {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 || d > time.Hour {
		r.fail(name, "want a duration such as 30s (at most 1h), got %q", v)
		return
	}
	*dst = d
}

func (r *reader) level(name string, dst *slog.Level) {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return
	}
	if err := dst.UnmarshalText([]byte(v)); err != nil {
		r.fail(name, "want debug, info, warn or error, got %q", v)
	}
}

func validAddr(v string) error {
	if _, _, err := net.SplitHostPort(v); err != nil {
		return fmt.Errorf("want host:port such as :8080, got %q", v)
	}
	return nil
}

func validRedisURL(v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix") {
		return fmt.Errorf("want redis://host:port/db, rediss:// or unix://, got %q", v)
	}
	return nil
}

func validNamespace(v string) error {
	if len(v) > 63 || strings.Trim(v, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
		return fmt.Errorf("want up to 63 lowercase letters, digits and dashes, got %q", v)
	}
	return nil
}

func validModules(v string) error {
	for _, m := range strings.Split(v, ",") {
		for _, part := range strings.Split(strings.TrimSpace(m), ".") {
			if part == "" || strings.Trim(part, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != "" {
				return fmt.Errorf("want comma-separated module names such as numpy,PIL.Image, got %q", v)
			}
		}
	}
	return nil
}
