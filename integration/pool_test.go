package integration

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The pool: pre-warmed generic instances a load (or a call to a function
// scaled to zero) takes instead of starting a container. The function's
// code and sandbox are mounted read-only into the instance's slot; an
// instance serves one function for its whole life.

// pixelModule reads the PNG its sandbox holds; fn names the function so
// that several sandboxes do not claim the same short path.
func pixelModule(fn string) string {
	return fmt.Sprintf(`from PIL import Image


def %s(name: str = "pixel.png"):
    with Image.open(name) as im:
        return {"size": list(im.size), "first": list(im.getpixel((0, 0)))}
`, fn)
}

// poolView is what the engine and the host say about a namespace's
// pre-warmed instances: those handed to a function (their slot has the
// function's code mounted) and the others, of which ready ones listen.
type poolView struct {
	assigned, spare []string
	ready           int
}

func (v poolView) String() string {
	return fmt.Sprintf("%d assigned, %d spare (%d listening)", len(v.assigned), len(v.spare), v.ready)
}

func viewPool(t *testing.T, api *API) poolView {
	t.Helper()
	mounts := hostMounts(t)
	var v poolView
	for _, c := range containers(t, api.Namespace, "pool") {
		if c.State != "running" {
			continue
		}
		if slot := c.Labels["io.stargate.slot-dir"]; slot != "" && mounts[filepath.Join(slot, "code")] {
			v.assigned = append(v.assigned, c.ID)
			continue
		}
		v.spare = append(v.spare, c.ID)
		if _, err := os.Stat(filepath.Join(c.Labels["io.stargate.socket-dir"], "fn.sock")); err == nil {
			v.ready++
		}
	}
	return v
}

// hostMounts returns the mount points of this process's mount namespace,
// the one the API mounts slots in.
func hostMounts(t *testing.T) map[string]bool {
	t.Helper()
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 4 {
			out[f[4]] = true
		}
	}
	return out
}

// waitSpares waits until n spare pre-warmed instances listen.
func waitSpares(t *testing.T, api *API, n int) time.Duration {
	t.Helper()
	return eventually(t, 30*time.Second, fmt.Sprintf("%d spare pre-warmed instances", n), func() (bool, string) {
		v := viewPool(t, api)
		return len(v.spare) == n && v.ready == n, v.String()
	})
}

// mountOptions returns the options of the mounts at the given points, as
// a container sees them.
func mountOptions(t *testing.T, id string, points ...string) map[string]string {
	t.Helper()
	out, err := exec.Command("docker", "exec", id, "cat", "/proc/self/mountinfo").CombinedOutput()
	if err != nil {
		t.Fatalf("docker exec %.12s: %v: %s", id, err, out)
	}
	opts := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 5 && slices.Contains(points, f[4]) {
			opts[f[4]] = f[5]
		}
	}
	return opts
}

