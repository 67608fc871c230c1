package gateway

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"stargate/platform"
)

// Waiting calls get a backend in the order they came.
func TestWaitersFIFO(t *testing.T) {
	b := newFake(t, echo).backend(t, "a")
	tg := NewTarget(testKey, time.Second)
	tg.Add(b)
	b.inflight.Store(1) // busy, with calls not known to be fast: every call waits
	const n = 5
	got := make(chan int, n)
	for i := range n {
		go func() {
			if b, err := tg.acquire(time.Now().Add(5 * time.Second)); err == nil && b != nil {
				got <- i
			}
		}()
		eventually(t, "the call to queue", func() bool { return tg.Stats().Queued == i+1 })
	}
	for want := range n {
		tg.release(b) // room for exactly one
		select {
		case i := <-got:
			if i != want {
				t.Fatalf("call %d got the backend, want call %d", i, want)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("no call got the backend after release %d", want)
		}
	}
}

// stuckHead starts a call that a holdFirst fake holds, and waits until it
// is old enough that no call is pipelined behind it.
func stuckHead(t *testing.T, g *Gateway, tg *Target) (done chan error) {
	done = make(chan error, 1)
	go func() {
		_, err := invoke(g, "GET", shortPath+"?head", nil)
		done <- err
	}()
	eventually(t, "the head call to run", func() bool { return tg.Stats().Busy == 1 })
	time.Sleep(10 * time.Millisecond) // older than youngHead
	return done
}

func holdFirst(release chan struct{}) handler {
	first := true
	return func(w io.Writer, r *fakeReq) bool {
		if first {
			first = false
			<-release
		}
		return echo(w, r)
	}
}

func TestReplace(t *testing.T) {
	release := make(chan struct{})
	g, tg, _ := served(t, holdFirst(release), 5*time.Second)
	old := tg.Backends()[0]
	headDone := stuckHead(t, g, tg)

	waiter := make(chan string, 1)
	go func() {
		ctx, err := invoke(g, "GET", shortPath+"?waiter", nil)
		if err != nil {
			waiter <- err.Error()
			return
		}
		waiter <- echoed(ctx.Response.Body())["query"]
	}()
	eventually(t, "the call to queue", func() bool { return tg.Stats().Queued == 1 })

	fresh := newFake(t, echo)
	nb := fresh.backend(t, "b")
	retired := tg.Replace([]*Backend{nb})
	if !slices.Equal(retired, []*Backend{old}) {
		t.Errorf("Replace returned %v, want the old backend", retired)
	}
	select {
	case got := <-waiter:
		if got != "waiter" {
			t.Errorf("waiting call got %q, want its echo from the new backend", got)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the waiting call was not handed to the new backend")
	}
	if got := fresh.requests(); len(got) != 1 || got[0].Query != "waiter" {
		t.Errorf("new backend got %d requests, want the waiter's", len(got))
	}
	if got := tg.Backends(); !slices.Equal(got, []*Backend{nb}) {
		t.Errorf("Backends() = %v, want the new one only", got)
	}
	if tg.Retire(old) {
		t.Error("Retire of a replaced backend reported it in service")
	}

	// The call in flight on the old backend still finishes there.
	close(release)
	if err := <-headDone; err != nil {
		t.Errorf("call in flight on the replaced backend = %v, want its answer", err)
	}
	if got := tg.Backends(); !slices.Equal(got, []*Backend{nb}) {
		t.Errorf("after the old call ended, Backends() = %v, want the new one only", got)
	}
}

func TestCloseTurnsAwayWaiters(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	g, tg, _ := served(t, holdFirst(release), 5*time.Second)
	old := tg.Backends()[0]
	stuckHead(t, g, tg)

	waiter := make(chan error, 1)
	go func() {
		_, err := invoke(g, "GET", shortPath, nil)
		waiter <- err
	}()
	eventually(t, "the call to queue", func() bool { return tg.Stats().Queued == 1 })

	retired := tg.Close()
	if !slices.Equal(retired, []*Backend{old}) {
		t.Errorf("Close returned %v, want the backend", retired)
	}
	select {
	case err := <-waiter:
		if !errors.Is(err, platform.ErrRouteNotFound) || !strings.Contains(err.Error(), "unloaded") {
			t.Errorf("waiting call = %v, want ErrRouteNotFound (unloaded)", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not wake the waiting call")
	}
	if !tg.Closed() {
		t.Error("Closed() = false after Close")
	}
	start := time.Now()
	if _, err := invoke(g, "GET", shortPath, nil); !errors.Is(err, platform.ErrRouteNotFound) {
		t.Errorf("call after Close = %v, want ErrRouteNotFound", err)
	}
	if took := time.Since(start); took > 100*time.Millisecond {
		t.Errorf("call after Close took %v, want an answer at once", took)
	}
	if tg.Add(newFake(t, echo).backend(t, "late")) {
		t.Error("Add after Close = true")
	}
	if n := len(tg.Backends()); n != 0 {
		t.Errorf("%d backends after Close", n)
	}
}

func TestRetire(t *testing.T) {
	tg := NewTarget(testKey, time.Second)
	a := newFake(t, echo).backend(t, "a")
	b := newFake(t, echo).backend(t, "b")
	tg.Add(a)
	tg.Add(b)
	if !tg.Retire(a) {
		t.Error("first Retire = false")
	}
	if tg.Retire(a) {
		t.Error("second Retire = true")
	}
	if got := tg.Backends(); !slices.Equal(got, []*Backend{b}) {
		t.Errorf("Backends() = %v, want b only", got)
	}
}

func TestStats(t *testing.T) {
	release := make(chan struct{})
	var status atomic.Int32
	status.Store(200)
	h := func(w io.Writer, r *fakeReq) bool {
		if r.Query == "hold" {
			<-release
		}
		_, err := io.WriteString(w, response(int(status.Load()), "{}"))
		return err == nil
	}
	g, tg, _ := served(t, h, time.Second)
	if s := tg.Stats(); s != (Stats{Instances: 1, Idle: 1}) {
		t.Errorf("fresh Stats = %+v", s)
	}
	for range 3 {
		if _, err := invoke(g, "GET", shortPath, nil); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = invoke(g, "GET", shortPath+"?hold", nil)
	}()
	eventually(t, "the call to run", func() bool { return tg.Stats().Busy == 1 })
	if s := tg.Stats(); s.Inflight != 1 || s.Busy != 1 || s.Instances != 1 {
		t.Errorf("Stats during a call = %+v", s)
	}
	close(release)
	<-done
	status.Store(500)
	if _, err := invoke(g, "GET", shortPath, nil); err != nil {
		t.Fatal(err)
	}
	s := tg.Stats()
	if s.Invocations != 5 || s.Errors != 1 || s.Timeouts != 0 || s.Busy != 0 || s.Inflight != 0 || s.MeanMillis <= 0 {
		t.Errorf("Stats = %+v", s)
	}
	tg.SetTimeout(3 * time.Second)
	if got := tg.Timeout(); got != 3*time.Second {
		t.Errorf("Timeout() = %v after SetTimeout", got)
	}
}

func TestReady(t *testing.T) {
	tests := []struct {
		name     string
		raw      string
		wantCode string
		wantMsg  string
	}{
		{"ready", response(200, `{"status":"ready"}`), "", ""},
		{"import failed", response(422, `{"code":"import_failed","message":"ZeroDivisionError","details":{"line":3}}`), "import_failed", "ZeroDivisionError"},
		{"not JSON", response(500, "Traceback "+strings.Repeat("x", 2000)), "not_ready", "Traceback"},
		{"JSON without code", response(500, `{"message":"?"}`), "not_ready", `{"message":"?"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, answer(tt.raw))
			err := f.backend(t, "a").Ready(context.Background())
			if got := f.requests(); len(got) != 1 || got[0].Method != "GET" || got[0].Target != "/_stargate/ready" {
				t.Errorf("Ready sent %+v", got)
			}
			if tt.wantCode == "" {
				if err != nil {
					t.Errorf("Ready = %v", err)
				}
				return
			}
			var re *ReadyError
			if !errors.As(err, &re) || re.Code != tt.wantCode || !strings.Contains(re.Message, tt.wantMsg) {
				t.Fatalf("Ready = %#v, want code %q", err, tt.wantCode)
			}
			if len(re.Message) > 600 {
				t.Errorf("Message is %d bytes, want it truncated", len(re.Message))
			}
		})
	}
}

func TestReadyTimeout(t *testing.T) {
	var f *fakeInstance
	f = newFake(t, func(w io.Writer, r *fakeReq) bool { return f.hang(w, r) })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := f.backend(t, "a").Ready(ctx)
	var re *ReadyError
	if err == nil || errors.As(err, &re) {
		t.Errorf("Ready = %v, want a plain error", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Ready took %v with a 100ms deadline", took)
	}
}
