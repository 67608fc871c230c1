package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"stargate/platform"
	"stargate/platform/controller"
	"stargate/platform/docker"
	"stargate/platform/gateway"
	"stargate/platform/sandbox"
	"stargate/platform/sockdir"
)

// The confinement tests start a hostile probe (testdata/probes/probe.py,
// which the checker would reject) with the platform's own instance spec
// (controller.PythonInstance) on the real Docker runtime, and ask it from
// inside what the wall lets through. Nothing here goes through the API: the
// container must hold even when the checker has been fooled.

// Limits of a probe: the platform's defaults.
const (
	probeMemoryMB = 128
	probeNanoCPUs = 1_000_000_000
	probePids     = 64
)

// confineEnv is one test's corner of the engine: a namespace (every
// container it starts carries its label and is removed at the end) and a
// root folder laid out like the platform's data and uploads folders.
type confineEnv struct {
	rt   *docker.Runtime
	ns   string
	root string
}

func newConfineEnv(t *testing.T) *confineEnv {
	t.Helper()
	return newConfineEnvRuntime(t, "")
}

// newConfineEnvRuntime is newConfineEnv with an OCI runtime other than the
// engine's default ("" for the default).
func newConfineEnvRuntime(t *testing.T, ociRuntime string) *confineEnv {
	t.Helper()
	ns := "confine-" + randomHex(5)
	rt, err := docker.New(docker.Options{Namespace: ns, OCIRuntime: ociRuntime})
	if err != nil {
		t.Fatal(err)
	}
	e := &confineEnv{rt: rt, ns: ns, root: t.TempDir()}
	t.Cleanup(func() {
		removeNamespace(t, ns)
		rt.Close()
		// Folders the platform locks (0555) must be opened to be removed by
		// a user other than root.
		_ = filepath.WalkDir(e.root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				_ = os.Chmod(p, 0o755)
			}
			return nil
		})
	})
	return e
}

// sandbox creates UPLOADS_DIR/results/<hash>/ with files, as an agent would.
func (e *confineEnv) sandbox(t *testing.T, hash string, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(e.root, "uploads", "results", hash)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// probe is one running probe instance.
type probe struct {
	t       *testing.T
	inst    platform.Instance
	sandbox string // on the host
	client  *http.Client
}

// probeResult is a probe's answer: {"ok": ..., "errno": ..., ...}.
type probeResult map[string]any

func (r probeResult) ok() bool { v, _ := r["ok"].(bool); return v }

func (r probeResult) str(key string) string { s, _ := r[key].(string); return s }

func (r probeResult) num(key string) int { f, _ := r[key].(float64); return int(f) }

func (r probeResult) sub(key string) probeResult { m, _ := r[key].(map[string]any); return m }

func (r probeResult) String() string { b, _ := json.Marshal(r); return string(b) }

// start starts a probe serving from sandbox hash for t, the way the controller
// starts an instance: code written read-only, socket folder prepared, the
// instance started from PythonInstance, the socket folder locked before the
// module is imported, then /_stargate/ready.
func (e *confineEnv) start(t *testing.T, hash string) (*probe, error) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "probes", "probe.py"))
	if err != nil {
		t.Fatal(err)
	}
	sandbox := filepath.Join(e.root, "uploads", "results", hash)
	if _, err := os.Stat(sandbox); err != nil {
		sandbox = e.sandbox(t, hash, map[string]string{"probe.py": string(src)})
	}
	fn := &platform.Function{
		Hash: hash, Name: "probe", Module: "probe", Language: platform.LanguagePython,
		Type: platform.TypeScan, TimeoutSeconds: 60, MemoryMB: probeMemoryMB,
		Files: platform.Files{"probe.py": src},
	}
	fn.Revision = fn.Files.Digest()
	codeDir := filepath.Join(e.root, "state", "code", hash, fn.Revision[:16]+"-"+randomHex(3))
	writeCode(t, codeDir, fn.Files)
	sockDir := filepath.Join(e.root, "state", "run", randomHex(8))
	if err := sockdir.Prepare(sockDir); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	spec := controller.PythonInstance(runtimeImage, fn, controller.InstanceDirs{
		Socket: sockDir, Code: codeDir, Sandbox: sandbox,
	}, probeNanoCPUs, probePids)
	spec.SandboxID = e.sandboxID(t, hash)
	inst, err := e.rt.Start(ctx, spec)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = e.rt.Stop(ctx, inst.ID)
	})
	alive := func(ctx context.Context) error {
		st, err := e.rt.State(ctx, inst.ID)
		if err == nil && !st.Running {
			return fmt.Errorf("probe exited while starting: %+v", st)
		}
		return err
	}
	if err := sockdir.WaitAndLock(ctx, sockDir, gateway.SocketName, alive); err != nil {
		return nil, err
	}
	sock := filepath.Join(sockDir, gateway.SocketName)
	p := &probe{t: t, inst: inst, sandbox: sandbox, client: &http.Client{
		Timeout: 90 * time.Second,
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}},
	}}
	t.Cleanup(p.client.CloseIdleConnections)
	ready, err := p.get("/_stargate/ready")
	if err != nil {
		return nil, fmt.Errorf("ready: %w", err)
	}
	if !ready.ok() {
		return nil, fmt.Errorf("ready: %s", ready)
	}
	return p, nil
}