func TestPoolHandOut(t *testing.T) {
	api := StartAPI(t, Options{Pool: 2})
	if n := len(containers(t, api.Namespace, "pool")); n > 2 {
		t.Fatalf("%d pool containers at /health 200, want at most 2", n)
	}
	took := waitSpares(t, api, 2)
	t.Logf("2 pre-warmed instances listening %v after /health answered 200", took.Round(10*time.Millisecond))

	// A load is served by a pre-warmed instance; the pool makes another.
	api.Sandbox("pool00", map[string]string{"pixels.py": pixelModule("pixel_size"), "pixel.png": tinyPNG(t)})
	api.Load(loadReq("pool00", "pixel_size", "pixels", "scan"))
	r := api.Call("GET", "/improved/scan/pixel_size", nil)
	expect(t, r, http.StatusOK, "")
	if fmt.Sprint(r.JSON["size"]) != "[3 2]" || fmt.Sprint(r.JSON["first"]) != "[255 0 0 255]" {
		t.Errorf("the function read its sandbox's PNG wrong: %s", r)
	}
	if n := len(containers(t, api.Namespace, "function")); n != 0 {
		t.Errorf("%d cold-started containers; the load should have taken a pre-warmed one", n)
	}
	var v poolView
	eventually(t, 30*time.Second, "pool refilled after the hand-out", func() (bool, string) {
		v = viewPool(t, api)
		all := len(containers(t, api.Namespace, "pool"))
		return len(v.assigned) == 1 && len(v.spare) == 2 && v.ready == 2 && all == 3, fmt.Sprintf("%s, %d pool containers", v, all)
	})
	born := v.assigned[0]
	item := statusItem(t, api, "pixel_size")
	if num(item, "instances") != 1 {
		t.Errorf("status instances %v, want 1", item["instances"])
	}

	// The wall stays whole: code and sandbox are read-only inside.
	opts := mountOptions(t, born, "/slot/code", "/slot/sandbox")
	for _, p := range []string{"/slot/code", "/slot/sandbox"} {
		o, ok := opts[p]
		if !ok {
			t.Errorf("%s is not mounted in the pool-born instance", p)
		} else if !slices.Contains(strings.Split(o, ","), "ro") {
			t.Errorf("%s is mounted %q inside the instance, want ro", p, o)
		}
	}

	// A function with another memory limit gets its own cold container.
	api.Sandbox("pool99", map[string]string{"pixels.py": pixelModule("big_size"), "pixel.png": tinyPNG(t)})
	big := loadReq("pool99", "big_size", "pixels", "scan")
	big["memory_mb"] = 256
	start := time.Now()
	api.Load(big)
	expect(t, api.Call("GET", "/improved/scan/big_size", nil), http.StatusOK, "")
	cold := time.Since(start)
	if n := len(containers(t, api.Namespace, "function")); n != 1 {
		t.Errorf("memory_mb 256: %d containers of role function, want 1", n)
	}
	if v := viewPool(t, api); len(v.assigned) != 1 {
		t.Errorf("memory_mb 256 was served from the pool: %s", v)
	}

	// Unload removes the pool-born container; it serves nobody else.
	expect(t, api.Do("DELETE", "/self-improve/unload/pool00/pixel_size", nil, testKey), http.StatusOK, "")
	eventually(t, 10*time.Second, "pool-born container removed at unload", func() (bool, string) {
		for _, c := range containers(t, api.Namespace, "pool") {
			if c.ID == born {
				return false, fmt.Sprintf("%.12s is %s", born, c.State)
			}
		}
		return true, ""
	})
	t.Logf("cold load + first call (memory_mb 256, not pooled): %v", cold.Round(time.Millisecond))
}

// Load -> first response with a pre-warmed instance ready, over 5 loads of
// different sandboxes.
func TestPoolLoadLatency(t *testing.T) {
	api := StartAPI(t, Options{Pool: 2})
	const loads = 5
	var took []time.Duration
	for i := range loads {
		hash, fn := fmt.Sprintf("poolat%02d", i), fmt.Sprintf("size_%d", i)
		api.Sandbox(hash, map[string]string{"pixels.py": pixelModule(fn), "pixel.png": tinyPNG(t)})
		waitSpares(t, api, 2)
		start := time.Now()
		api.Load(loadReq(hash, fn, "pixels", "scan"))
		r := api.Call("GET", "/improved/scan/"+fn, nil)
		took = append(took, time.Since(start))
		expect(t, r, http.StatusOK, "")
		if fmt.Sprint(r.JSON["size"]) != "[3 2]" {
			t.Errorf("%s: %s", fn, r)
		}
	}
	if n := len(containers(t, api.Namespace, "function")); n != 0 {
		t.Errorf("%d cold starts, want every load served from the pool", n)
	}
	sorted := slices.Clone(took)
	slices.Sort(sorted)
	p50 := sorted[loads/2]
	t.Logf("load + first call from the pool: p50 %v, min %v, max %v (all: %v)",
		p50.Round(time.Millisecond), sorted[0].Round(time.Millisecond), sorted[loads-1].Round(time.Millisecond), took)
	if p50 >= time.Second {
		t.Errorf("load + first call p50 %v, want < 1s", p50)
	}
}
