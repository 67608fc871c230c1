package integration

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
)

// TestConfinePids: a fork or thread bomb stops at the pids limit and the
// instance keeps answering.
func TestConfinePids(t *testing.T) {
	t.Parallel()
	env := newConfineEnv(t)
	p := env.mustStart(t, "confine-pids")

	t.Run("fork_bomb_stops", func(t *testing.T) {
		p := p.on(t)
		r := p.run("forkbomb", "1000")
		refused(t, "fork 1000 processes", r)
		if r.num("errno") != int(syscall.EAGAIN) {
			t.Errorf("fork failed with errno %d, want EAGAIN: %s", r.num("errno"), r)
		}
		if n := r.num("forked"); n >= probePids || n < probePids/2 {
			t.Errorf("forked %d processes, want fewer than the limit %d (and most of it)", n, probePids)
		}
		t.Logf("fork bomb: %d processes forked before %s", r.num("forked"), r.str("errname"))
		p.alive(t)
	})

	t.Run("thread_bomb_stops", func(t *testing.T) {
		p := p.on(t)
		r := p.run("threadbomb", "1000")
		refused(t, "start 1000 threads", r)
		if n := r.num("started"); n >= probePids || n < probePids/2 {
			t.Errorf("started %d threads, want fewer than the limit %d (and most of it)", n, probePids)
		}
		t.Logf("thread bomb: %d threads started before %s", r.num("started"), r.str("error"))
		p.alive(t)
	})
}

// hogModule passes the checker: plain Python that eats memory or prints.
const hogModule = `def hog(mb: int = 1024):
    blocks = []
    for _ in range(mb):
        blocks.append(bytearray(1 << 20))
    return len(blocks)


def shout(lines: int = 200000, width: int = 1000):
    row = "x" * width
    for i in range(lines):
        print(i, row)
    return lines
`

