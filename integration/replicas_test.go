package integration

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"stargate/platform/redis/redistest"
)

// Replicas: two API processes on one host share a Redis. Each has its own
// folders, namespace and instances; what one loads, rescales or unloads,
// the other follows within a second.

// within polls cond every 10 ms from now and returns how long it took to
// hold; it fails the test if it does not hold within d.
func within(t *testing.T, d time.Duration, what string, cond func() (bool, string)) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		ok, last := cond()
		if ok {
			return time.Since(start)
		}
		if time.Since(start) > d {
			t.Fatalf("%s: not within %s; last: %s", what, d, last)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestReplicasFollowEachOther(t *testing.T) {
	for _, pool := range []int{0, 2} {
		t.Run(fmt.Sprintf("pool=%d", pool), func(t *testing.T) {
			_, url := redistest.Start(t)
			a := StartAPI(t, Options{RedisURL: url, Pool: pool})
			b := StartAPI(t, Options{RedisURL: url, Pool: pool})
			if a.Namespace == b.Namespace || a.Data == b.Data {
				t.Fatal("the two APIs share folders")
			}
			for _, api := range []*API{a, b} {
				api.Sandbox("replica01", map[string]string{"echoes.py": echoModule})
			}
			if pool > 0 {
				waitSpares(t, a, pool)
				waitSpares(t, b, pool)
			}
			// Each API warms its Go build cache as it starts: seconds of
			// both CPUs that would be measured as lag otherwise.
			waitOnlyInstances(t, a)
			waitOnlyInstances(t, b)
			const path = "/improved/scan/echo?text=r"
			if r := b.Call("GET", path, nil); r.Status != http.StatusNotFound {
				t.Fatalf("B serves echo before any load: %s", r)
			}

			// Load on A: B serves it from an instance of its own.
			req := loadReq("replica01", "echo", "echoes", "scan")
			req["max_instances"] = 2
			a.Load(req)
			loadLag := within(t, 3*time.Second, "B serves what A loaded", func() (bool, string) {
				r := b.Call("GET", path, nil)
				return r.Status == http.StatusOK && r.JSON["text"] == "r", r.String()
			})
			bInstance := instancesOf(t, b)
			if len(bInstance) != 1 {
				t.Errorf("B runs %d instances of its own, want 1", len(bInstance))
			}

			// Rescale on A: B takes the new maximum, keeping its instance.
			req["max_instances"] = 3
			a.Load(req)
			scaleLag := within(t, 3*time.Second, "B takes A's new max_instances", func() (bool, string) {
				item := statusItem(t, b, "echo")
				sc, _ := item["scaling"].(map[string]any)
				return num(sc, "max_instances") == 3, fmt.Sprint(item["scaling"])
			})
			if got := instancesOf(t, b); len(got) != 1 || got[0] != bInstance[0] {
				t.Errorf("a rescale replaced B's instance: before %.12v, after %.12v", bInstance, got)
			}

			// Unload on A: B stops serving it.
			expect(t, a.Do("DELETE", "/self-improve/unload/replica01/echo", nil, testKey), http.StatusOK, "")
			unloadLag := within(t, 3*time.Second, "B stops serving what A unloaded", func() (bool, string) {
				r := b.Call("GET", path, nil)
				return r.Status == http.StatusNotFound && r.Str("code") == "route_not_found", r.String()
			})
			t.Logf("pool %d: B followed A's load in %v, rescale in %v, unload in %v", pool,
				loadLag.Round(time.Millisecond), scaleLag.Round(time.Millisecond), unloadLag.Round(time.Millisecond))
			for what, lag := range map[string]time.Duration{"load": loadLag, "rescale": scaleLag, "unload": unloadLag} {
				if lag > time.Second {
					t.Errorf("B followed A's %s after %v, want within 1s", what, lag)
				}
			}
			eventually(t, 10*time.Second, "B's instance removed", func() (bool, string) {
				got := instancesOf(t, b)
				return len(got) == 0, fmt.Sprintf("%.12v", got)
			})
		})
	}
}

// instancesOf lists the running instances serving a function in api's
// namespace: cold-started ones and pre-warmed ones handed out.
func instancesOf(t *testing.T, api *API) []string {
	t.Helper()
	ids := functionContainers(t, api)
	return append(ids, viewPool(t, api).assigned...)
}
