// Package storetest is the test suite every platform.Store runs, so the
// embedded store and Redis keep the same contract: the same not-found errors,
// the same short-route rules, the same answers under concurrent Saves.
package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"stargate/platform"
)

// Run runs the suite. open returns a new, empty store for one test case; the
// suite closes it when the case ends. Cases may run in parallel.
func Run(t *testing.T, open func(t *testing.T) platform.Store) {
	t.Helper()
	cases := []struct {
		name string
		run  func(t *testing.T, s platform.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"NotFound", testNotFound},
		{"Replace", testReplace},
		{"ResaveKeepsRoute", testResaveKeepsRoute},
		{"ShortPathConflict", testShortPathConflict},
		{"SameNameOtherType", testSameNameOtherType},
		{"TypeChangeReleasesRoute", testTypeChangeReleasesRoute},
		{"TypeChangeConflict", testTypeChangeConflict},
		{"DeleteReleasesRoute", testDeleteReleasesRoute},
		{"LongRouteOnly", testLongRouteOnly},
		{"List", testList},
		{"ConcurrentClaims", testConcurrentClaims},
		{"Invalid", testInvalid},
		{"CanceledContext", testCanceledContext},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			closeOnCleanup(t, s)
			tc.run(t, s)
		})
	}
}

// RunPersistence checks that a store opened later over the same state reads
// what an earlier one saved: a restart, or another replica. open(t, state)
// opens a store over state, a short name made of letters, digits and
// dashes; two calls with the same state must share data and different
// states must not. The suite closes every store it opens, and closes the
// first before opening the second.
func RunPersistence(t *testing.T, open func(t *testing.T, state string) platform.Store) {
	t.Helper()
	t.Run("Reopen", func(t *testing.T) {
		ctx := context.Background()
		first := open(t, "reopen")
		closed := false
		t.Cleanup(func() {
			if !closed {
				first.Close()
			}
		})
		a := Sample("aaaa", "add", platform.TypeAPI)
		b := Sample("bbbb", "scan_it", platform.TypeScan)
		gone := Sample("cccc", "gone", platform.TypeAgent)
		for _, fn := range []platform.Function{a, b, gone} {
			mustSave(t, first, fn)
		}
		if err := first.Delete(ctx, gone.Key()); err != nil {
			t.Fatalf("delete: %v", err)
		}
		closed = true
		if err := first.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}

		second := open(t, "reopen")
		closeOnCleanup(t, second)
		for _, want := range []platform.Function{a, b} {
			got, err := second.Get(ctx, want.Key())
			if err != nil {
				t.Fatalf("get %s after reopen: %v", want.Key(), err)
			}
			assertEqual(t, got, want)
		}
		if _, err := second.Get(ctx, gone.Key()); !errors.Is(err, platform.ErrFunctionNotFound) {
			t.Errorf("get deleted after reopen: got %v, want ErrFunctionNotFound", err)
		}
		assertKeys(t, second, a.Key(), b.Key())
		// Routes survive too: another sandbox cannot take a's short path,
		// and the deleted function's one is free.
		assertConflict(t, second.Save(ctx, Sample("dddd", "add", platform.TypeAPI)), a.ShortPath(), a.Key())
		mustSave(t, second, Sample("dddd", "gone", platform.TypeAgent))
	})
	t.Run("Isolated", func(t *testing.T) {
		one := open(t, "isolated-one")
		closeOnCleanup(t, one)
		two := open(t, "isolated-two")
		closeOnCleanup(t, two)
		mustSave(t, one, Sample("aaaa", "add", platform.TypeAPI))
		mustSave(t, two, Sample("bbbb", "add", platform.TypeAPI))
		assertKeys(t, one, platform.FunctionKey{Hash: "aaaa", Name: "add"})
		assertKeys(t, two, platform.FunctionKey{Hash: "bbbb", Name: "add"})
	})
}