// TestConfineMemory: a memory bomb is OOM-killed inside its container; the
// API answers 502 saying so, and its own memory stays flat.
func TestConfineMemory(t *testing.T) {
	t.Parallel()

	t.Run("probe_oom_killed", func(t *testing.T) {
		env := newConfineEnv(t)
		p := env.mustStart(t, "confine-oom")
		if r, err := p.try("membomb", "1024"); err == nil {
			t.Fatalf("allocating 1 GiB under a %d MiB limit answered: %s", probeMemoryMB, r)
		}
		var info container.InspectResponse
		deadline := time.Now().Add(15 * time.Second)
		for {
			var err error
			info, err = dockerClient(t).ContainerInspect(context.Background(), p.inst.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !info.State.Running || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if info.State.Running || !info.State.OOMKilled {
			t.Errorf("after the bomb: running %v, OOMKilled %v, exit %d", info.State.Running, info.State.OOMKilled, info.State.ExitCode)
		}
		if info.HostConfig.Memory != probeMemoryMB<<20 || info.HostConfig.MemorySwap != info.HostConfig.Memory {
			t.Errorf("memory %d, swap %d", info.HostConfig.Memory, info.HostConfig.MemorySwap)
		}
		t.Logf("OOMKilled %v, exit code %d", info.State.OOMKilled, info.State.ExitCode)
	})

	t.Run("api_502_rss_flat", func(t *testing.T) {
		api := StartAPI(t, Options{})
		api.Sandbox("confine-hog", map[string]string{"hog.py": hogModule})
		api.Load(loadReq("confine-hog", "hog", "hog", "scan"))
		expect(t, api.Call("GET", "/improved/scan/hog?mb=4", nil), http.StatusOK, "")
		before := settledRSS(api)
		peak := before
		for i := range 5 {
			r := api.Call("GET", "/improved/scan/hog?mb=1024", nil)
			expect(t, r, http.StatusBadGateway, "instance_died")
			if msg := r.Str("message"); !strings.Contains(msg, "out of memory") {
				t.Errorf("bomb %d: the 502 does not say out of memory: %q", i, msg)
			}
			waitServing(t, api, "/improved/scan/hog?mb=1", "1")
			peak = max(peak, api.RSS())
		}
		after := settledRSS(api)
		adj, _ := os.ReadFile(fmt.Sprintf("/proc/%d/oom_score_adj", api.PID()))
		t.Logf("API RSS before %s, after 5 bombs %s, peak %s; the API's oom_score_adj is %s",
			mib(before), mib(after), mib(peak), strings.TrimSpace(string(adj)))
		if after > before+20<<20 || peak > before+20<<20 {
			t.Errorf("the API's RSS grew from %s to %s (peak %s), more than 20 MiB", mib(before), mib(after), mib(peak))
		}
		healthy(t, api)
	})
}

// TestConfineLogs: a print loop cannot fill the disk (the container's log is
// capped) nor the API's memory or log.
func TestConfineLogs(t *testing.T) {
	t.Parallel()
	api := StartAPI(t, Options{})
	api.Sandbox("confine-log", map[string]string{"hog.py": hogModule})
	req := loadReq("confine-log", "shout", "hog", "agent")
	req["timeout_seconds"] = 300
	api.Load(req)
	// Every instance of the namespace: the function's, and any pre-warmed
	// one. Only the one serving shout should log anything.
	var infos []container.InspectResponse
	for _, id := range instanceContainers(t, api) {
		info, err := dockerClient(t).ContainerInspect(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		infos = append(infos, info)
	}
	before, logBefore := settledRSS(api), len(api.Logs())

	// The engine copies the output to the log file behind the function:
	// watch the files during the call and until they stop changing.
	peaks := make(chan map[string]int64, 1)
	done := make(chan struct{})
	go func() { peaks <- watchSizes(infos, done) }()
	start := time.Now()
	r := api.Call("GET", "/improved/agent/shout?lines=200000&width=1000", nil)
	took := time.Since(start)
	peakRSS := api.RSS()
	close(done)
	peak := <-peaks
	expect(t, r, http.StatusOK, "")
	if string(r.Body) != "200000" {
		t.Fatalf("shout = %s", r.Body)
	}
	const limit = 1<<20 + 64<<10 // max-size 1m, plus one line's slack

	t.Run("log_file_capped", func(t *testing.T) {
		var largest int64
		for _, info := range infos {
			id := info.ID[:12]
			if info.HostConfig.LogConfig.Type != "json-file" || info.HostConfig.LogConfig.Config["max-size"] != "1m" {
				t.Errorf("%s: log config %+v", id, info.HostConfig.LogConfig)
			}
			fi, err := os.Stat(info.LogPath)
			if err != nil {
				t.Fatalf("%s: log file: %v", id, err)
			}
			if fi.Size() > limit || peak[info.ID] > limit {
				t.Errorf("%s: the log file holds %s (peak %s) after ~200 MB of output", id, mib(fi.Size()), mib(peak[info.ID]))
			}
			rc, err := dockerClient(t).ContainerLogs(context.Background(), info.ID, container.LogsOptions{ShowStdout: true, ShowStderr: true})
			if err != nil {
				t.Fatal(err)
			}
			kept, err := io.Copy(io.Discard, rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			if kept > limit {
				t.Errorf("%s: docker logs returns %d bytes", id, kept)
			}
			largest = max(largest, peak[info.ID])
			t.Logf("%s: log file %s (%d bytes, peak %d), docker logs %d bytes", id, mib(fi.Size()), fi.Size(), peak[info.ID], kept)
		}
		if largest < 512<<10 {
			t.Errorf("control: no log file grew past %s: was the output logged at all?", mib(largest))
		}
		t.Logf("200,000 lines of 1 KB printed in %s", took.Round(time.Millisecond))
	})

	t.Run("api_flat", func(t *testing.T) {
		after, logAfter := settledRSS(api), len(api.Logs())
		t.Logf("API RSS before %s, at the end of the call %s, after %s; API log grew %d bytes",
			mib(before), mib(peakRSS), mib(after), logAfter-logBefore)
		if after > before+20<<20 || peakRSS > before+20<<20 {
			t.Errorf("the API's RSS grew from %s to %s (%s at the end of the call)", mib(before), mib(after), mib(peakRSS))
		}
		if logAfter-logBefore > 64<<10 {
			t.Errorf("the function's output reached the API's log: +%d bytes", logAfter-logBefore)
		}
		healthy(t, api)
	})
}

// watchSizes samples the log file of every container every 10 ms until done
// is closed and then until none has changed for 500 ms (at most 60 s), and
// returns the largest size seen of each, by container id.
func watchSizes(infos []container.InspectResponse, done <-chan struct{}) map[string]int64 {
	peak, last := map[string]int64{}, map[string]int64{}
	stable := time.Now()
	deadline := time.Now().Add(60 * time.Second)
	for closed := false; ; {
		for _, info := range infos {
			if fi, err := os.Stat(info.LogPath); err == nil {
				peak[info.ID] = max(peak[info.ID], fi.Size())
				if fi.Size() != last[info.ID] {
					last[info.ID], stable = fi.Size(), time.Now()
				}
			}
		}
		select {
		case <-done:
			closed = true
		default:
		}
		if closed && (time.Since(stable) > 500*time.Millisecond || time.Now().After(deadline)) {
			return peak
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// instanceContainers lists the API's function instances, pre-warmed ones
// included.
func instanceContainers(t *testing.T, api *API) []string {
	t.Helper()
	var ids []string
	for _, c := range containers(t, api.Namespace, "") {
		if role := c.Labels["io.stargate.role"]; role == "function" || role == "pool" {
			ids = append(ids, c.ID)
		}
	}
	if len(ids) == 0 {
		t.Fatal("the API runs no instance")
	}
	return ids
}

// settledRSS reads the API's RSS after a short pause, so that a collection
// started by the last call has run.
func settledRSS(api *API) int64 {
	time.Sleep(300 * time.Millisecond)
	return api.RSS()
}

// waitServing waits until path answers 200 with want (the instance has been
// replaced).
func waitServing(t *testing.T, api *API, path, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := api.Call("GET", path, nil)
		if r.Status == http.StatusOK && string(r.Body) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not come back: %s", path, r)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
