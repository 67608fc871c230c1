package bind

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

func n(s string) json.Number { return json.Number(s) }

func TestInt(t *testing.T) {
	tests := []struct {
		v    any
		bits int
		want int64
		err  string
	}{
		{"42", 64, 42, ""},
		{" -7 ", 64, -7, ""},
		{"+3", 64, 3, ""},
		{"007", 64, 7, ""},
		{n("5"), 64, 5, ""},
		{n("5.0"), 64, 5, ""},
		{n("1e3"), 64, 1000, ""},
		{n("9007199254740993"), 64, 9007199254740993, ""}, // beyond float64's exact integers
		{"1.5", 64, 0, "expected an integer, got '1.5'"},
		{n("1.5"), 64, 0, "expected an integer, got 1.5"},
		{"x", 64, 0, "expected an integer, got 'x'"},
		{"--1", 64, 0, "expected an integer, got '--1'"},
		{"1_000", 64, 0, "expected an integer, got '1_000'"},
		{true, 64, 0, "expected an integer, got true"},
		{nil, 64, 0, "expected an integer, got null"},
		{[]any{}, 64, 0, "expected an integer, got a list"},
		{"300", 8, 0, "expected an integer between -128 and 127, got '300'"},
		{n("300"), 8, 0, "expected an integer between -128 and 127, got 300"},
		{n("-128"), 8, -128, ""},
	}
	for _, tt := range tests {
		got, b := Int(tt.v, tt.bits)
		if msg := text(b); got != tt.want || msg != tt.err {
			t.Errorf("Int(%#v, %d) = %d, %q; want %d, %q", tt.v, tt.bits, got, msg, tt.want, tt.err)
		}
	}
}

func TestUintFloatBoolString(t *testing.T) {
	type check struct {
		got  any
		b    *Bad
		want any
		err  string
	}
	u := func(v any, bits int) check { x, b := Uint(v, bits); return check{got: x, b: b} }
	f := func(v any, bits int) check { x, b := Float(v, bits); return check{got: x, b: b} }
	bo := func(v any) check { x, b := Bool(v); return check{got: x, b: b} }
	s := func(v any) check { x, b := String(v); return check{got: x, b: b} }
	tests := []struct {
		c    check
		want any
		err  string
	}{
		{u("5", 64), uint64(5), ""},
		{u(n("255"), 8), uint64(255), ""},
		{u(n("256"), 8), uint64(0), "expected an integer between 0 and 255, got 256"},
		{u("-1", 64), uint64(0), "expected an integer between 0 and 18446744073709551615, got '-1'"},
		{f("2.5", 64), 2.5, ""},
		{f(n("1e308"), 64), 1e308, ""},
		{f(n("1e40"), 32), 0.0, "expected a number, got 1e40"},
		{f("inf", 64), math.Inf(1), ""},
		{f(false, 64), 0.0, "expected a number, got false"},
		{bo("Yes"), true, ""},
		{bo(" off "), false, ""},
		{bo(n("1")), true, ""},
		{bo(n("2")), false, "expected a boolean, got 2"},
		{bo("maybe"), false, "expected a boolean, got 'maybe'"},
		{s("x"), "x", ""},
		{s(n("5")), "", "expected a string, got 5"},
		{s(map[string]any{}), "", "expected a string, got an object"},
	}
	for i, tt := range tests {
		if msg := text(tt.c.b); !reflect.DeepEqual(tt.c.got, tt.want) || msg != tt.err {
			t.Errorf("case %d: got %#v, %q; want %#v, %q", i, tt.c.got, msg, tt.want, tt.err)
		}
	}
}

func TestBytes(t *testing.T) {
	for _, s := range []string{"aGk=", "aGk", "aGk-"[:3]} {
		if b, bad := Bytes(s); bad != nil || string(b) != "hi" {
			t.Errorf("Bytes(%q) = %q, %v", s, b, bad)
		}
	}
	if _, bad := Bytes("%%%"); text(bad) != "expected a base64 string, got '%%%'" {
		t.Errorf("Bytes(%%%%%%): %q", text(bad))
	}
}