// sandboxID is the identity of the sandbox hash, checked as the controller
// checks it.
func (e *confineEnv) sandboxID(t *testing.T, hash string) platform.FileID {
	t.Helper()
	sb, err := sandbox.NewDir(filepath.Join(e.root, "uploads", "results")).Open(hash)
	if err != nil {
		t.Fatal(err)
	}
	return sb.ID
}

// mustStart is start, failing the test on error.
func (e *confineEnv) mustStart(t *testing.T, hash string) *probe {
	t.Helper()
	p, err := e.start(t, hash)
	if err != nil {
		t.Fatalf("start probe %s: %v", hash, err)
	}
	return p
}

// writeCode writes files like the controller does: files 0444, folders 0555.
func writeCode(t *testing.T, dir string, files platform.Files) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o444); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
}

// on returns the probe reporting to t (a subtest's), since only the
// goroutine running a test may end it.
func (p *probe) on(t *testing.T) *probe {
	q := *p
	q.t = t
	return &q
}

func (p *probe) get(path string) (probeResult, error) {
	resp, err := p.client.Get("http://probe" + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var out probeResult
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("%d %s: %w", resp.StatusCode, body, err)
	}
	if resp.StatusCode != http.StatusOK && path != "/_stargate/ready" {
		return nil, fmt.Errorf("%d %s", resp.StatusCode, body)
	}
	return out, nil
}

// try runs one check in the probe; the error is the transport's or the
// runner's (the probe itself answers every failure as a result).
func (p *probe) try(check, arg string) (probeResult, error) {
	return p.get("/invoke?" + url.Values{"check": {check}, "arg": {arg}}.Encode())
}

// run is try, failing the test on error.
func (p *probe) run(check, arg string) probeResult {
	p.t.Helper()
	r, err := p.try(check, arg)
	if err != nil {
		p.t.Fatalf("probe %s(%q): %v", check, arg, err)
	}
	return r
}

// refused fails t unless the attempt r failed.
func refused(t *testing.T, what string, r probeResult) {
	t.Helper()
	if r.ok() {
		t.Errorf("BREACH: %s succeeded from inside the instance: %s", what, r)
		return
	}
	t.Logf("%s refused: %s", what, r.str("error"))
}

// alive fails t unless the probe still answers.
func (p *probe) alive(t *testing.T) {
	t.Helper()
	r, err := p.try("ping", "")
	if err != nil || !r.ok() {
		t.Fatalf("the probe no longer answers: %v %s", err, r)
	}
}

// PID is the stargate process's id.
func (a *API) PID() int { return a.cmd.Process.Pid }

// RSS reads the stargate process's resident set size from /proc.
func (a *API) RSS() int64 {
	a.t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", a.PID()))
	if err != nil {
		a.t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				a.t.Fatal(err)
			}
			return kb << 10
		}
	}
	a.t.Fatal(errors.New("no VmRSS in /proc status"))
	return 0
}

func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