// Sample returns a function with every field set, binary files and JSON
// schemas included, so a round trip that drops anything shows.
func Sample(hash, name, typ string) platform.Function {
	files := platform.Files{
		"main.py":        []byte("def " + name + "(a: int, b: int = 2) -> int:\n    return a + b\n"),
		"lib/helpers.py": []byte("X = 1\n"),
		"data/blob.bin":  {0x00, 0xff, 0xfe, 0x80, '\n', 0x00},
		"empty.txt":      {},
	}
	return platform.Function{
		Hash:           hash,
		Name:           name,
		Module:         "main",
		Language:       platform.LanguagePython,
		Type:           typ,
		TimeoutSeconds: 7,
		MemoryMB:       128,
		Revision:       files.Digest(),
		Files:          files,
		Signature: platform.Signature{
			Params: []platform.Param{
				{Name: "a", Kind: "positional_or_keyword", Annotation: "int", Required: true, Schema: json.RawMessage(`{"type":"integer"}`)},
				{Name: "b", Kind: "positional_or_keyword", Annotation: "int", Default: "2", Schema: json.RawMessage(`{"type": "integer", "default": 2}`)},
			},
			Doc:          "Adds two numbers.\nÜnïcode too.",
			Returns:      "int",
			ReturnSchema: json.RawMessage(`{"type":"integer"}`),
		},
		LoadedAt:   time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.FixedZone("CET", 3600)),
		ShortRoute: true,
	}
}

func testRoundTrip(t *testing.T, s platform.Store) {
	ctx := context.Background()
	want := Sample("0123abcd", "add", platform.TypeAPI)
	if err := s.Save(ctx, want); err != nil {
		t.Fatalf("save: %v", err)
	}
	got, err := s.Get(ctx, want.Key())
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	assertEqual(t, got, want)
	if err := s.Ping(ctx); err != nil {
		t.Errorf("ping: %v", err)
	}
}

func testNotFound(t *testing.T, s platform.Store) {
	ctx := context.Background()
	mustSave(t, s, Sample("aaaa", "add", platform.TypeAPI))
	missing := []platform.FunctionKey{
		{Hash: "aaaa", Name: "sub"},  // same sandbox, other name
		{Hash: "bbbb", Name: "add"},  // same name, other sandbox
		{Hash: "zzzz", Name: "none"}, // nothing alike
	}
	for _, key := range missing {
		if _, err := s.Get(ctx, key); !errors.Is(err, platform.ErrFunctionNotFound) {
			t.Errorf("get %s: got %v, want ErrFunctionNotFound", key, err)
		}
		if err := s.Delete(ctx, key); !errors.Is(err, platform.ErrFunctionNotFound) {
			t.Errorf("delete %s: got %v, want ErrFunctionNotFound", key, err)
		}
	}
	assertKeys(t, s, platform.FunctionKey{Hash: "aaaa", Name: "add"})
}

func testReplace(t *testing.T, s platform.Store) {
	ctx := context.Background()
	v1 := Sample("aaaa", "add", platform.TypeAPI)
	mustSave(t, s, v1)
	v2 := Sample("aaaa", "add", platform.TypeAPI)
	v2.Files = platform.Files{"main.py": []byte("def add(a, b):\n    return b + a\n")}
	v2.Revision = v2.Files.Digest()
	v2.Signature = platform.Signature{Params: []platform.Param{{Name: "a", Required: true}, {Name: "b", Required: true}}}
	v2.TimeoutSeconds = 3
	v2.LoadedAt = v1.LoadedAt.Add(time.Minute)
	mustSave(t, s, v2)
	got, err := s.Get(ctx, v1.Key())
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	assertEqual(t, got, v2)
	assertKeys(t, s, v1.Key())
}

func testResaveKeepsRoute(t *testing.T, s platform.Store) {
	ctx := context.Background()
	a := Sample("aaaa", "add", platform.TypeAPI)
	for i := 0; i < 3; i++ {
		if err := s.Save(ctx, a); err != nil {
			t.Fatalf("save #%d: %v", i+1, err)
		}
	}
	assertConflict(t, s.Save(ctx, Sample("bbbb", "add", platform.TypeAPI)), a.ShortPath(), a.Key())
}

