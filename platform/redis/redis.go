// Package redis is the platform.Store that several Stargate replicas share.
// Writes run as Lua scripts, so claiming a short route is atomic across
// replicas.
//
// Keys, under a prefix (default "stargate:"):
//
//	<prefix>fn:<hash>/<name>  string: the function as JSON
//	<prefix>route:<path>      string: key of the function holding the short path
//	<prefix>fns               hash: function key -> the short path it holds
//
// The fns hash lets List run without SCAN and tells a Save or Delete which
// route to release without decoding the stored JSON. The scripts touch the
// route a function held before, which they learn from that hash, so all keys
// must live on one server: Redis Cluster is not supported.
package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"stargate/platform"
)

// DefaultPrefix starts every key the store writes.
const DefaultPrefix = "stargate:"

// Timeouts used unless the URL sets its own (dial_timeout, read_timeout,
// write_timeout). A request's context deadline applies when shorter.
const (
	dialTimeout  = 2 * time.Second
	readTimeout  = 2 * time.Second
	writeTimeout = 2 * time.Second
)

// Store keeps functions in Redis.
type Store struct {
	client *goredis.Client
	prefix string
	save   *goredis.Script
	delete *goredis.Script
}

var _ platform.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithPrefix puts every key under prefix instead of DefaultPrefix, so that
// separate deployments or tests can share one server.
func WithPrefix(prefix string) Option {
	return func(s *Store) { s.prefix = prefix }
}

// New connects to the Redis at rawURL (redis://[user:pass@]host:port/db or
// rediss://...) and pings it once, so a wrong address fails at start. Later
// outages return errors wrapping platform.ErrUnavailable; the client
// reconnects by itself when the server is back.
func New(ctx context.Context, rawURL string, opts ...Option) (*Store, error) {
	s, err := Open(rawURL, opts...)
	if err != nil {
		return nil, err
	}
	if err := s.Ping(ctx); err != nil {
		s.client.Close()
		return nil, fmt.Errorf("connect %s: %w", s.client.Options().Addr, err)
	}
	return s, nil
}

// Open is New without the first ping: the store connects when first used,
// so a process can start while Redis is down and catch up when it is back.
func Open(rawURL string, opts ...Option) (*Store, error) {
	o, err := goredis.ParseURL(rawURL)
	if err != nil {
		// The URL may hold a password: never repeat it.
		if uerr := (*url.Error)(nil); errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("parse redis url: %w", err)
	}
	if o.DialTimeout == 0 {
		o.DialTimeout = dialTimeout
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = readTimeout
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = writeTimeout
	}
	// go-redis retries a failed command (MaxRetries, default 3) on a fresh
	// connection, which rides out a restart; dialing five times inside each
	// of those attempts only makes a caller wait longer for its 503.
	if o.DialerRetries == 0 {
		o.DialerRetries = 1
	}
	o.ContextTimeoutEnabled = true
	s := &Store{
		client: goredis.NewClient(o),
		prefix: DefaultPrefix,
		save:   goredis.NewScript(saveScript),
		delete: goredis.NewScript(deleteScript),
	}
	for _, opt := range opts {
		opt(s)
	}
	return s, nil
}

// saveScript claims a short route and writes a function, or reports who
// holds the route and changes nothing.
//
//	KEYS[1] function key, KEYS[2] route key, KEYS[3] fns hash, KEYS[4]
//	versions hash
//	ARGV[1] function key string, ARGV[2] JSON, ARGV[3] short path, or ""
//	when the function holds none, ARGV[4] route key prefix (to release the
//	route the function held before), ARGV[5] the function's stamp
//
// Returns {"ok"} or {"conflict", owner}.
const saveScript = `
local claim = ARGV[3] ~= ''
if claim then
	local owner = redis.call('GET', KEYS[2])
	if owner and owner ~= ARGV[1] then
		return {'conflict', owner}
	end
end
local old = redis.call('HGET', KEYS[3], ARGV[1])
if old and old ~= '' and old ~= ARGV[3] then
	local oldRoute = ARGV[4] .. old
	if redis.call('GET', oldRoute) == ARGV[1] then
		redis.call('DEL', oldRoute)
	end
end
redis.call('SET', KEYS[1], ARGV[2])
if claim then
	redis.call('SET', KEYS[2], ARGV[1])
end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[4], ARGV[1], ARGV[5])
return {'ok'}
`

// deleteScript removes a function and releases its route if it holds it.
//
//	KEYS[1] function key, KEYS[2] fns hash, KEYS[3] versions hash
//	ARGV[1] function key string, ARGV[2] route key prefix
//
// Returns 1 if the function existed, 0 if not.
const deleteScript = `
local path = redis.call('HGET', KEYS[2], ARGV[1])
local existed = redis.call('DEL', KEYS[1])
redis.call('HDEL', KEYS[3], ARGV[1])
if not path then
	return existed
end
redis.call('HDEL', KEYS[2], ARGV[1])
if path == '' then
	return 1
end
local route = ARGV[2] .. path
if redis.call('GET', route) == ARGV[1] then
	redis.call('DEL', route)
end
return 1
`

