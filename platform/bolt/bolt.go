// Package bolt is the embedded platform.Store: one bbolt file on local disk,
// for a single Stargate process. Every write is one fsynced transaction.
package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"stargate/platform"
)

// ErrInUse is returned by Open when another process holds the file.
var ErrInUse = errors.New("store is in use by another process")

// openTimeout bounds the wait for the file lock, so a second process fails
// with ErrInUse instead of hanging.
const openTimeout = time.Second

// Buckets: functions maps "hash/name" to the function as JSON; routes maps a
// short path to the key of the function that holds it.
const (
	functionsBucket = "functions"
	routesBucket    = "routes"
)

// Store keeps functions in a bbolt file.
type Store struct {
	db *bbolt.DB
}

var _ platform.Store = (*Store)(nil)

// Open opens or creates the store at path. The directory must exist.
func Open(path string) (*Store, error) {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: openTimeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w", path, ErrInUse)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, name := range []string{functionsBucket, routesBucket} {
			if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Save stores fn and claims its short path in one transaction.
func (s *Store) Save(ctx context.Context, fn platform.Function) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := fn.CheckKey(); err != nil {
		return err
	}
	data, err := json.Marshal(fn)
	if err != nil {
		return fmt.Errorf("encode %s: %w", fn.Key(), err)
	}
	key := []byte(fn.Key().String())
	var path []byte // nil: the function holds no short path
	if fn.ShortRoute {
		path = []byte(fn.ShortPath())
	}
	return s.db.Update(func(tx *bbolt.Tx) error {
		fns, routes := tx.Bucket([]byte(functionsBucket)), tx.Bucket([]byte(routesBucket))
		if path != nil {
			if owner := routes.Get(path); owner != nil && !bytes.Equal(owner, key) {
				return &platform.ConflictError{Path: string(path), Owner: parseKey(owner)}
			}
		}
		if old := fns.Get(key); old != nil {
			if err := release(routes, key, old, path); err != nil {
				return err
			}
		}
		if err := fns.Put(key, data); err != nil {
			return fmt.Errorf("put %s: %w", key, err)
		}
		if path == nil {
			return nil
		}
		if err := routes.Put(path, key); err != nil {
			return fmt.Errorf("claim %s: %w", path, err)
		}
		return nil
	})
}

// Get returns the function with key; ErrFunctionNotFound if none.
func (s *Store) Get(ctx context.Context, key platform.FunctionKey) (platform.Function, error) {
	var fn platform.Function
	if err := ctx.Err(); err != nil {
		return fn, err
	}
	err := s.db.View(func(tx *bbolt.Tx) error {
		data := tx.Bucket([]byte(functionsBucket)).Get([]byte(key.String()))
		if data == nil {
			return fmt.Errorf("%w: %s", platform.ErrFunctionNotFound, key)
		}
		if err := json.Unmarshal(data, &fn); err != nil {
			return fmt.Errorf("decode %s: %w", key, err)
		}
		return nil
	})
	return fn, err
}

// Delete removes the function with key and releases its short path;
// ErrFunctionNotFound if none.
func (s *Store) Delete(ctx context.Context, key platform.FunctionKey) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	k := []byte(key.String())
	return s.db.Update(func(tx *bbolt.Tx) error {
		fns, routes := tx.Bucket([]byte(functionsBucket)), tx.Bucket([]byte(routesBucket))
		old := fns.Get(k)
		if old == nil {
			return fmt.Errorf("%w: %s", platform.ErrFunctionNotFound, key)
		}
		if err := release(routes, k, old, nil); err != nil {
			return err
		}
		if err := fns.Delete(k); err != nil {
			return fmt.Errorf("delete %s: %w", key, err)
		}
		return nil
	})
}

// List returns every stored function.
func (s *Store) List(ctx context.Context) ([]platform.Function, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fns := []platform.Function{}
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(functionsBucket)).ForEach(func(k, v []byte) error {
			var fn platform.Function
			if err := json.Unmarshal(v, &fn); err != nil {
				return fmt.Errorf("decode %s: %w", k, err)
			}
			fns = append(fns, fn)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	return fns, nil
}

// Ping reports whether the store is open.
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.db.View(func(*bbolt.Tx) error { return nil }); err != nil {
		return fmt.Errorf("%w: bolt: %w", platform.ErrUnavailable, err)
	}
	return nil
}

// Close closes the file.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close %s: %w", s.db.Path(), err)
	}
	return nil
}

// release frees the short path of the stored function old, held under key,
// unless it is keep. A path is only freed if key holds it.
func release(routes *bbolt.Bucket, key, old, keep []byte) error {
	// Only the type and name decide the path; skip decoding the files.
	var prev struct {
		Name string `json:"function_name"`
		Type string `json:"improvement_type"`
	}
	if err := json.Unmarshal(old, &prev); err != nil {
		return fmt.Errorf("decode %s: %w", key, err)
	}
	path := []byte(platform.ShortPath(prev.Type, prev.Name))
	if bytes.Equal(path, keep) || !bytes.Equal(routes.Get(path), key) {
		return nil
	}
	if err := routes.Delete(path); err != nil {
		return fmt.Errorf("release %s: %w", path, err)
	}
	return nil
}

// parseKey reads a key written by FunctionKey.String. CheckKey keeps "/"
// out of hashes, so the first one splits.
func parseKey(b []byte) platform.FunctionKey {
	return platform.ParseKey(string(b))
}
