package integration

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
)

const versioned = `
VERSION = %d

def version(tag: str = ""):
    return {"version": VERSION, "tag": tag}


def slow(seconds: float = 1.0):
    import time
    time.sleep(seconds)
    return {"slept": seconds}
`

// loadVersioned loads version() of revision v, on one instance: these tests
// count containers, and concurrent calls would otherwise scale it up.
func loadVersioned(api *API, hash string, v int) Response {
	api.Sandbox(hash, map[string]string{"versioned.py": fmt.Sprintf(versioned, v)})
	return api.Load(map[string]any{
		"visible_pixel_hash": hash, "function_name": "version", "module_name": "versioned", "improvement_type": "api",
		"max_instances": 1,
	})
}

func functionContainers(t *testing.T, api *API) []string {
	t.Helper()
	var ids []string
	for _, c := range containers(t, api.Namespace, "function") {
		if c.State == "running" {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

// A graceful stop removes the instances; the next start brings every
// function back from the store.
func TestRestartKeepsFunctions(t *testing.T) {
	stores(t, func(t *testing.T, opts Options) {
		api := StartAPI(t, opts)
		loaded := loadVersioned(api, "restart01", 1)
		expect(t, api.Call("GET", "/improved/api/version?tag=a", nil), 200, "")

		api.Stop()
		if n := len(containers(t, api.Namespace, "")); n != 0 {
			t.Fatalf("%d containers left after SIGTERM", n)
		}

		again := api.Restart()
		r := again.Call("GET", "/improved/api/version?tag=b", nil)
		expect(t, r, 200, "")
		if r.JSON["version"] != 1.0 || r.JSON["tag"] != "b" {
			t.Fatalf("after restart: %s", r)
		}
		st := again.Do("GET", "/self-improve/status", nil, "")
		items, _ := st.JSON["api_improvements"].([]any)
		if len(items) != 1 {
			t.Fatalf("status after restart: %s", st)
		}
		item := items[0].(map[string]any)
		if item["module_id"] != loaded.Str("module_id") || item["loaded_at"] != loaded.Str("loaded_at") {
			t.Errorf("restored %v, loaded %s", item, loaded)
		}
	})
}

// After SIGKILL the instances keep running; the next start adopts them
// (same container, no cold start) and removes what it cannot account for.
func TestCrashAdoptsInstances(t *testing.T) {
	stores(t, func(t *testing.T, opts Options) {
		api := StartAPI(t, opts)
		loadVersioned(api, "crash001", 1)
		expect(t, api.Call("GET", "/improved/api/version", nil), 200, "")
		before := functionContainers(t, api)
		if len(before) != 1 {
			t.Fatalf("want 1 running instance, got %d", len(before))
		}

		api.Kill()
		if got := functionContainers(t, api); len(got) != 1 || got[0] != before[0] {
			t.Fatalf("instance did not survive the crash: %v", got)
		}
		stray := startStray(t, api.Namespace)

		again := api.Restart()
		r := again.Call("GET", "/improved/api/version?tag=after", nil)
		expect(t, r, 200, "")
		if r.JSON["tag"] != "after" {
			t.Fatalf("after crash: %s", r)
		}
		if got := functionContainers(t, again); len(got) != 1 || got[0] != before[0] {
			t.Errorf("instance not adopted: before %v, after %v", before, got)
		}
		for _, c := range containers(t, again.Namespace, "") {
			if c.ID == stray {
				t.Errorf("stray container %.12s was not removed", stray)
			}
		}
	})
}

// startStray starts a container labelled as an instance of the namespace
// that no stored function accounts for.
func startStray(t *testing.T, ns string) string {
	t.Helper()
	cli := dockerClient(t)
	ctx := context.Background()
	created, err := cli.ContainerCreate(ctx, &container.Config{
		Image:      runtimeImage,
		Entrypoint: []string{"/usr/bin/python3", "-c", "import time; time.sleep(600)"},
		User:       "65534:65534",
		Labels: map[string]string{
			"io.stargate.platform": "stargate", "io.stargate.namespace": ns,
			"io.stargate.role": "function", "io.stargate.hash": "ghost", "io.stargate.function": "ghost",
		},
	}, &container.HostConfig{NetworkMode: "none"}, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cli.ContainerRemove(context.Background(), created.ID, container.RemoveOptions{Force: true})
	})
	if err := cli.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	return created.ID
}

// Reloading a function under load replaces it without a failed call.
func TestReloadWithoutFailedCalls(t *testing.T) {
	api := StartAPI(t, Options{})
	loadVersioned(api, "reload01", 1)

	var (
		calls, failures atomic.Int64
		sawV2           atomic.Bool
		stop            = make(chan struct{})
		wg              sync.WaitGroup
		mu              sync.Mutex
		firstFailure    string
	)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				r := api.Call("GET", "/improved/api/version", nil)
				calls.Add(1)
				switch {
				case r.Status != 200:
					failures.Add(1)
					mu.Lock()
					if firstFailure == "" {
						firstFailure = r.String()
					}
					mu.Unlock()
				case r.JSON["version"] == 2.0:
					sawV2.Store(true)
				}
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	before := functionContainers(t, api)
	loadVersioned(api, "reload01", 2)
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()

	if failures.Load() != 0 {
		t.Fatalf("%d of %d calls failed during the reload; first: %s", failures.Load(), calls.Load(), firstFailure)
	}
	if !sawV2.Load() {
		t.Fatal("no call reached the new revision")
	}
	r := api.Call("GET", "/improved/api/version", nil)
	if r.JSON["version"] != 2.0 {
		t.Fatalf("after reload: %s", r)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		after := functionContainers(t, api)
		if len(after) == 1 && after[0] != before[0] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("old instance not removed: before %v, after %v", before, after)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("%d calls during the reload, none failed", calls.Load())
}

// SIGTERM lets a call in flight finish before the instances go.
func TestShutdownDrainsCalls(t *testing.T) {
	api := StartAPI(t, Options{})
	api.Sandbox("drain001", map[string]string{"versioned.py": fmt.Sprintf(versioned, 1)})
	api.Load(map[string]any{
		"visible_pixel_hash": "drain001", "function_name": "slow", "module_name": "versioned", "improvement_type": "agent",
	})
	done := make(chan Response, 1)
	go func() { done <- api.Call("GET", "/improved/agent/slow?seconds=1.5", nil) }()
	time.Sleep(300 * time.Millisecond)
	api.Stop()
	r := <-done
	if r.Status != 200 || r.JSON["slept"] != 1.5 {
		t.Fatalf("call in flight during shutdown: %s", r)
	}
	if n := len(containers(t, api.Namespace, "")); n != 0 {
		t.Errorf("%d containers left after shutdown", n)
	}
}
