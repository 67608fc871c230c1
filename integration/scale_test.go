package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
)

// Scaling: instances start on demand up to the function's maximum, calls
// beyond what they can take wait in a bounded queue (429 past it), idle
// instances beyond the minimum retire, and a function may scale to zero.
// These tests measure time and count instances, so they do not run in
// parallel. The helpers here are shared by pool_test.go, recovery_test.go
// and replicas_test.go.

const napModule = `import time


def nap(ms: int = 300, tag: str = ""):
    time.sleep(ms / 1000)
    return {"ms": ms, "tag": tag}
`

// loadNap loads nap() from sandbox hash as an agent function, with the
// given extra load fields (scaling settings, memory_mb, ...).
func loadNap(api *API, hash string, fields map[string]any) Response {
	api.Sandbox(hash, map[string]string{"naps.py": napModule})
	req := loadReq(hash, "nap", "naps", "agent")
	for k, v := range fields {
		req[k] = v
	}
	return api.Load(req)
}

// num reads a whole number from a decoded JSON object.
func num(m map[string]any, key string) int {
	f, _ := m[key].(float64)
	return int(f)
}

// fetchItem is statusItem without a *testing.T: safe off the test's
// goroutine. It returns nil (no error) when the function is not listed.
func fetchItem(api *API, name string) (map[string]any, error) {
	resp, err := httpClient.Get(api.URL + "/self-improve/status")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var st map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return nil, err
	}
	for _, group := range []string{"scan_improvements", "agent_improvements", "api_improvements"} {
		list, _ := st[group].([]any)
		for _, it := range list {
			if m, _ := it.(map[string]any); m["function_name"] == name {
				return m, nil
			}
		}
	}
	return nil, nil
}

// runningIDs lists the running containers of namespace ns with role,
// without a *testing.T.
func runningIDs(ctx context.Context, cli *client.Client, ns, role string) ([]string, error) {
	args := filters.NewArgs(filters.Arg("label", "io.stargate.namespace="+ns),
		filters.Arg("label", "io.stargate.role="+role), filters.Arg("status", "running"))
	list, err := cli.ContainerList(ctx, container.ListOptions{Filters: args})
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(list))
	for _, c := range list {
		ids = append(ids, c.ID)
	}
	return ids, nil
}

// eventually polls cond until it holds and returns how long that took; it
// fails the test with cond's last word if it does not hold within d.
func eventually(t *testing.T, d time.Duration, what string, cond func() (bool, string)) time.Duration {
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
		time.Sleep(50 * time.Millisecond)
	}
}

// burst sends n GET calls at once and returns the answers, in order.
func burst(api *API, n int, path func(i int) string) []Response {
	out := make([]Response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = api.Call("GET", path(i), nil)
		}()
	}
	wg.Wait()
	return out
}

// peaks samples, every 25 ms until stopped, a function's instances in its
// status and the running containers of a role, and keeps the extremes.
type peaks struct {
	stop                 chan struct{}
	done                 chan struct{}
	mu                   sync.Mutex
	maxStatus, minStatus int
	maxCtrs, minCtrs     int
	samples              int
	err                  error
}

