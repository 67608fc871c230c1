package golang

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stargate/platform"
	"stargate/platform/sandbox"
)

// answer is one response of a function instance.
type answer struct {
	Status int
	Raw    string
	Doc    map[string]any
}

// call sends raw requests on one connection, written at once (pipelined),
// and reads as many answers.
func call(t *testing.T, sock string, requests ...string) []answer {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.Write([]byte(strings.Join(requests, ""))); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	out := make([]answer, len(requests))
	for i := range requests {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("answer %d: %v", i, err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		out[i] = answer{Status: resp.StatusCode, Raw: string(raw)}
		_ = json.Unmarshal(raw, &out[i].Doc)
	}
	return out
}

func get(target string) string {
	return "GET " + target + " HTTP/1.1\r\nHost: fn\r\n\r\n"
}

func post(target, body string) string {
	return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: fn\r\nContent-Length: %d\r\n\r\n%s", target, len(body), body)
}

// exercise calls an instance serving testdata/textstats.go's Analyze and
// checks every kind of answer; the host-built and the container-built
// binaries must answer the same.
func exercise(t *testing.T, sock string) {
	t.Helper()
	checks := []struct {
		name   string
		req    string
		status int
		want   string
	}{
		{"ready", get("/_stargate/ready"), 200, `"function":"Analyze"`},
		{"query", get("/invoke?text=a+b+b+c+c+c&opts=%7B%22top%22%3A2%7D"), 200, `"top":[{"word":"c","count":3},{"word":"b","count":2}]`},
		{"query list", get("/invoke?text=a+b+b&stop=b&stop=x"), 200, `"words":1,"unique":1`},
		{"json", post("/invoke", `{"text":"The the THE cat","opts":{"lower":true,"top":1,"min_len":"2"},"stop":["cat"]}`), 200,
			`"words":3,"unique":1,"top":[{"word":"the","count":3}]`},
		{"json case-insensitive field", post("/invoke", `{"text":"aa b","opts":{"MIN_LEN":2,"Top":5}}`), 200, `"words":1`},
		{"missing", get("/invoke?opts=%7B%7D"), 422, `{"parameter":"text","error":"missing"}`},
		{"unconvertible", post("/invoke", `{"text":5,"opts":{"top":"many"},"stop":"x"}`), 422,
			`[{"parameter":"text","error":"expected a string, got 5"},{"parameter":"opts","error":"top: expected an integer, got 'many'"},{"parameter":"stop","error":"expected a list, got 'x'"}]`},
		{"not an object", post("/invoke", `[1,2]`), 422, `"parameter":"(body)"`},
		{"bad json", post("/invoke", `{"text":`), 400, `"code":"invalid_json"`},
		{"error", get("/invoke?text=+"), 500, `"code":"function_error","message":"text is empty"`},
		{"wrapped error", post("/invoke", `{"text":"x","opts":{"mode":"fail"}}`), 500, `mode \"fail\" asked to fail`},
		{"panic", post("/invoke", `{"text":"xyz","opts":{"mode":"panic"}}`), 500, `"message":"panic: runtime error: index out of range [3] with length 0"`},
		{"panic traceback", post("/invoke", `{"text":"xyz","opts":{"mode":"panic"}}`), 500, `"traceback":[{"file":"textstats.go","line":55,"function":"Analyze"}]`},
		{"still serving", get("/invoke?text=ok"), 200, `"words":1`},
		{"no route", get("/nope"), 404, `"code":"not_found"`},
	}
	for _, c := range checks {
		a := call(t, sock, c.req)[0]
		if a.Status != c.status || !strings.Contains(a.Raw, c.want) {
			t.Errorf("%s: %d %s\nwant %d with %s", c.name, a.Status, a.Raw, c.status, c.want)
		}
	}
	// Pipelined: 30 calls in one write, failures among them, answered in order.
	var reqs []string
	for i := range 30 {
		switch i % 10 {
		case 4:
			reqs = append(reqs, post("/invoke", `{"text":"x","opts":{"mode":"panic"}}`))
		case 8:
			reqs = append(reqs, get("/invoke?text=%20"))
		default:
			reqs = append(reqs, get(fmt.Sprintf("/invoke?text=%s", strings.Repeat("w+", i+1))))
		}
	}
	for i, a := range call(t, sock, reqs...) {
		switch i % 10 {
		case 4, 8:
			if a.Status != 500 {
				t.Errorf("pipelined %d: %d %s", i, a.Status, a.Raw)
			}
		default:
			if a.Status != 200 || a.Doc["words"] != float64(i+1) {
				t.Errorf("pipelined %d out of order: %d %s", i, a.Status, a.Raw)
			}
		}
	}
}

// readTestdata returns a file of testdata.
func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeTree writes a generated module to dir.
func writeTree(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// hostGo runs the host's go command in dir, as the builder would: no
// network, no toolchain switch, no cgo.
func hostGo(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on this host")
	}
	cmd := exec.Command(goBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOPROXY=off", "GOTOOLCHAIN=local", "GOWORK=off", "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// shortTempDir returns a folder whose path fits a unix socket name.
func shortTempDir(t *testing.T, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = os.Chmod(dir, 0o755)
		_ = os.RemoveAll(dir)
	})
	return dir
}

// dirID is dir's identity, as the controller records it for a sandbox.
func dirID(t *testing.T, dir string) platform.FileID {
	t.Helper()
	fi, err := os.Lstat(dir)
	if err != nil {
		t.Fatal(err)
	}
	return sandbox.FileID(fi)
}
