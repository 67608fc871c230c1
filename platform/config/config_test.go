package config_test

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stargate/platform/config"
)

// env is a getenv backed by a map, so that no test touches the process
// environment.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func abs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestLoadDefaults(t *testing.T) {
	got, err := config.Load(env(nil))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := config.Config{
		Addr:          ":8080",
		UploadsDir:    abs(t, "./data/uploads"),
		DataDir:       abs(t, "./data/state"),
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
	if got != want {
		t.Errorf("Load(empty) =\n%+v\nwant\n%+v", got, want)
	}
	if got, want := got.SandboxesDir(), filepath.Join(want.UploadsDir, "results"); got != want {
		t.Errorf("SandboxesDir() = %q, want %q", got, want)
	}
}

func TestLoadEveryVariable(t *testing.T) {
	got, err := config.Load(env(map[string]string{
		"STARGATE_ADDR":               "127.0.0.1:9000",
		"STARGATE_API_KEY":            "0123456789abcdef-secret",
		"UPLOADS_DIR":                 "/srv/uploads",
		"STARGATE_DATA_DIR":           "/srv/state",
		"REDIS_URL":                   "redis://localhost:6379/2",
		"STARGATE_LOG_LEVEL":          "debug",
		"STARGATE_MAX_BODY_BYTES":     "2048",
		"STARGATE_MAX_RESPONSE_BYTES": "4096",
		"STARGATE_MAX_SOURCE_BYTES":   " 8192 ", // surrounding space is trimmed
		"STARGATE_PYTHON_IMAGE":       "example/py:1",
		"STARGATE_GO_IMAGE":           "example/go:1",
		"STARGATE_GO_BUILDER_IMAGE":   "example/gob:1",
		"STARGATE_CHECKER_SOCKET":     "run/checker.sock",
		"STARGATE_OCI_RUNTIME":        "runsc",
		"STARGATE_NAMESPACE":          "sg-test-1",
		"STARGATE_DEBUG_ADDR":         "localhost:6060",
		"STARGATE_INSTANCE_CPUS":      "0.5",
		"STARGATE_INSTANCE_PIDS":      "128",
		"STARGATE_START_TIMEOUT":      "45s",
		"STARGATE_SHUTDOWN_TIMEOUT":   "1m",
		"STARGATE_MAX_INSTANCES":      "12",
		"STARGATE_QUEUE_LENGTH":       "0",
		"STARGATE_QUEUE_TIMEOUT":      "2s",
		"STARGATE_POOL_SIZE":          "0",
		"STARGATE_POOL_PRELOAD":       "json,PIL.Image",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := config.Config{
		Addr:          "127.0.0.1:9000",
		APIKey:        "0123456789abcdef-secret",
		UploadsDir:    "/srv/uploads",
		DataDir:       "/srv/state",
		RedisURL:      "redis://localhost:6379/2",
		LogLevel:      slog.LevelDebug,
		MaxBody:       2048,
		MaxResponse:   4096,
		MaxSourceSize: 8192,
		PythonImage:   "example/py:1",
		GoImage:       "example/go:1",
		GoBuilder:     "example/gob:1",
		CheckerSocket: abs(t, "run/checker.sock"),
		OCIRuntime:    "runsc",
		Namespace:     "sg-test-1",
		DebugAddr:     "localhost:6060",
		InstanceCPUs:  0.5,
		InstancePids:  128,
		StartTimeout:  45 * time.Second,
		DrainTimeout:  time.Minute,
		MaxInstances:  12,
		QueueLength:   0,
		QueueTimeout:  2 * time.Second,
		PoolSize:      0,
		PoolPreload:   "json,PIL.Image",
	}
	if got != want {
		t.Errorf("Load =\n%+v\nwant\n%+v", got, want)
	}
}

func TestLoadAcceptsEdgeValues(t *testing.T) {
	tests := []struct {
		name, value string
	}{
		{"REDIS_URL", "rediss://user:pw@host:6380/0"},
		{"REDIS_URL", "unix:///run/redis.sock"},
		{"STARGATE_LOG_LEVEL", "WARN"},
		{"STARGATE_LOG_LEVEL", "error"},
		{"STARGATE_MAX_BODY_BYTES", "1024"},
		{"STARGATE_MAX_BODY_BYTES", "1073741824"},
		{"STARGATE_MAX_SOURCE_BYTES", "67108864"},
		{"STARGATE_INSTANCE_CPUS", "0.05"},
		{"STARGATE_INSTANCE_CPUS", "64"},
		{"STARGATE_INSTANCE_PIDS", "8"},
		{"STARGATE_INSTANCE_PIDS", "4096"},
		{"STARGATE_START_TIMEOUT", "1h"},
		{"STARGATE_NAMESPACE", strings.Repeat("a", 63)},
		{"STARGATE_API_KEY", strings.Repeat("k", 16)},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			if _, err := config.Load(env(map[string]string{tt.name: tt.value})); err != nil {
				t.Errorf("Load(%s=%q) = %v, want no error", tt.name, tt.value, err)
			}
		})
	}
}

func TestLoadRejectsInvalidValues(t *testing.T) {
	tests := []struct {
		name, value string
	}{
		{"STARGATE_ADDR", "8080"},
		{"STARGATE_ADDR", "localhost"},
		{"STARGATE_API_KEY", "short"},
		{"STARGATE_API_KEY", strings.Repeat("k", 15)},
		{"REDIS_URL", "http://localhost:6379"},
		{"REDIS_URL", "localhost:6379"},
		{"REDIS_URL", "redis://[::1"},
		{"STARGATE_LOG_LEVEL", "loud"},
		{"STARGATE_MAX_BODY_BYTES", "abc"},
		{"STARGATE_MAX_BODY_BYTES", "1023"},
		{"STARGATE_MAX_BODY_BYTES", "1073741825"},
		{"STARGATE_MAX_BODY_BYTES", "-5"},
		{"STARGATE_MAX_BODY_BYTES", "10MiB"},
		{"STARGATE_MAX_RESPONSE_BYTES", "0"},
		{"STARGATE_MAX_RESPONSE_BYTES", "99999999999999999999"},
		{"STARGATE_MAX_SOURCE_BYTES", "100"},
		{"STARGATE_MAX_SOURCE_BYTES", "67108865"},
		{"STARGATE_NAMESPACE", "Upper"},
		{"STARGATE_NAMESPACE", "under_score"},
		{"STARGATE_NAMESPACE", "../escape"},
		{"STARGATE_NAMESPACE", strings.Repeat("a", 64)},
		{"STARGATE_DEBUG_ADDR", "nohost"},
		{"STARGATE_INSTANCE_CPUS", "0"},
		{"STARGATE_INSTANCE_CPUS", "0.01"},
		{"STARGATE_INSTANCE_CPUS", "65"},
		{"STARGATE_INSTANCE_CPUS", "many"},
		{"STARGATE_INSTANCE_CPUS", "Inf"},
		{"STARGATE_INSTANCE_CPUS", "-1"},
		// NaN compares false with everything: it must still be refused.
		{"STARGATE_INSTANCE_CPUS", "NaN"},
		{"STARGATE_MAX_INSTANCES", "0"},
		{"STARGATE_QUEUE_LENGTH", "-1"},
		{"STARGATE_QUEUE_TIMEOUT", "soon"},
		{"STARGATE_POOL_SIZE", "65"},
		{"STARGATE_POOL_PRELOAD", "os;rm -rf /"},
		{"STARGATE_INSTANCE_PIDS", "7"},
		{"STARGATE_INSTANCE_PIDS", "4097"},
		{"STARGATE_INSTANCE_PIDS", "1.5"},
		{"STARGATE_START_TIMEOUT", "0s"},
		{"STARGATE_START_TIMEOUT", "-1s"},
		{"STARGATE_START_TIMEOUT", "2h"},
		{"STARGATE_START_TIMEOUT", "30"},
		{"STARGATE_SHUTDOWN_TIMEOUT", "soon"},
		{"STARGATE_SHUTDOWN_TIMEOUT", "61m"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			_, err := config.Load(env(map[string]string{tt.name: tt.value}))
			if err == nil {
				t.Fatalf("Load(%s=%q) = nil error, want one naming %s", tt.name, tt.value, tt.name)
			}
			if !strings.HasPrefix(err.Error(), tt.name+": ") {
				t.Errorf("Load(%s=%q) = %q, want it to start with %q", tt.name, tt.value, err, tt.name+": ")
			}
		})
	}
}