func samplePeaks(t *testing.T, api *API, name, role string) *peaks {
	p := &peaks{stop: make(chan struct{}), done: make(chan struct{}), minStatus: 1 << 30, minCtrs: 1 << 30}
	cli := dockerClient(t)
	go func() {
		defer close(p.done)
		for {
			item, err := fetchItem(api, name)
			var ids []string
			if err == nil {
				ids, err = runningIDs(context.Background(), cli, api.Namespace, role)
			}
			p.mu.Lock()
			if err != nil {
				p.err = err
			} else if item != nil {
				n := num(item, "instances")
				p.maxStatus, p.minStatus = max(p.maxStatus, n), min(p.minStatus, n)
				p.maxCtrs, p.minCtrs = max(p.maxCtrs, len(ids)), min(p.minCtrs, len(ids))
				p.samples++
			}
			p.mu.Unlock()
			select {
			case <-p.stop:
				return
			case <-time.After(25 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(p.end)
	return p
}

// end stops sampling; calling it twice is fine.
func (p *peaks) end() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	<-p.done
}

func (p *peaks) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return fmt.Sprintf("%d samples: status instances %d..%d, running containers %d..%d",
		p.samples, p.minStatus, p.maxStatus, p.minCtrs, p.maxCtrs)
}

// 9 calls of 300 ms at once on a function of at most 3 instances taking
// one call each: every call succeeds, the function grows to 3 instances
// (the load's one and two cold starts) and never past 3.
func TestScaleUpUnderLoad(t *testing.T) {
	api := StartAPI(t, Options{})
	loadNap(api, "scale01", map[string]any{"max_instances": 3, "concurrency": 1})
	p := samplePeaks(t, api, "nap", "function")

	start := time.Now()
	rs := burst(api, 9, func(i int) string { return fmt.Sprintf("/improved/agent/nap?ms=300&tag=c%d", i) })
	took := time.Since(start)
	for i, r := range rs {
		if r.Status != http.StatusOK || r.JSON["tag"] != fmt.Sprintf("c%d", i) {
			t.Errorf("call %d: %s", i, r)
		}
	}
	// A start demanded during the burst may still be finishing.
	time.Sleep(3 * time.Second)
	p.end()
	item := statusItem(t, api, "nap")
	t.Logf("9 x 300 ms calls took %v; %s; cold_starts %d, queued now %d",
		took.Round(time.Millisecond), p, num(item, "cold_starts"), num(item, "queued"))
	if p.err != nil {
		t.Fatalf("sampling: %v", p.err)
	}
	if p.maxStatus > 3 || p.maxCtrs > 3 {
		t.Errorf("more than max_instances 3 at some point: %s", p)
	}
	// Calls queued during a burst keep the function growing until they
	// are served or it reaches its maximum.
	if p.maxStatus < 3 {
		t.Errorf("instances never reached max_instances 3 with 9 concurrent calls: %s", p)
	}
	if n := num(item, "cold_starts"); n < 2 {
		t.Errorf("cold_starts %d, want >= 2", n)
	}
	if took > 9*300*time.Millisecond {
		t.Errorf("9 x 300 ms calls took %v: no faster than one instance", took)
	}
}

// A full queue turns calls away at once with 429 overloaded and a
// Retry-After header; each counts in status "rejected".
func TestScaleQueueOverflow(t *testing.T) {
	api := StartAPI(t, Options{Env: map[string]string{"STARGATE_QUEUE_LENGTH": "2"}})
	loadNap(api, "queue01", map[string]any{"max_instances": 1})

	rs := burst(api, 6, func(i int) string { return fmt.Sprintf("/improved/agent/nap?ms=800&tag=q%d", i) })
	ok, rejected := 0, 0
	for i, r := range rs {
		switch r.Status {
		case http.StatusOK:
			ok++
		case http.StatusTooManyRequests:
			rejected++
			expect(t, r, http.StatusTooManyRequests, "overloaded")
			if ra := r.Header.Get("Retry-After"); ra == "" {
				t.Errorf("429 without Retry-After: %s", r)
			} else if n, err := strconv.Atoi(ra); err != nil || n < 1 {
				t.Errorf("Retry-After %q is not a number of seconds", ra)
			}
		default:
			t.Errorf("call %d: want 200 or 429, got %s", i, r)
		}
	}
	t.Logf("6 calls, queue length 2, one instance: %d answered, %d turned away", ok, rejected)
	// One runs, two wait: at least three are served.
	if ok < 3 || rejected < 1 {
		t.Errorf("%d answered, %d rejected; want >= 3 and >= 1", ok, rejected)
	}
	item := statusItem(t, api, "nap")
	if got := num(item, "rejected"); got != rejected {
		t.Errorf("status rejected = %d, want %d", got, rejected)
	}
	if num(item, "instances") != 1 {
		t.Errorf("max_instances 1 but status shows %v instances", item["instances"])
	}
}

// A call waits for an instance at most STARGATE_QUEUE_TIMEOUT, then gets
// 429, not 504.
func TestScaleQueueTimeout(t *testing.T) {
	api := StartAPI(t, Options{Env: map[string]string{"STARGATE_QUEUE_TIMEOUT": "1s"}})
	loadNap(api, "queue02", map[string]any{"max_instances": 1})

	first := make(chan Response, 1)
	go func() { first <- api.Call("GET", "/improved/agent/nap?ms=3000&tag=long", nil) }()
	eventually(t, 5*time.Second, "first call busy", func() (bool, string) {
		item := statusItem(t, api, "nap")
		return num(item, "busy") == 1, fmt.Sprint(item["instance_states"])
	})
	start := time.Now()
	r := api.Call("GET", "/improved/agent/nap?ms=10&tag=waiter", nil)
	waited := time.Since(start)
	expect(t, r, http.StatusTooManyRequests, "overloaded")
	if r.Header.Get("Retry-After") == "" {
		t.Errorf("429 without Retry-After")
	}
	t.Logf("call behind a 3 s call: 429 after %v", waited.Round(time.Millisecond))
	if waited < 900*time.Millisecond || waited > 2*time.Second {
		t.Errorf("waited %v, want about 1s (STARGATE_QUEUE_TIMEOUT)", waited)
	}
	if r := <-first; r.Status != http.StatusOK || r.JSON["tag"] != "long" {
		t.Errorf("the call in flight: %s", r)
	}
	if got := num(statusItem(t, api, "nap"), "rejected"); got != 1 {
		t.Errorf("status rejected = %d, want 1", got)
	}
}

// min_instances 0: an idle function goes to zero instances, and the next
// call waits for a start and succeeds; with the pool on, that start is a
// pre-warmed instance's hand-out.
func TestScaleToZeroAndBack(t *testing.T) {
	for _, pool := range []int{0, 2} {
		t.Run(fmt.Sprintf("pool=%d", pool), func(t *testing.T) {
			api := StartAPI(t, Options{Pool: pool})
			loadNap(api, "zero01", map[string]any{"min_instances": 0, "idle_timeout_seconds": 1})
			expect(t, api.Call("GET", "/improved/agent/nap?ms=1", nil), http.StatusOK, "")
			before := num(statusItem(t, api, "nap"), "cold_starts")

			took := eventually(t, 5*time.Second, "scale to zero", func() (bool, string) {
				item := statusItem(t, api, "nap")
				n := len(instancesOf(t, api))
				return num(item, "instances") == 0 && n == 0, fmt.Sprintf("status %v instances, %d containers", item["instances"], n)
			})
			t.Logf("idle 1s -> 0 instances and 0 containers %v after the call", took.Round(10*time.Millisecond))
			if pool > 0 {
				waitSpares(t, api, pool)
			}

			start := time.Now()
			r := api.Call("GET", "/improved/agent/nap?ms=1&tag=back", nil)
			latency := time.Since(start)
			expect(t, r, http.StatusOK, "")
			if r.JSON["tag"] != "back" {
				t.Errorf("call after scale to zero: %s", r)
			}
			item := statusItem(t, api, "nap")
			t.Logf("pool %d: call from zero instances answered in %v", pool, latency.Round(time.Millisecond))
			if got := num(item, "cold_starts"); got != before+1 {
				t.Errorf("cold_starts %d, want %d", got, before+1)
			}
			if n := len(instancesOf(t, api)); num(item, "instances") != 1 || n != 1 {
				t.Errorf("after the call: status %v instances, %d containers", item["instances"], n)
			}
			if n := len(functionContainers(t, api)); pool > 0 && n != 0 {
				t.Errorf("pool %d: the call from zero started %d containers cold", pool, n)
			}
		})
	}
}

// min_instances 2: two instances run without a call; instances a burst
// added retire after the idle timeout, down to 2 and never below.
func TestScaleKeepsMinimum(t *testing.T) {
	api := StartAPI(t, Options{})
	loadNap(api, "min01", map[string]any{"min_instances": 2, "max_instances": 3, "idle_timeout_seconds": 1})
	took := eventually(t, 15*time.Second, "two instances without a call", func() (bool, string) {
		item := statusItem(t, api, "nap")
		n := len(functionContainers(t, api))
		return num(item, "instances") == 2 && n == 2, fmt.Sprintf("status %v, %d containers", item["instances"], n)
	})
	t.Logf("second instance up %v after the load answered", took.Round(10*time.Millisecond))
	if n := num(statusItem(t, api, "nap"), "invocations"); n != 0 {
		t.Fatalf("%d invocations before any call", n)
	}

	p := samplePeaks(t, api, "nap", "function")
	rs := burst(api, 8, func(i int) string { return fmt.Sprintf("/improved/agent/nap?ms=1000&tag=m%d", i) })
	for i, r := range rs {
		if r.Status != http.StatusOK {
			t.Errorf("call %d: %s", i, r)
		}
	}
	eventually(t, 10*time.Second, "back to the minimum", func() (bool, string) {
		item := statusItem(t, api, "nap")
		n := len(functionContainers(t, api))
		return num(item, "instances") == 2 && n == 2, fmt.Sprintf("status %v, %d containers", item["instances"], n)
	})
	time.Sleep(3 * time.Second) // three more idle timeouts: nothing else retires
	p.end()
	t.Logf("burst of 8 x 1 s, then idle: %s", p)
	if p.err != nil {
		t.Fatalf("sampling: %v", p.err)
	}
	if p.maxStatus != 3 {
		t.Errorf("the burst did not scale to max_instances 3: %s", p)
	}
	if p.minStatus < 2 || p.minCtrs < 2 {
		t.Errorf("went below min_instances 2: %s", p)
	}
	if p.maxCtrs > 3 {
		t.Errorf("more than 3 containers: %s", p)
	}
}
