package integration

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The wall: what the engine says about a function's container, and what the
// function sees from inside it.

const wallModule = `from PIL import Image


def image_info(name: str = "pixel.png"):
    with Image.open(name) as im:
        return {"size": list(im.size), "mode": im.mode, "first": list(im.getpixel((0, 0))),
                "last": list(im.getpixel((im.width - 1, im.height - 1)))}


def write_sandbox():
    Image.new("RGB", (1, 1)).save("copy.png")
    return "written"


def write_tmp():
    Image.new("L", (3, 2), 7).save("/tmp/scratch.png")
    with Image.open("/tmp/scratch.png") as im:
        return {"size": list(im.size), "value": im.getpixel((0, 0))}
`

// tinyPNG is a 3x2 image whose corners tell whether it was read right.
func tinyPNG(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 3, 2))
	img.Set(0, 0, color.RGBA{R: 255, G: 0, B: 0, A: 255})
	img.Set(2, 1, color.RGBA{R: 0, G: 0, B: 255, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestWallContainer(t *testing.T) {
	t.Parallel()
	api := StartAPI(t, Options{})
	const hash = "wall01"
	sandbox := api.Sandbox(hash, map[string]string{"walls.py": wallModule, "pixel.png": tinyPNG(t)})
	req := loadReq(hash, "image_info", "walls", "scan")
	req["memory_mb"] = 96
	loaded := api.Load(req)

	list := containers(t, api.Namespace, "function")
	if len(list) != 1 {
		t.Fatalf("want one function container, got %d", len(list))
	}
	info, err := dockerClient(t).ContainerInspect(context.Background(), list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	hc, cfg := info.HostConfig, info.Config
	if hc.NetworkMode != "none" || !cfg.NetworkDisabled {
		t.Errorf("network: mode %q, disabled %v", hc.NetworkMode, cfg.NetworkDisabled)
	}
	if !hc.ReadonlyRootfs {
		t.Error("the root filesystem is writable")
	}
	if cfg.User != "65534:65534" {
		t.Errorf("user %q, want 65534:65534", cfg.User)
	}
	if !slices.Contains(hc.CapDrop, "ALL") || len(hc.CapAdd) != 0 {
		t.Errorf("capabilities: drop %v, add %v", hc.CapDrop, hc.CapAdd)
	}
	if !slices.ContainsFunc(hc.SecurityOpt, func(s string) bool { return strings.HasPrefix(s, "no-new-privileges") }) {
		t.Errorf("security options %v lack no-new-privileges", hc.SecurityOpt)
	}
	if hc.Privileged {
		t.Error("the container is privileged")
	}
	if hc.PidsLimit == nil || *hc.PidsLimit <= 0 {
		t.Errorf("pids limit %v", hc.PidsLimit)
	}
	if hc.Memory != 96<<20 || hc.MemorySwap != hc.Memory {
		t.Errorf("memory %d, swap %d, want both %d", hc.Memory, hc.MemorySwap, 96<<20)
	}
	if hc.NanoCPUs <= 0 {
		t.Errorf("NanoCPUs %d", hc.NanoCPUs)
	}
	if opts, ok := hc.Tmpfs["/tmp"]; !ok || !strings.Contains(opts, "size=") {
		t.Errorf("tmpfs: %v", hc.Tmpfs)
	}
	if cfg.WorkingDir != "/sandbox" {
		t.Errorf("working directory %q, want /sandbox", cfg.WorkingDir)
	}

	realSandbox, err := filepath.EvalSymlinks(sandbox)
	if err != nil {
		t.Fatal(err)
	}
	mounts := map[string]struct {
		source string
		rw     bool
	}{}
	for _, m := range info.Mounts {
		mounts[m.Destination] = struct {
			source string
			rw     bool
		}{m.Source, m.RW}
	}
	if m, ok := mounts["/sandbox"]; !ok || m.rw || m.source != realSandbox {
		t.Errorf("/sandbox mount: %+v (want read-only from %s)", m, realSandbox)
	}
	if m, ok := mounts["/code"]; !ok || m.rw || !strings.HasPrefix(m.source, api.Data) {
		t.Errorf("/code mount: %+v (want read-only from under %s)", m, api.Data)
	}
	for dst, m := range mounts {
		if m.rw && dst != "/run/stargate" {
			t.Errorf("writable mount %s from %s", dst, m.source)
		}
	}

	labels := cfg.Labels
	for k, want := range map[string]string{
		"io.stargate.platform": "stargate",
		"io.stargate.hash":     hash,
		"io.stargate.function": "image_info",
		"io.stargate.revision": loaded.Str("revision"),
		"io.stargate.role":     "function",
	} {
		if labels[k] != want || want == "" {
			t.Errorf("label %s = %q, want %q", k, labels[k], want)
		}
	}

	for _, kv := range cfg.Env {
		name, value, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "STARGATE_") || strings.HasPrefix(name, "REDIS_") ||
			name == "UPLOADS_DIR" || strings.Contains(value, testKey) {
			t.Errorf("the container's environment carries %s", kv)
		}
	}
	if strings.Contains(strings.Join(cfg.Cmd, " "), testKey) || strings.Contains(strings.Join(cfg.Entrypoint, " "), testKey) {
		t.Error("the container's command line carries the API key")
	}
}

func TestWallFromInside(t *testing.T) {
	t.Parallel()
	api := StartAPI(t, Options{})
	const hash = "wall02"
	pngData := tinyPNG(t)
	api.Sandbox(hash, map[string]string{"walls.py": wallModule, "pixel.png": pngData, "img/nested.png": pngData})
	// A neighbour's file, next to the sandbox on the host.
	neighbour := api.Sandbox("wall03", map[string]string{"secret.png": pngData})
	for _, fn := range []string{"image_info", "write_sandbox", "write_tmp"} {
		api.Load(loadReq(hash, fn, "walls", "scan"))
	}

	// The sandbox is the working directory, and readable.
	want := `{"size":[3,2],"mode":"RGBA","first":[255,0,0,255],"last":[0,0,255,255]}`
	for _, name := range []string{"pixel.png", "img/nested.png", "/sandbox/pixel.png", "./img/../pixel.png"} {
		r := api.Call("GET", "/improved/scan/image_info?name="+name, nil)
		expect(t, r, http.StatusOK, "")
		if string(r.Body) != want {
			t.Errorf("image_info(%s) = %s, want %s", name, r.Body, want)
		}
	}
	// Nothing next to it is: not by a relative path, not by the host path.
	for _, name := range []string{"../wall03/secret.png", filepath.Join(neighbour, "secret.png")} {
		r := api.Call("GET", "/improved/scan/image_info?name="+name, nil)
		expect(t, r, http.StatusInternalServerError, "function_error")
		if !strings.HasPrefix(r.Str("message"), "FileNotFoundError") {
			t.Errorf("image_info(%s): %s", name, r)
		}
	}
	// The sandbox is read-only; /tmp is a writable scratch space.
	r := api.Call("GET", "/improved/scan/write_sandbox", nil)
	expect(t, r, http.StatusInternalServerError, "function_error")
	if !strings.Contains(r.Str("message"), "Read-only file system") {
		t.Errorf("write into the sandbox: %s", r)
	}
	if _, err := os.Stat(filepath.Join(api.Uploads, "results", hash, "copy.png")); err == nil {
		t.Error("the function wrote into its sandbox on the host")
	}
	r = api.Call("GET", "/improved/scan/write_tmp", nil)
	expect(t, r, http.StatusOK, "")
	if string(r.Body) != `{"size":[3,2],"value":7}` {
		t.Errorf("write_tmp = %s", r.Body)
	}
	healthy(t, api)
}