func TestLoadErrorNeverEchoesAPIKey(t *testing.T) {
	const key = "tooshort-key"
	_, err := config.Load(env(map[string]string{"STARGATE_API_KEY": key}))
	if err == nil {
		t.Fatal("Load with a short key succeeded")
	}
	if strings.Contains(err.Error(), key) {
		t.Errorf("error %q shows the key", err)
	}
}

// The API trims the token a caller presents (api/auth.go), so a key with
// surrounding whitespace (an env file with a trailing space, a key read
// from a file with its newline) could never be presented. Load must trim it
// or refuse it.
func TestLoadAPIKeyWhitespace(t *testing.T) {
	const key = "0123456789abcdef"
	for _, raw := range []string{key + "\n", " " + key, key + " "} {
		got, err := config.Load(env(map[string]string{"STARGATE_API_KEY": raw}))
		if err != nil {
			continue // refusing it is fine
		}
		if got.APIKey != key {
			t.Errorf("Load(STARGATE_API_KEY=%q).APIKey = %q, want %q or an error", raw, got.APIKey, key)
		}
	}
}

func TestLoadFirstErrorWins(t *testing.T) {
	_, err := config.Load(env(map[string]string{
		"STARGATE_ADDR":          "bad",
		"STARGATE_INSTANCE_PIDS": "1",
	}))
	if err == nil || !strings.HasPrefix(err.Error(), "STARGATE_ADDR: ") {
		t.Errorf("Load = %v, want the first bad variable named", err)
	}
}
