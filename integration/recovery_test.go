package integration

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	mobycontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"

	"stargate/platform/redis/redistest"
)

// Recovery: an instance that dies is noticed and replaced, a crashed API
// adopts what still runs, and a Redis outage neither stops calls nor needs
// a restart.

// killContainer sends SIGKILL to a container, as `docker kill` does.
func killContainer(t *testing.T, id string) {
	t.Helper()
	if err := dockerClient(t).ContainerKill(context.Background(), id, "KILL"); err != nil {
		t.Fatalf("docker kill %.12s: %v", id, err)
	}
}

// oneInstance waits until the function has one instance in its status and
// one running container other than gone, and returns that container.
func oneInstance(t *testing.T, api *API, name, gone string, within time.Duration) (string, time.Duration) {
	t.Helper()
	var id string
	took := eventually(t, within, "a replacement instance", func() (bool, string) {
		item := statusItem(t, api, name)
		ids := functionContainers(t, api)
		if num(item, "instances") != 1 || len(ids) != 1 || ids[0] == gone {
			return false, fmt.Sprintf("status %v instances, containers %.12v", item["instances"], ids)
		}
		id = ids[0]
		return true, ""
	})
	return id, took
}

// Killed while idle: the platform notices without a call and replaces it.
func TestRecoveryKilledIdleInstance(t *testing.T) {
	api := StartAPI(t, Options{})
	loadNap(api, "kill01", map[string]any{"max_instances": 1})
	expect(t, api.Call("GET", "/improved/agent/nap?ms=1", nil), http.StatusOK, "")
	victim := functionContainers(t, api)
	if len(victim) != 1 {
		t.Fatalf("want 1 instance, got %d", len(victim))
	}

	killContainer(t, victim[0])
	_, took := oneInstance(t, api, "nap", victim[0], 5*time.Second)
	t.Logf("idle instance killed: replaced %v later, without a call", took.Round(10*time.Millisecond))
	item := statusItem(t, api, "nap")
	if num(item, "invocations") != 1 || num(item, "errors") != 0 {
		t.Errorf("the death was noticed through a call? status %v", item)
	}
	r := api.Call("GET", "/improved/agent/nap?ms=1&tag=after", nil)
	if r.Status != http.StatusOK || r.JSON["tag"] != "after" {
		t.Errorf("call after the replacement: %s", r)
	}
}

// Calls sent right after a kill, before the platform noticed, are not
// lost: they wait for the replacement or are retried on it.
func TestRecoveryCallsRightAfterKill(t *testing.T) {
	api := StartAPI(t, Options{})
	loadNap(api, "kill02", nil)
	expect(t, api.Call("GET", "/improved/agent/nap?ms=1", nil), http.StatusOK, "")
	victim := functionContainers(t, api)[0]

	killContainer(t, victim)
	start := time.Now()
	rs := burst(api, 3, func(i int) string { return fmt.Sprintf("/improved/agent/nap?ms=1&tag=k%d", i) })
	took := time.Since(start)
	for i, r := range rs {
		if r.Status != http.StatusOK || r.JSON["tag"] != fmt.Sprintf("k%d", i) {
			t.Errorf("call %d sent right after the kill: %s", i, r)
		}
	}
	item := statusItem(t, api, "nap")
	t.Logf("3 calls sent right after the kill all answered within %v (retries %d, cold_starts %d)",
		took.Round(time.Millisecond), num(item, "retries"), num(item, "cold_starts"))
	if n := num(item, "errors"); n != 0 {
		t.Errorf("%d errors, want none: no call was in flight", n)
	}
}

