// Package integration drives the whole platform as users do: the real
// stargate binary, the real Docker engine and checker container, Redis in a
// container (testcontainers-go) or the embedded store, and real HTTP.
package integration

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
)

const (
	runtimeImage = "stargate/python-runtime:dev"
	testKey      = "integration-test-key-0123456789"
)

var stargateBin string

func TestMain(m *testing.M) {
	// The reaper image cannot be pulled; every test cleans up after itself.
	os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	dir, err := os.MkdirTemp("", "stargate-it-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	stargateBin = filepath.Join(dir, "stargate")
	build := exec.Command("go", "build", "-o", stargateBin, "../cmd/stargate")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build stargate:", err)
		os.Exit(1)
	}
	if out, err := exec.Command("docker", "image", "inspect", "-f", "{{.Id}}", runtimeImage).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "image %s is missing (run `make images`): %s\n", runtimeImage, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Options configure one API process.
type Options struct {
	RedisURL string
	NoKey    bool
	Env      map[string]string
	// Dirs reuses the folders (and namespace) of an earlier API, to restart it.
	Dirs *API
	// Pool keeps pre-warmed instances (STARGATE_POOL_SIZE); 0 starts every
	// instance cold, which keeps container counts simple to assert.
	Pool int
}

// API is one running stargate process.
type API struct {
	t         *testing.T
	URL       string
	Addr      string
	Uploads   string
	Data      string
	Namespace string
	opts      Options
	cmd       *exec.Cmd
	done      chan struct{}
	logs      *syncBuffer
}

// StartAPI starts stargate and waits until /health answers 200. The process
// and every container of its namespace are removed when the test ends.
func StartAPI(t *testing.T, opts Options) *API {
	t.Helper()
	a := &API{t: t, opts: opts, logs: &syncBuffer{}}
	if opts.Dirs != nil {
		a.Uploads, a.Data, a.Namespace = opts.Dirs.Uploads, opts.Dirs.Data, opts.Dirs.Namespace
	} else {
		root := t.TempDir()
		a.Uploads = filepath.Join(root, "uploads")
		a.Data = filepath.Join(root, "state")
		a.Namespace = "it-" + randomHex(5)
		if err := os.MkdirAll(filepath.Join(a.Uploads, "results"), 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			removeNamespace(t, a.Namespace)
			unmountUnder(a.Data) // a killed API leaves its slot mounts
		})
	}
	a.Addr = freeAddr(t)
	a.URL = "http://" + a.Addr
	env := append(os.Environ(),
		"STARGATE_ADDR="+a.Addr,
		"UPLOADS_DIR="+a.Uploads,
		"STARGATE_DATA_DIR="+a.Data,
		"STARGATE_NAMESPACE="+a.Namespace,
		"STARGATE_LOG_LEVEL=debug",
	)
	env = filterEnv(env, "STARGATE_API_KEY", "REDIS_URL", "STARGATE_POOL_SIZE")
	env = append(env, fmt.Sprintf("STARGATE_POOL_SIZE=%d", opts.Pool))
	if !opts.NoKey {
		env = append(env, "STARGATE_API_KEY="+testKey)
	}
	if opts.RedisURL != "" {
		env = append(env, "REDIS_URL="+opts.RedisURL)
	}
	for k, v := range opts.Env {
		env = append(env, k+"="+v)
	}
	a.cmd = exec.Command(stargateBin)
	a.cmd.Env = env
	a.cmd.Stdout, a.cmd.Stderr = a.logs, a.logs
	if err := a.cmd.Start(); err != nil {
		t.Fatalf("start stargate: %v", err)
	}
	a.done = make(chan struct{})
	go func() { _ = a.cmd.Wait(); close(a.done) }()
	t.Cleanup(func() {
		a.Stop()
		if t.Failed() {
			t.Logf("stargate log (%s):\n%s", a.Addr, a.logs.String())
		}
	})
	a.WaitHealthy(90 * time.Second)
	return a
}

// WaitHealthy waits for /health to answer 200.
func (a *API) WaitHealthy(within time.Duration) {
	a.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		select {
		case <-a.done:
			a.t.Fatalf("stargate exited while starting:\n%s", a.logs.String())
		default:
		}
		resp, err := http.Get(a.URL + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	a.t.Fatalf("stargate not healthy within %s:\n%s", within, a.logs.String())
}

// Stop sends SIGTERM and waits for the process to exit.
func (a *API) Stop() { a.signal(syscall.SIGTERM, 60*time.Second) }

// Kill sends SIGKILL, as a crash would.
func (a *API) Kill() { a.signal(syscall.SIGKILL, 10*time.Second) }

func (a *API) signal(sig syscall.Signal, wait time.Duration) {
	select {
	case <-a.done:
		return
	default:
	}
	_ = a.cmd.Process.Signal(sig)
	select {
	case <-a.done:
	case <-time.After(wait):
		_ = a.cmd.Process.Kill()
		<-a.done
		a.t.Errorf("stargate did not exit within %s of %s", wait, sig)
	}
}

// Exited reports whether the process has exited.
func (a *API) Exited() bool {
	select {
	case <-a.done:
		return true
	default:
		return false
	}
}

// Logs returns what the process printed so far.
func (a *API) Logs() string { return a.logs.String() }

// Restart starts a new process on the same folders and namespace.
func (a *API) Restart() *API {
	opts := a.opts
	opts.Dirs = a
	return StartAPI(a.t, opts)
}

// Sandbox writes files into UPLOADS_DIR/results/<hash>/.
func (a *API) Sandbox(hash string, files map[string]string) string {
	a.t.Helper()
	dir := filepath.Join(a.Uploads, "results", hash)
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			a.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			a.t.Fatal(err)
		}
	}
	return dir
}