func testShortPathConflict(t *testing.T, s platform.Store) {
	ctx := context.Background()
	first := Sample("aaaa", "add", platform.TypeAPI)
	mustSave(t, s, first)
	second := Sample("bbbb", "add", platform.TypeAPI)
	err := s.Save(ctx, second)
	assertConflict(t, err, "/improved/api/add", first.Key())

	// Nothing changed: the first is still stored, the second is not.
	got, err := s.Get(ctx, first.Key())
	if err != nil {
		t.Fatalf("get first: %v", err)
	}
	assertEqual(t, got, first)
	if _, err := s.Get(ctx, second.Key()); !errors.Is(err, platform.ErrFunctionNotFound) {
		t.Errorf("get second: got %v, want ErrFunctionNotFound", err)
	}
	assertKeys(t, s, first.Key())
}

func testSameNameOtherType(t *testing.T, s platform.Store) {
	ctx := context.Background()
	fns := []platform.Function{
		Sample("aaaa", "run", platform.TypeAPI),
		Sample("bbbb", "run", platform.TypeScan),
		Sample("cccc", "run", platform.TypeAgent),
	}
	for _, fn := range fns {
		if err := s.Save(ctx, fn); err != nil {
			t.Fatalf("save %s as %s: %v", fn.Key(), fn.Type, err)
		}
	}
	assertKeys(t, s, fns[0].Key(), fns[1].Key(), fns[2].Key())
}

func testTypeChangeReleasesRoute(t *testing.T, s platform.Store) {
	ctx := context.Background()
	a := Sample("aaaa", "add", platform.TypeAPI)
	mustSave(t, s, a)
	moved := a
	moved.Type = platform.TypeScan
	mustSave(t, s, moved)

	got, err := s.Get(ctx, a.Key())
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if got.Type != platform.TypeScan {
		t.Errorf("type: got %q, want %q", got.Type, platform.TypeScan)
	}
	// The old path is free for another sandbox; the new one is taken.
	b := Sample("bbbb", "add", platform.TypeAPI)
	if err := s.Save(ctx, b); err != nil {
		t.Fatalf("claim released %s: %v", a.ShortPath(), err)
	}
	assertConflict(t, s.Save(ctx, Sample("cccc", "add", platform.TypeScan)), moved.ShortPath(), a.Key())

	// Moving back must not take the path from its new owner.
	assertConflict(t, s.Save(ctx, a), a.ShortPath(), b.Key())
	got, err = s.Get(ctx, a.Key())
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	assertEqual(t, got, moved)
}

func testTypeChangeConflict(t *testing.T, s platform.Store) {
	ctx := context.Background()
	a := Sample("aaaa", "add", platform.TypeAPI)
	b := Sample("bbbb", "add", platform.TypeScan)
	mustSave(t, s, a)
	mustSave(t, s, b)

	// a asks for b's path: refused, and a keeps its record and its route.
	moved := a
	moved.Type = platform.TypeScan
	assertConflict(t, s.Save(ctx, moved), b.ShortPath(), b.Key())
	got, err := s.Get(ctx, a.Key())
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	assertEqual(t, got, a)
	assertConflict(t, s.Save(ctx, Sample("cccc", "add", platform.TypeAPI)), a.ShortPath(), a.Key())
}

func testDeleteReleasesRoute(t *testing.T, s platform.Store) {
	ctx := context.Background()
	a := Sample("aaaa", "add", platform.TypeAPI)
	keep := Sample("aaaa", "sub", platform.TypeAPI)
	mustSave(t, s, a)
	mustSave(t, s, keep)
	if err := s.Delete(ctx, a.Key()); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := s.Get(ctx, a.Key()); !errors.Is(err, platform.ErrFunctionNotFound) {
		t.Errorf("get deleted: got %v, want ErrFunctionNotFound", err)
	}
	if err := s.Delete(ctx, a.Key()); !errors.Is(err, platform.ErrFunctionNotFound) {
		t.Errorf("delete twice: got %v, want ErrFunctionNotFound", err)
	}
	b := Sample("bbbb", "add", platform.TypeAPI)
	if err := s.Save(ctx, b); err != nil {
		t.Fatalf("claim released %s: %v", a.ShortPath(), err)
	}
	// Deleting one function leaves its sandbox's other routes alone.
	assertConflict(t, s.Save(ctx, Sample("cccc", "sub", platform.TypeAPI)), keep.ShortPath(), keep.Key())
	assertKeys(t, s, keep.Key(), b.Key())
}