// Killed mid-call: that one call gets 502 instance_died, saying why; the
// calls queued behind it and the next one succeed.
func TestRecoveryKilledMidCall(t *testing.T) {
	api := StartAPI(t, Options{})
	loadNap(api, "kill03", map[string]any{"max_instances": 1})
	victim := functionContainers(t, api)[0]

	inflight := make(chan Response, 1)
	go func() { inflight <- api.Call("GET", "/improved/agent/nap?ms=3000&tag=doomed", nil) }()
	eventually(t, 5*time.Second, "call in flight", func() (bool, string) {
		item := statusItem(t, api, "nap")
		return num(item, "busy") == 1, fmt.Sprint(item["instance_states"])
	})
	time.Sleep(200 * time.Millisecond) // the runner has the call
	// Two more wait in the gateway's queue behind it (max_instances 1).
	queued := make(chan []Response, 1)
	go func() {
		queued <- burst(api, 2, func(i int) string { return fmt.Sprintf("/improved/agent/nap?ms=1&tag=w%d", i) })
	}()
	eventually(t, 5*time.Second, "two calls queued", func() (bool, string) {
		item := statusItem(t, api, "nap")
		return num(item, "queued") == 2, fmt.Sprint(item["queued"])
	})
	killContainer(t, victim)

	r := <-inflight
	expect(t, r, http.StatusBadGateway, "instance_died")
	if msg := r.Str("message"); !strings.Contains(msg, "SIGKILL") {
		t.Errorf("instance_died does not say it was killed: %q", msg)
	}
	for i, w := range <-queued {
		if w.Status != http.StatusOK || w.JSON["tag"] != fmt.Sprintf("w%d", i) {
			t.Errorf("call %d queued behind the one in flight: %s", i, w)
		}
	}
	start := time.Now()
	next := api.Call("GET", "/improved/agent/nap?ms=1&tag=next", nil)
	if next.Status != http.StatusOK || next.JSON["tag"] != "next" {
		t.Errorf("the call after the one in flight: %s", next)
	}
	t.Logf("the call in flight got 502; the 2 queued behind it answered 200; the next call took %v", time.Since(start).Round(time.Millisecond))
	if item := statusItem(t, api, "nap"); num(item, "errors") != 1 {
		t.Errorf("errors %v, want only the call in flight", item["errors"])
	}
	oneInstance(t, api, "nap", victim, 5*time.Second)
}

// kill -9 of the API with the pool on: the pool-born instance of a loaded
// function is adopted (same container), the spare pre-warmed instances of
// the dead process are removed and new ones are made.
func TestRecoveryCrashWithPool(t *testing.T) {
	stores(t, func(t *testing.T, opts Options) {
		opts.Pool = 2
		api := StartAPI(t, opts)
		waitSpares(t, api, 2)
		loadNap(api, "crashp01", map[string]any{"max_instances": 1})
		expect(t, api.Call("GET", "/improved/agent/nap?ms=1", nil), http.StatusOK, "")
		var before poolView
		eventually(t, 30*time.Second, "pool refilled", func() (bool, string) {
			before = viewPool(t, api)
			return len(before.assigned) == 1 && len(before.spare) == 2 && before.ready == 2, before.String()
		})

		api.Kill()
		again := api.Restart()
		r := again.Call("GET", "/improved/agent/nap?ms=1&tag=after", nil)
		if r.Status != http.StatusOK || r.JSON["tag"] != "after" {
			t.Fatalf("call after the crash: %s", r)
		}
		after := viewPool(t, again)
		if !slices.Equal(after.assigned, before.assigned) {
			t.Errorf("pool-born instance not adopted: before %.12v, after %.12v", before.assigned, after.assigned)
		}
		if n := len(containers(t, again.Namespace, "function")); n != 0 {
			t.Errorf("%d cold-started instances after the restart, want the adopted one only", n)
		}
		if n := num(statusItem(t, again, "nap"), "instances"); n != 1 {
			t.Errorf("status instances %d after the restart, want 1", n)
		}
		eventually(t, 30*time.Second, "old spares removed, new ones made", func() (bool, string) {
			v := viewPool(t, again)
			for _, c := range containers(t, again.Namespace, "pool") {
				if slices.Contains(before.spare, c.ID) {
					return false, fmt.Sprintf("old spare %.12s is still there (%s)", c.ID, c.State)
				}
			}
			return len(v.spare) == 2 && v.ready == 2 && len(v.assigned) == 1, v.String()
		})
	})
}

// pinnedRedis starts Redis on a fixed host port, so that a stopped and
// started container answers at the same URL.
func pinnedRedis(t *testing.T) (*testcontainers.DockerContainer, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return redistest.Start(t, testcontainers.WithHostConfigModifier(func(hc *mobycontainer.HostConfig) {
		hc.PortBindings = network.PortMap{
			network.MustParsePort("6379/tcp"): {{HostPort: strconv.Itoa(port)}},
		}
	}))
}