// Save stores fn and claims its short path in one script.
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
	key, path := fn.Key().String(), ""
	if fn.ShortRoute {
		path = fn.ShortPath()
	}
	res, err := s.save.Run(ctx, s.client,
		[]string{s.fnKey(key), s.routeKey(path), s.indexKey(), s.versionsKey()},
		key, data, path, s.routeKey(""), fn.Stamp(),
	).StringSlice()
	if err != nil {
		return wrap("save "+key, err)
	}
	switch {
	case len(res) == 1 && res[0] == "ok":
		return nil
	case len(res) == 2 && res[0] == "conflict":
		return &platform.ConflictError{Path: path, Owner: parseKey(res[1])}
	}
	return fmt.Errorf("save %s: unexpected reply %q", key, res)
}

// Get returns the function with key; ErrFunctionNotFound if none.
func (s *Store) Get(ctx context.Context, key platform.FunctionKey) (platform.Function, error) {
	var fn platform.Function
	if err := ctx.Err(); err != nil {
		return fn, err
	}
	data, err := s.client.Get(ctx, s.fnKey(key.String())).Bytes()
	if errors.Is(err, goredis.Nil) {
		return fn, fmt.Errorf("%w: %s", platform.ErrFunctionNotFound, key)
	}
	if err != nil {
		return fn, wrap("get "+key.String(), err)
	}
	if err := json.Unmarshal(data, &fn); err != nil {
		return fn, fmt.Errorf("decode %s: %w", key, err)
	}
	return fn, nil
}

// Delete removes the function with key and releases its short path;
// ErrFunctionNotFound if none.
func (s *Store) Delete(ctx context.Context, key platform.FunctionKey) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	k := key.String()
	n, err := s.delete.Run(ctx, s.client,
		[]string{s.fnKey(k), s.indexKey(), s.versionsKey()},
		k, s.routeKey(""),
	).Int()
	if err != nil {
		return wrap("delete "+k, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: %s", platform.ErrFunctionNotFound, key)
	}
	return nil
}

// List returns every stored function: two round trips, whatever their number.
func (s *Store) List(ctx context.Context) ([]platform.Function, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	keys, err := s.client.HKeys(ctx, s.indexKey()).Result()
	if err != nil {
		return nil, wrap("list", err)
	}
	fns := make([]platform.Function, 0, len(keys))
	if len(keys) == 0 {
		return fns, nil
	}
	for i, k := range keys {
		keys[i] = s.fnKey(k)
	}
	values, err := s.client.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, wrap("list", err)
	}
	for i, v := range values {
		data, ok := v.(string)
		if !ok {
			continue // deleted since HKEYS
		}
		var fn platform.Function
		if err := json.Unmarshal([]byte(data), &fn); err != nil {
			return nil, fmt.Errorf("decode %s: %w", keys[i], err)
		}
		fns = append(fns, fn)
	}
	return fns, nil
}

// Ping reports whether Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return wrap("ping", s.client.Ping(ctx).Err())
}

// Close closes the client's connections.
func (s *Store) Close() error {
	if err := s.client.Close(); err != nil {
		return fmt.Errorf("close redis: %w", err)
	}
	return nil
}

func (s *Store) fnKey(key string) string     { return s.prefix + "fn:" + key }
func (s *Store) routeKey(path string) string { return s.prefix + "route:" + path }
func (s *Store) indexKey() string            { return s.prefix + "fns" }
func (s *Store) versionsKey() string         { return s.prefix + "versions" }

var _ platform.Changes = (*Store)(nil)

// Versions returns every function's stamp in one round trip.
func (s *Store) Versions(ctx context.Context) (map[platform.FunctionKey]string, string, error) {
	var b [8]byte
	_, _ = rand.Read(b[:])
	var all *goredis.MapStringStringCmd
	var epoch *goredis.StringCmd
	// One round trip: an epoch is set if there is none (a new or emptied
	// server), then read with the versions.
	_, err := s.client.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		p.SetNX(ctx, s.epochKey(), hex.EncodeToString(b[:]), 0)
		epoch = p.Get(ctx, s.epochKey())
		all = p.HGetAll(ctx, s.versionsKey())
		return nil
	})
	if err != nil {
		return nil, "", wrap("versions", err)
	}
	out := make(map[platform.FunctionKey]string, len(all.Val()))
	for k, v := range all.Val() {
		out[platform.ParseKey(k)] = v
	}
	return out, epoch.Val(), nil
}

func (s *Store) epochKey() string { return s.prefix + "epoch" }

// wrap marks every failure but a reply from Redis as ErrUnavailable, so the
// API answers 503: refused or dropped connections, timeouts, a closed pool,
// and the replies that mean "not now" (loading, read-only replica, ...).
// The cause stays in the chain for errors.Is.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var reply goredis.Error
	if errors.As(err, &reply) && !transient(err) {
		return fmt.Errorf("%s: redis: %w", op, err)
	}
	return fmt.Errorf("%w: redis: %s: %w", platform.ErrUnavailable, op, err)
}

func transient(err error) bool {
	return goredis.IsLoadingError(err) || goredis.IsReadOnlyError(err) ||
		goredis.IsMasterDownError(err) || goredis.IsClusterDownError(err) ||
		goredis.IsTryAgainError(err) || goredis.IsMaxClientsError(err)
}

// parseKey reads a key written by FunctionKey.String. CheckKey keeps "/"
// out of hashes, so the first one splits.
func parseKey(s string) platform.FunctionKey {
	return platform.ParseKey(s)
}