func testList(t *testing.T, s platform.Store) {
	ctx := context.Background()
	got, err := s.List(ctx)
	if err != nil {
		t.Fatalf("list empty: %v", err)
	}
	if len(got) != 0 {
		t.Fatalf("list empty: got %d functions, want 0", len(got))
	}
	want := map[platform.FunctionKey]platform.Function{}
	types := []string{platform.TypeAPI, platform.TypeScan, platform.TypeAgent}
	for i := 0; i < 9; i++ {
		fn := Sample(fmt.Sprintf("hash%d", i%3), fmt.Sprintf("fn%d", i), types[i%3])
		mustSave(t, s, fn)
		want[fn.Key()] = fn
	}
	got, err = s.List(ctx)
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("list: got %d functions, want %d", len(got), len(want))
	}
	for _, fn := range got {
		w, ok := want[fn.Key()]
		if !ok {
			t.Errorf("list: unexpected %s", fn.Key())
			continue
		}
		assertEqual(t, fn, w)
		delete(want, fn.Key())
	}
}

func testConcurrentClaims(t *testing.T, s platform.Store) {
	ctx := context.Background()
	const n = 16
	errs := make([]error, n)
	fns := make([]platform.Function, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		fns[i] = Sample(fmt.Sprintf("sandbox%02d", i), "add", platform.TypeAPI)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = s.Save(ctx, fns[i])
		}()
	}
	close(start)
	wg.Wait()

	winner := -1
	for i, err := range errs {
		if err == nil {
			if winner >= 0 {
				t.Fatalf("both %s and %s claimed %s", fns[winner].Key(), fns[i].Key(), fns[i].ShortPath())
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatalf("nobody claimed the path: %v", errs)
	}
	for i, err := range errs {
		if i != winner {
			assertConflict(t, err, fns[i].ShortPath(), fns[winner].Key())
		}
	}
	assertKeys(t, s, fns[winner].Key())
}

// testInvalid checks that Save refuses what would make keys or routes
// ambiguous: a key is hash/name, a route /improved/type/name.
func testInvalid(t *testing.T, s platform.Store) {
	ctx := context.Background()
	bad := []struct{ hash, name, typ string }{
		{"", "add", platform.TypeAPI},
		{"aaaa", "", platform.TypeAPI},
		{"aaaa", "add", ""},
		{"aa/aa", "add", platform.TypeAPI},
		{"aaaa", "a/dd", platform.TypeAPI},
		{"aaaa", "add", "a/pi"},
	}
	for _, b := range bad {
		if err := s.Save(ctx, Sample(b.hash, b.name, b.typ)); !errors.Is(err, platform.ErrInvalid) {
			t.Errorf("save hash %q name %q type %q: got %v, want ErrInvalid", b.hash, b.name, b.typ, err)
		}
	}
	assertKeys(t, s)
}

func testCanceledContext(t *testing.T, s platform.Store) {
	mustSave(t, s, Sample("aaaa", "add", platform.TypeAPI))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	key := platform.FunctionKey{Hash: "aaaa", Name: "add"}
	calls := map[string]error{
		"save": s.Save(ctx, Sample("bbbb", "sub", platform.TypeAPI)),
		"get":  func() error { _, err := s.Get(ctx, key); return err }(),
		"list": func() error { _, err := s.List(ctx); return err }(),
	}
	for name, err := range calls {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: got %v, want context.Canceled", name, err)
		}
	}
	if err := s.Delete(ctx, key); !errors.Is(err, context.Canceled) {
		t.Errorf("delete: got %v, want context.Canceled", err)
	}
	// Nothing happened.
	assertKeys(t, s, key)
}

