package integration

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"stargate/platform"
	"stargate/platform/controller"
	"stargate/platform/sockdir"
)

// TestConfineSandboxSwap: an agent that replaces its sandbox folder between
// the platform's check and the container's start (with a symlink to a folder
// it should not see, or with another folder) gets no instance, and nothing of
// the container that saw the wrong folder is left running.
func TestConfineSandboxSwap(t *testing.T) {
	e := newConfineEnv(t)
	secret := filepath.Join(e.root, "secret")
	if err := os.MkdirAll(secret, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(secret, "key.txt"), []byte("not for functions"), 0o644); err != nil {
		t.Fatal(err)
	}
	swaps := map[string]func(t *testing.T, dir string){
		"symlink": func(t *testing.T, dir string) {
			if err := os.Rename(dir, dir+".old"); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(secret, dir); err != nil {
				t.Fatal(err)
			}
		},
		"another_folder": func(t *testing.T, dir string) {
			if err := os.Rename(dir, dir+".old"); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, swap := range swaps {
		t.Run(name, func(t *testing.T) {
			hash := "swap-" + randomHex(4)
			dir := e.sandbox(t, hash, map[string]string{"data.txt": "mine"})
			checked := e.sandboxID(t, hash)
			swap(t, dir)

			spec := e.quietSpec(t, hash, dir)
			spec.SandboxID = checked
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			inst, err := e.rt.Start(ctx, spec)
			if err == nil {
				_ = e.rt.Stop(ctx, inst.ID)
				t.Fatalf("an instance started with a swapped sandbox (%s)", name)
			}
			if !errors.Is(err, platform.ErrConflict) {
				t.Fatalf("error %v, want a conflict", err)
			}
			t.Logf("refused: %v", err)
			if left := containers(t, e.ns, platform.RoleFunction); len(left) != 0 {
				t.Errorf("%d containers left after the refusal: %v", len(left), left[0].ID)
			}
		})
	}

	t.Run("unchanged", func(t *testing.T) {
		hash := "swap-" + randomHex(4)
		dir := e.sandbox(t, hash, map[string]string{"data.txt": "mine"})
		spec := e.quietSpec(t, hash, dir)
		spec.SandboxID = e.sandboxID(t, hash)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		inst, err := e.rt.Start(ctx, spec)
		if err != nil {
			t.Fatalf("the checked sandbox was refused: %v", err)
		}
		_ = e.rt.Stop(ctx, inst.ID)
	})
}

// quietSpec is the platform's spec for a trivial function serving from dir.
func (e *confineEnv) quietSpec(t *testing.T, hash, dir string) platform.InstanceSpec {
	t.Helper()
	fn := &platform.Function{
		Hash: hash, Name: "quiet", Module: "quiet", Language: platform.LanguagePython,
		Type: platform.TypeScan, TimeoutSeconds: 60, MemoryMB: probeMemoryMB,
		Files: platform.Files{"quiet.py": []byte(quietModule)},
	}
	fn.Revision = fn.Files.Digest()
	codeDir := filepath.Join(e.root, "state", "code", hash, fn.Revision[:16])
	writeCode(t, codeDir, fn.Files)
	sockDir := filepath.Join(e.root, "state", "run", randomHex(8))
	if err := sockdir.Prepare(sockDir); err != nil {
		t.Fatal(err)
	}
	return controller.PythonInstance(runtimeImage, fn, controller.InstanceDirs{
		Socket: sockDir, Code: codeDir, Sandbox: dir,
	}, probeNanoCPUs, probePids)
}
