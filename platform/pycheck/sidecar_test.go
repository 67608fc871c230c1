package pycheck_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"stargate/platform"
	"stargate/platform/pycheck"
)

// fakeRuntime is a platform.Runtime built from function fields.
type fakeRuntime struct {
	start func(ctx context.Context, spec platform.InstanceSpec) (platform.Instance, error)
	stop  func(ctx context.Context, id string) error
	list  func(ctx context.Context) ([]platform.Instance, error)
	state func(ctx context.Context, id string) (platform.InstanceState, error)
}

var _ platform.Runtime = (*fakeRuntime)(nil)

func (r *fakeRuntime) Start(ctx context.Context, spec platform.InstanceSpec) (platform.Instance, error) {
	return r.start(ctx, spec)
}

func (r *fakeRuntime) Stop(ctx context.Context, id string) error {
	if r.stop == nil {
		return nil
	}
	return r.stop(ctx, id)
}

func (r *fakeRuntime) List(ctx context.Context) ([]platform.Instance, error) {
	if r.list == nil {
		return nil, nil
	}
	return r.list(ctx)
}

func (r *fakeRuntime) Weigh(context.Context, string, int) error { return nil }

func (r *fakeRuntime) State(ctx context.Context, id string) (platform.InstanceState, error) {
	if r.state == nil {
		return platform.InstanceState{Running: true}, nil
	}
	return r.state(ctx, id)
}

func (r *fakeRuntime) Ping(context.Context) error { return nil }

// serveChecker answers every request on socket with ok.
func serveChecker(t *testing.T, socket string) {
	ln, err := net.Listen("unix", socket)
	if err != nil {
		t.Error(err)
		return
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				br := bufio.NewReader(conn)
				for {
					var req struct{ ID int64 }
					line, err := br.ReadBytes('\n')
					if err != nil {
						return
					}
					_ = json.Unmarshal(line, &req)
					fmt.Fprintf(conn, "{\"id\":%d,\"ok\":true}\n", req.ID)
				}
			}()
		}
	}()
}

func sidecarDir(t *testing.T) string {
	base, err := os.MkdirTemp("", "sc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = os.Chmod(filepath.Join(base, "c"), 0o755)
		_ = os.RemoveAll(base)
	})
	return filepath.Join(base, "c")
}

func TestSidecarStartStop(t *testing.T) {
	dir := sidecarDir(t)
	var mu sync.Mutex
	var stopped []string
	var specs []platform.InstanceSpec
	rt := &fakeRuntime{
		start: func(_ context.Context, spec platform.InstanceSpec) (platform.Instance, error) {
			mu.Lock()
			specs = append(specs, spec)
			mu.Unlock()
			serveChecker(t, filepath.Join(spec.SocketDir, pycheck.SocketName))
			return platform.Instance{ID: "new-checker-container", Role: spec.Role}, nil
		},
		list: func(context.Context) ([]platform.Instance, error) {
			return []platform.Instance{{ID: "old-checker", Role: platform.RoleChecker}, {ID: "fn", Role: platform.RoleFunction}}, nil
		},
		stop: func(_ context.Context, id string) error {
			mu.Lock()
			stopped = append(stopped, id)
			mu.Unlock()
			return nil
		},
	}
	s := pycheck.NewSidecar(rt, "img", dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := s.Start(ctx(t)); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if err := s.Client().Ping(ctx(t)); err != nil {
		t.Fatalf("Ping after Start: %v", err)
	}
	if err := s.Stop(ctx(t)); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := s.Stop(ctx(t)); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"old-checker", "new-checker-container"}; !slices.Equal(stopped, want) {
		t.Errorf("stopped %q, want %q (never a function's instance)", stopped, want)
	}
	if len(specs) != 1 {
		t.Fatalf("started %d instances, want 1", len(specs))
	}
	if got := specs[0]; got.Role != platform.RoleChecker || got.SocketDir != dir || got.Image != "img" || len(got.Env) != 0 {
		t.Errorf("spec = %+v", got)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o555 {
		t.Errorf("socket folder = %v, %v; want it locked (0555)", fi.Mode().Perm(), err)
	}
}

func TestSidecarStartFails(t *testing.T) {
	errEngine := errors.New("engine down")
	tests := []struct {
		name string
		rt   *fakeRuntime
		want error
	}{
		{"engine refuses", &fakeRuntime{start: func(context.Context, platform.InstanceSpec) (platform.Instance, error) {
			return platform.Instance{}, errEngine
		}}, errEngine},
		{"list fails", &fakeRuntime{list: func(context.Context) ([]platform.Instance, error) { return nil, errEngine }}, errEngine},
		{"checker exits", &fakeRuntime{
			start: func(context.Context, platform.InstanceSpec) (platform.Instance, error) {
				return platform.Instance{ID: "c"}, nil
			},
			state: func(context.Context, string) (platform.InstanceState, error) {
				return platform.InstanceState{Running: false, ExitCode: 3}, nil
			},
		}, platform.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := pycheck.NewSidecar(tt.rt, "img", sidecarDir(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err := s.Start(ctx(t)); !errors.Is(err, tt.want) {
				t.Errorf("Start = %v, want %v", err, tt.want)
			}
		})
	}
}