func closeOnCleanup(t *testing.T, s platform.Store) {
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
}

func mustSave(t *testing.T, s platform.Store, fn platform.Function) {
	t.Helper()
	if err := s.Save(context.Background(), fn); err != nil {
		t.Fatalf("save %s: %v", fn.Key(), err)
	}
}

func assertConflict(t *testing.T, err error, path string, owner platform.FunctionKey) {
	t.Helper()
	var conflict *platform.ConflictError
	if !errors.As(err, &conflict) {
		t.Errorf("got %v, want a *ConflictError", err)
		return
	}
	if !errors.Is(err, platform.ErrConflict) {
		t.Errorf("errors.Is(%v, ErrConflict) = false", err)
	}
	if conflict.Path != path || conflict.Owner != owner {
		t.Errorf("conflict: got %s held by %s, want %s held by %s", conflict.Path, conflict.Owner, path, owner)
	}
}

// assertKeys checks that List returns exactly keys.
func assertKeys(t *testing.T, s platform.Store, keys ...platform.FunctionKey) {
	t.Helper()
	fns, err := s.List(context.Background())
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	got := make([]string, 0, len(fns))
	for _, fn := range fns {
		got = append(got, fn.Key().String())
	}
	want := make([]string, 0, len(keys))
	for _, k := range keys {
		want = append(want, k.String())
	}
	sort.Strings(got)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("list: got %q, want %q", got, want)
	}
}

// assertEqual compares two functions field by field. Times compare with
// Equal (a round trip may change the location, never the instant) and JSON
// schemas by their compact form.
func assertEqual(t *testing.T, got, want platform.Function) {
	t.Helper()
	if !got.LoadedAt.Equal(want.LoadedAt) {
		t.Errorf("%s: LoadedAt: got %v, want %v", want.Key(), got.LoadedAt, want.LoadedAt)
	}
	g, w := normalize(t, got), normalize(t, want)
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s: round trip differs:\n got  %+v\n want %+v", want.Key(), g, w)
	}
}

func normalize(t *testing.T, fn platform.Function) platform.Function {
	t.Helper()
	fn.LoadedAt = time.Time{}
	params := make([]platform.Param, len(fn.Signature.Params))
	for i, p := range fn.Signature.Params {
		p.Schema = compact(t, p.Schema)
		params[i] = p
	}
	fn.Signature.Params = params
	fn.Signature.ReturnSchema = compact(t, fn.Signature.ReturnSchema)
	return fn
}

func compact(t *testing.T, raw json.RawMessage) json.RawMessage {
	t.Helper()
	if len(raw) == 0 {
		return nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatalf("compact %s: %v", raw, err)
	}
	return b.Bytes()
}

// testLongRouteOnly: a function that does not ask for its short path neither
// conflicts over it nor holds it, and gives up the one it held.
func testLongRouteOnly(t *testing.T, s platform.Store) {
	ctx := context.Background()
	a := Sample("aaaa", "add", platform.TypeAPI)
	mustSave(t, s, a)
	b := Sample("bbbb", "add", platform.TypeAPI)
	b.ShortRoute = false
	mustSave(t, s, b) // no conflict: b does not ask for the path
	if got, err := s.Get(ctx, b.Key()); err != nil || got.ShortRoute {
		t.Fatalf("get long-only function: %+v, %v", got, err)
	}
	a.ShortRoute = false
	mustSave(t, s, a) // a gives its path up
	c := Sample("cccc", "add", platform.TypeAPI)
	if err := s.Save(ctx, c); err != nil {
		t.Fatalf("claim path released by a long-only save: %v", err)
	}
	if err := s.Delete(ctx, b.Key()); err != nil {
		t.Fatalf("delete long-only function: %v", err)
	}
	assertConflict(t, s.Save(ctx, Sample("dddd", "add", platform.TypeAPI)), c.ShortPath(), c.Key())
}