// Response is an HTTP answer with its JSON decoded when it is JSON.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any
}

func (r Response) String() string { return fmt.Sprintf("%d %s", r.Status, r.Body) }

// Str reads a top-level string field.
func (r Response) Str(key string) string {
	s, _ := r.JSON[key].(string)
	return s
}

var httpClient = &http.Client{Timeout: 120 * time.Second}

// Do sends a request. body may be nil, a string or []byte (sent as is), or
// anything else (sent as JSON). key "" sends no Authorization header.
func (a *API) Do(method, path string, body any, key string) Response {
	a.t.Helper()
	h := http.Header{}
	if key != "" {
		h.Set("Authorization", "Bearer "+key)
	}
	return a.DoRequest(Request{Method: method, Path: path, Body: body, Header: h})
}

// Request is what DoRequest sends: Do's request, with headers of the test's
// choosing and, optionally, another loopback source address.
type Request struct {
	Method string
	Path   string
	Body   any // as for Do
	Header http.Header
	// From is a loopback address such as 127.0.0.7 to send from; empty
	// sends from 127.0.0.1. The API throttles an address whose keys keep
	// failing, so tests of wrong keys spread them over addresses.
	From string
}

// DoRequest sends r and returns the answer.
func (a *API) DoRequest(r Request) Response {
	a.t.Helper()
	var rd io.Reader
	switch b := r.Body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			a.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(r.Method, a.URL+r.Path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range r.Header {
		req.Header[k] = vs
	}
	cli := httpClient
	if r.From != "" {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(r.From)}}
		cli = &http.Client{Timeout: httpClient.Timeout, Transport: &http.Transport{DialContext: d.DialContext}}
		defer cli.CloseIdleConnections()
	}
	resp, err := cli.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", r.Method, r.Path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatalf("%s %s: read: %v", r.Method, r.Path, err)
	}
	out := Response{Status: resp.StatusCode, Header: resp.Header, Body: data}
	_ = json.Unmarshal(data, &out.JSON)
	return out
}

// Load loads a function with the test key and fails the test unless it
// answers 200.
func (a *API) Load(body map[string]any) Response {
	a.t.Helper()
	r := a.Do("POST", "/self-improve/load", body, testKey)
	if r.Status != http.StatusOK {
		a.t.Fatalf("load %v: %s", body, r)
	}
	return r
}

// Call calls a loaded function and returns the answer.
func (a *API) Call(method, path string, body any) Response {
	a.t.Helper()
	return a.Do(method, path, body, "")
}

// expect fails the test unless r has the status and, for errors, the code.
func expect(t *testing.T, r Response, status int, code string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("want %d %s, got %s", status, code, r)
	}
	if code != "" && r.Str("code") != code {
		t.Fatalf("want code %q, got %s", code, r)
	}
	if status >= 400 && r.Str("status") != "error" {
		t.Fatalf("error answer not in the error shape: %s", r)
	}
}

// dockerClient talks to the engine the platform uses.
func dockerClient(t *testing.T) *client.Client {
	t.Helper()
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// containers lists the containers of a namespace with the given role.
func containers(t *testing.T, ns, role string) []container.Summary {
	t.Helper()
	cli := dockerClient(t)
	args := filters.NewArgs(filters.Arg("label", "io.stargate.namespace="+ns))
	if role != "" {
		args.Add("label", "io.stargate.role="+role)
	}
	list, err := cli.ContainerList(context.Background(), container.ListOptions{All: true, Filters: args})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// removeNamespace removes whatever a test's platform left behind.
func removeNamespace(t *testing.T, ns string) {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return
	}
	defer cli.Close()
	ctx := context.Background()
	args := filters.NewArgs(filters.Arg("label", "io.stargate.namespace="+ns))
	list, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: args})
	if err != nil {
		return
	}
	for _, c := range list {
		_ = cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true})
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func filterEnv(env []string, drop ...string) []string {
	out := env[:0:0]
	for _, kv := range env {
		keep := true
		for _, d := range drop {
			if strings.HasPrefix(kv, d+"=") {
				keep = false
			}
		}
		if keep {
			out = append(out, kv)
		}
	}
	return out
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// unmountUnder lazily unmounts every mount below dir, deepest first.
func unmountUnder(dir string) {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return
	}
	var mounts []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && (f[4] == dir || strings.HasPrefix(f[4], dir+"/")) {
			mounts = append(mounts, f[4])
		}
	}
	for i := len(mounts) - 1; i >= 0; i-- {
		_ = syscall.Unmount(mounts[i], syscall.MNT_DETACH)
	}
}