// Redis down: calls are served from memory, loads answer 503, /health says
// the store is down; Redis back: the API reconnects by itself.
func TestRecoveryRedisOutage(t *testing.T) {
	t.Parallel()
	ctr, url := pinnedRedis(t)
	api := StartAPI(t, Options{RedisURL: url})
	loadNap(api, "redis01", nil)
	api.Sandbox("redis02", map[string]string{"echoes.py": echoModule})
	expect(t, api.Call("GET", "/improved/agent/nap?ms=1", nil), http.StatusOK, "")

	stopTimeout := 5 * time.Second
	if err := ctr.Stop(context.Background(), &stopTimeout); err != nil {
		t.Fatalf("stop redis: %v", err)
	}
	served := 0
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); served++ {
		r := api.Call("GET", fmt.Sprintf("/improved/agent/nap?ms=1&tag=o%d", served), nil)
		if r.Status != http.StatusOK || r.JSON["tag"] != fmt.Sprintf("o%d", served) {
			t.Fatalf("call %d with redis down: %s", served, r)
		}
	}
	start := time.Now()
	r := api.Do("POST", "/self-improve/load", loadReq("redis02", "echo", "echoes", "scan"), testKey)
	expect(t, r, http.StatusServiceUnavailable, "unavailable")
	t.Logf("redis down: %d calls served in 2s; a load answered 503 in %v", served, time.Since(start).Round(time.Millisecond))
	h := api.Do("GET", "/health", nil, "")
	store, _ := h.JSON["components"].(map[string]any)["store"].(map[string]any)
	if store == nil || store["ok"] != false {
		t.Errorf("/health with redis down does not say the store is down: %s", h)
	}
	if h.Str("status") != "degraded" {
		t.Errorf("/health status with redis down: %s", h)
	}
	if n := len(containers(t, api.Namespace, "function")); n != 1 {
		t.Errorf("%d instances after the failed load, want 1 (its instance removed)", n)
	}

	if err := ctr.Start(context.Background()); err != nil {
		t.Fatalf("start redis: %v", err)
	}
	back := time.Now()
	took := eventually(t, 10*time.Second, "a load after redis is back", func() (bool, string) {
		r := api.Do("POST", "/self-improve/load", loadReq("redis02", "echo", "echoes", "scan"), testKey)
		return r.Status == http.StatusOK, r.String()
	})
	t.Logf("redis back: a load succeeded %v after its container started (%v after start returned)",
		took.Round(10*time.Millisecond), time.Since(back).Round(10*time.Millisecond))
	expect(t, api.Call("GET", "/improved/scan/echo?text=up", nil), http.StatusOK, "")
	healthy(t, api)
	if h := api.Do("GET", "/health", nil, ""); h.Str("status") != "ok" {
		t.Errorf("/health after redis is back: %s", h)
	}
}

// Redis restarted without its data (stargate/redis keeps nothing on disk):
// the functions this API serves stay loaded.
func TestRecoveryRedisLostData(t *testing.T) {
	t.Parallel()
	ctr, url := pinnedRedis(t)
	api := StartAPI(t, Options{RedisURL: url})
	loadNap(api, "redis03", nil)
	expect(t, api.Call("GET", "/improved/agent/nap?ms=1", nil), http.StatusOK, "")

	stopTimeout := 5 * time.Second
	if err := ctr.Stop(context.Background(), &stopTimeout); err != nil {
		t.Fatalf("stop redis: %v", err)
	}
	if err := ctr.Start(context.Background()); err != nil {
		t.Fatalf("start redis: %v", err)
	}
	eventually(t, 10*time.Second, "store back", func() (bool, string) {
		h := api.Do("GET", "/health", nil, "")
		return h.Str("status") == "ok", h.String()
	})
	time.Sleep(2 * time.Second) // several replica sync rounds
	// The store's new epoch tells the reset apart from an unload by another
	// replica: the API writes back what it serves.
	r := api.Call("GET", "/improved/agent/nap?ms=1&tag=kept", nil)
	if r.Status != http.StatusOK || r.JSON["tag"] != "kept" {
		t.Errorf("function loaded before redis restarted empty: %s", r)
	}
	if n := totalLoaded(t, api); n != 1 {
		t.Errorf("total_loaded %v after redis restarted empty, want 1", n)
	}
}
