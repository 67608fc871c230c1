package storetest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"stargate/platform"
	"stargate/platform/storetest"
)

// memory is the smallest store that keeps the contract: it checks the suite
// itself, with no disk and no server. Records go through JSON as they would
// in a real backend.
type memory struct {
	mu     sync.Mutex
	fns    map[platform.FunctionKey][]byte
	routes map[string]platform.FunctionKey
}

func newMemory() *memory {
	return &memory{fns: map[platform.FunctionKey][]byte{}, routes: map[string]platform.FunctionKey{}}
}

func (m *memory) Save(ctx context.Context, fn platform.Function) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for field, v := range map[string]string{"visible_pixel_hash": fn.Hash, "function_name": fn.Name, "improvement_type": fn.Type} {
		if v == "" || strings.Contains(v, "/") {
			return platform.Invalid(field, "must be set and contain no /")
		}
	}
	data, err := json.Marshal(fn)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	key, path := fn.Key(), ""
	if fn.ShortRoute {
		path = fn.ShortPath()
	}
	if owner, ok := m.routes[path]; ok && path != "" && owner != key {
		return &platform.ConflictError{Path: path, Owner: owner}
	}
	if old, ok := m.fns[key]; ok {
		var prev platform.Function
		if err := json.Unmarshal(old, &prev); err != nil {
			return err
		}
		if p := prev.ShortPath(); p != path && m.routes[p] == key {
			delete(m.routes, p)
		}
	}
	m.fns[key] = data
	if path != "" {
		m.routes[path] = key
	}
	return nil
}

func (m *memory) Get(ctx context.Context, key platform.FunctionKey) (platform.Function, error) {
	var fn platform.Function
	if err := ctx.Err(); err != nil {
		return fn, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	data, ok := m.fns[key]
	if !ok {
		return fn, fmt.Errorf("%w: %s", platform.ErrFunctionNotFound, key)
	}
	err := json.Unmarshal(data, &fn)
	return fn, err
}

func (m *memory) Delete(ctx context.Context, key platform.FunctionKey) error {
	fn, err := m.Get(ctx, key)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.fns, key)
	if m.routes[fn.ShortPath()] == key {
		delete(m.routes, fn.ShortPath())
	}
	return nil
}

func (m *memory) List(ctx context.Context) ([]platform.Function, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	fns := make([]platform.Function, 0, len(m.fns))
	for _, data := range m.fns {
		var fn platform.Function
		if err := json.Unmarshal(data, &fn); err != nil {
			return nil, err
		}
		fns = append(fns, fn)
	}
	return fns, nil
}

func (m *memory) Ping(ctx context.Context) error { return ctx.Err() }
func (m *memory) Close() error                   { return nil }

func TestMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) platform.Store { return newMemory() })
}

func TestMemoryPersistence(t *testing.T) {
	var mu sync.Mutex
	states := map[string]*memory{}
	storetest.RunPersistence(t, func(t *testing.T, state string) platform.Store {
		mu.Lock()
		defer mu.Unlock()
		if states[state] == nil {
			states[state] = newMemory()
		}
		return states[state]
	})
}