func TestListAndObject(t *testing.T) {
	items, iq, b := List("a", true)
	if b != nil || !iq || !reflect.DeepEqual(items, []any{"a"}) {
		t.Errorf("single query value: %v %v %v", items, iq, b)
	}
	items, iq, b = List([]string{"a", "b"}, true)
	if b != nil || !iq || len(items) != 2 {
		t.Errorf("repeated query value: %v %v %v", items, iq, b)
	}
	items, iq, b = List(` [1, "x"]`, true)
	if b != nil || iq || !reflect.DeepEqual(items, []any{n("1"), "x"}) {
		t.Errorf("JSON query value: %v %v %v", items, iq, b)
	}
	if _, _, b = List("[1,", true); text(b) != "got '[1,', which is not valid JSON" {
		t.Errorf("bad JSON query value: %q", text(b))
	}
	if _, _, b = List(map[string]any{}, false); text(b) != "expected a list, got an object" {
		t.Errorf("object as list: %q", text(b))
	}
	if items, _, b = List(nil, false); b != nil || items != nil {
		t.Errorf("null list: %v %v", items, b)
	}
	if _, _, b = Array([]any{n("1")}, false, 2); text(b) != "expected a list of 2 items, got 1" {
		t.Errorf("short array: %q", text(b))
	}
	if m, b := Object(`{"a":1}`, true, false); b != nil || m["a"] != n("1") {
		t.Errorf("JSON object query value: %v %v", m, b)
	}
	if _, b := Object("a=1", true, false); text(b) != "expected an object, got 'a=1'" {
		t.Errorf("plain query value as object: %q", text(b))
	}
	if _, b := Object(nil, false, false); text(b) != "expected an object, got null" {
		t.Errorf("null struct: %q", text(b))
	}
	if v, ok := Field(map[string]any{"Name": 1}, "name"); !ok || v != 1 {
		t.Errorf("case-insensitive field: %v %v", v, ok)
	}
}

func TestBadText(t *testing.T) {
	b := bad("expected an integer, got 'x'").AtKey("n").AtIndex(2).AtKey("items")
	if got, want := b.Text(), "items[2].n: expected an integer, got 'x'"; got != want {
		t.Errorf("Text() = %q, want %q", got, want)
	}
	b = bad("missing").AtKey("a b").AtIndex(0)
	if got, want := b.Text(), `[0]["a b"]: missing`; got != want {
		t.Errorf("Text() = %q, want %q", got, want)
	}
	if got := KeyBad("x", bad("expected an integer, got 'x'")).Text(); got != "key 'x': expected an integer, got 'x'" {
		t.Errorf("KeyBad: %q", got)
	}
}

func TestGot(t *testing.T) {
	tests := map[string]any{
		"null": nil, "true": true, "12.5": n("12.5"), "'it'": "it", `"it's"`: "it's",
		`'a\nb'`: "a\nb", "a list": []any{}, "an object": map[string]any{},
		"'" + strings.Repeat("x", 56) + "...": strings.Repeat("x", 70), // as Python: repr cut at 57
	}
	for want, v := range tests {
		if got := Got(v); got != want {
			t.Errorf("Got(%#v) = %q, want %q", v, got, want)
		}
	}
}

func TestParseQuery(t *testing.T) {
	var a Args
	if err := a.ParseQuery([]byte("a=1&&b=x+y%21&c&=v&d=%zz&a=2")); err != nil {
		t.Fatal(err)
	}
	want := []pair{{"a", "1"}, {"b", "x y!"}, {"c", ""}, {"", "v"}, {"d", "%zz"}, {"a", "2"}}
	if !reflect.DeepEqual(a.pairs, want) {
		t.Errorf("pairs %v, want %v", a.pairs, want)
	}
	if err := a.ParseQuery([]byte("a=%C3%28")); err == nil {
		t.Error("invalid UTF-8 accepted")
	}
}

func TestAny(t *testing.T) {
	v := Any(map[string]any{"a": []any{n("1"), n("2.5"), "x"}})
	want := map[string]any{"a": []any{1.0, 2.5, "x"}}
	if !reflect.DeepEqual(v, want) {
		t.Errorf("Any: %#v", v)
	}
}

func text(b *Bad) string {
	if b == nil {
		return ""
	}
	return b.Text()
}
