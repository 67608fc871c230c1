package pycheck

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"stargate/platform"
	"stargate/platform/sockdir"
)

// Sidecar runs the checker as a walled container (no network, read-only,
// unprivileged: it parses hostile input) and restarts it when it stops
// answering. While it is down, Check fails with ErrUnavailable and nothing
// unchecked is loaded.
type Sidecar struct {
	rt     platform.Runtime
	image  string
	dir    string
	client *Client
	log    *slog.Logger

	mu sync.Mutex
	id string
}

// NewSidecar prepares a sidecar whose socket lives in dir.
func NewSidecar(rt platform.Runtime, image, dir string, log *slog.Logger) *Sidecar {
	return &Sidecar{
		rt:     rt,
		image:  image,
		dir:    dir,
		client: NewClient(filepath.Join(dir, SocketName)),
		log:    log,
	}
}

// Client is the validator served by this sidecar.
func (s *Sidecar) Client() *Client { return s.client }

// Start (re)starts the checker container and waits until it answers.
func (s *Sidecar) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.removeAll(ctx); err != nil {
		return err
	}
	s.client.CloseIdle()
	if err := sockdir.Prepare(s.dir); err != nil {
		return err
	}
	inst, err := s.rt.Start(ctx, platform.InstanceSpec{
		Role:      platform.RoleChecker,
		Revision:  "checker",
		Image:     s.image,
		Cmd:       []string{"/opt/stargate/stargate_checker.py", "--socket", "/run/stargate/" + SocketName},
		SocketDir: s.dir,
		MemoryMB:  512,
		NanoCPUs:  1e9,
		PidsLimit: 32,
	})
	if err != nil {
		return fmt.Errorf("start checker: %w", err)
	}
	s.id = inst.ID
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	alive := func(ctx context.Context) error {
		st, err := s.rt.State(ctx, inst.ID)
		if err == nil && !st.Running {
			return fmt.Errorf("%w: checker exited with code %d", platform.ErrUnavailable, st.ExitCode)
		}
		return err
	}
	if err := sockdir.WaitAndLock(wctx, s.dir, SocketName, alive); err != nil {
		return fmt.Errorf("start checker: %w", err)
	}
	if err := s.client.Ping(wctx); err != nil {
		return fmt.Errorf("start checker: %w", err)
	}
	s.log.Info("checker started", "container", shortID(inst.ID))
	return nil
}

// removeAll removes checker containers, including any left by an earlier
// process of this platform.
func (s *Sidecar) removeAll(ctx context.Context) error {
	list, err := s.rt.List(ctx)
	if err != nil {
		return err
	}
	for _, inst := range list {
		if inst.Role == platform.RoleChecker {
			if err := s.rt.Stop(ctx, inst.ID); err != nil {
				return err
			}
		}
	}
	s.id = ""
	return nil
}

// Run watches the checker until ctx ends, restarting it when it stops
// answering.
func (s *Sidecar) Run(ctx context.Context) {
	failures := 0
	backoff := time.Second
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
		pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		err := s.client.Ping(pctx)
		cancel()
		if err == nil {
			failures, backoff = 0, time.Second
			continue
		}
		if ctx.Err() != nil {
			return
		}
		failures++
		if failures < 2 {
			continue
		}
		s.log.Warn("checker is not answering; restarting it", "err", err)
		if err := s.Start(ctx); err != nil {
			s.log.Error("restart checker", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 30*time.Second)
		}
	}
}

// Stop removes the checker container.
func (s *Sidecar) Stop(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.client.CloseIdle()
	if s.id == "" {
		return nil
	}
	err := s.rt.Stop(ctx, s.id)
	s.id = ""
	return err
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
