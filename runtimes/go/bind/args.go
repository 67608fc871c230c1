// Package bind turns one call's query and JSON body into the arguments of
// a Go function, the way the Python runtime binds them. The generated
// binding code of every Go function calls it, from the agent's own package:
// so it imports only packages the Go policy allows agents
// (platform/golang/policy.go; a test checks it).
package bind

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"unicode/utf8"
)

// Param describes one parameter of the served function, for binding.
type Param struct {
	Name string
	// List: a repeated query parameter binds as a list (else the last
	// value wins).
	List bool
	// Object: as the only parameter, it takes a whole JSON object body
	// whose keys do not include its name.
	Object bool
	// Optional: it may be missing (a pointer, or variadic).
	Optional bool
}

// Function is what the generated code hands the runner: the parameters and
// a Call that binds them from Args and calls the agent's function. Call
// returns nil, nil after recording problems in Args.
type Function struct {
	Name   string // the agent's function
	File   string // the agent's file, as the agent named it (module.go)
	Source string // suffix of that file's path in the binary (/fn/fn.go)
	Params []Param
	Call   func(*Args) (any, error)
}

// Problem is one parameter that could not be bound.
type Problem struct {
	Parameter string `json:"parameter"`
	Error     string `json:"error"`
}

type pair struct{ name, value string }

// Args is one call's arguments as received: query pairs and the JSON body.
// Query parameters and the fields of a JSON object body bind by name, the
// body winning; a function of one parameter also takes a non-object body
// whole, and an object body that lacks its name if the parameter takes
// objects. Unknown names are ignored.
type Args struct {
	params   []Param
	pairs    []pair
	object   map[string]any
	whole    any
	hasWhole bool
	problems []Problem
}

// Reset prepares a for a call of a function with params.
func (a *Args) Reset(params []Param) {
	a.params = params
	a.pairs = a.pairs[:0]
	a.object, a.whole, a.hasWhole = nil, nil, false
	a.problems = a.problems[:0]
}

// Invalid reports whether a parameter failed to bind.
func (a *Args) Invalid() bool { return len(a.problems) > 0 }

// Problems are the parameters that failed to bind, in parameter order.
func (a *Args) Problems() []Problem { return a.problems }

func (a *Args) problem(i int, msg string) {
	a.problems = append(a.problems, Problem{Parameter: a.params[i].Name, Error: msg})
}

// Report records a conversion failure of parameter i; nil is a no-op.
func (a *Args) Report(i int, b *Bad) {
	if b != nil {
		a.problem(i, b.Text())
	}
}

// Value returns parameter i's value as received, whether it is a raw query
// value, and whether it was given at all. A missing required parameter is
// recorded as a problem.
func (a *Args) Value(i int) (any, bool, bool) {
	if a.hasWhole {
		return a.whole, false, true
	}
	p := &a.params[i]
	if a.object != nil {
		if v, ok := a.object[p.Name]; ok {
			return v, false, true
		}
	}
	n, last := 0, ""
	for _, kv := range a.pairs {
		if kv.name == p.Name {
			n, last = n+1, kv.value
		}
	}
	switch {
	case n == 0:
		if !p.Optional {
			a.problem(i, "missing")
		}
		return nil, false, false
	case n == 1 || !p.List:
		return last, true, true
	}
	values := make([]string, 0, n)
	for _, kv := range a.pairs {
		if kv.name == p.Name {
			values = append(values, kv.value)
		}
	}
	return values, true, true
}

// Scalar accessors: parameter i converted, or the zero value with the
// problem recorded.

func (a *Args) Int(i, bits int) int64 {
	v, _, ok := a.Value(i)
	if !ok {
		return 0
	}
	n, b := Int(v, bits)
	a.Report(i, b)
	return n
}

func (a *Args) Uint(i, bits int) uint64 {
	v, _, ok := a.Value(i)
	if !ok {
		return 0
	}
	n, b := Uint(v, bits)
	a.Report(i, b)
	return n
}

func (a *Args) Float(i, bits int) float64 {
	v, _, ok := a.Value(i)
	if !ok {
		return 0
	}
	f, b := Float(v, bits)
	a.Report(i, b)
	return f
}

func (a *Args) Bool(i int) bool {
	v, _, ok := a.Value(i)
	if !ok {
		return false
	}
	x, b := Bool(v)
	a.Report(i, b)
	return x
}

func (a *Args) String(i int) string {
	v, _, ok := a.Value(i)
	if !ok {
		return ""
	}
	s, b := String(v)
	a.Report(i, b)
	return s
}

func (a *Args) Bytes(i int) []byte {
	v, _, ok := a.Value(i)
	if !ok {
		return nil
	}
	x, b := Bytes(v)
	a.Report(i, b)
	return x
}

// SetBody binds a decoded JSON body; it returns false when the body cannot
// be bound (the problem is recorded).
func (a *Args) SetBody(v any) bool {
	single := len(a.params) == 1
	if m, ok := v.(map[string]any); ok {
		if single && len(m) > 0 && a.params[0].Object {
			if _, named := m[a.params[0].Name]; !named {
				a.whole, a.hasWhole = v, true
				return true
			}
		}
		a.object = m
		return true
	}
	if single {
		a.whole, a.hasWhole = v, true
		return true
	}
	if len(a.params) > 0 {
		a.problems = append(a.problems, Problem{Parameter: "(body)",
			Error: "expected a JSON object of named arguments, got " + Got(v)})
		return false
	}
	return true
}

var errQueryUTF8 = errors.New("the query string is not valid UTF-8")

// ParseQuery splits a query string into pairs like Python's parse_qsl with
// keep_blank_values: "+" is a space, invalid %-escapes are kept as they are,
// a name without "=" has an empty value; decoded text must be UTF-8.
func (a *Args) ParseQuery(q []byte) error {
	for len(q) > 0 {
		var seg []byte
		if i := indexByte(q, '&'); i >= 0 {
			seg, q = q[:i], q[i+1:]
		} else {
			seg, q = q, nil
		}
		if len(seg) == 0 {
			continue
		}
		name, value := seg, []byte(nil)
		if i := indexByte(seg, '='); i >= 0 {
			name, value = seg[:i], seg[i+1:]
		}
		n, v := unescape(name), unescape(value)
		if !utf8.ValidString(n) || !utf8.ValidString(v) {
			return errQueryUTF8
		}
		a.pairs = append(a.pairs, pair{n, v})
	}
	return nil
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func unescape(b []byte) string {
	plain := true
	for _, c := range b {
		if c == '%' || c == '+' {
			plain = false
			break
		}
	}
	if plain {
		return string(b)
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == '+':
			out = append(out, ' ')
		case c == '%' && i+2 < len(b) && isHex(b[i+1]) && isHex(b[i+2]):
			out = append(out, unhex(b[i+1])<<4|unhex(b[i+2]))
			i += 2
		default:
			out = append(out, c)
		}
	}
	return string(out)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// JSONProblem describes why DecodeJSON refused body: a message, and the
// 1-based line and column and the 0-based position of the offending byte.
func JSONProblem(err error, body []byte) (msg string, line, col, pos int) {
	msg, pos = jsonProblem(err, body)
	line, col = lineCol(body, pos)
	return msg, line, col, pos
}

func jsonProblem(err error, body []byte) (string, int) {
	var se *json.SyntaxError
	var ed *extraData
	switch {
	case errors.As(err, &se):
		pos := int(se.Offset) - 1
		return se.Error(), max(pos, 0)
	case errors.As(err, &ed):
		return ed.Error(), ed.pos
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "unexpected end of JSON input", len(body)
	}
	return strings.TrimPrefix(err.Error(), "json: "), 0
}

// lineCol turns a byte position into a 1-based line and column.
func lineCol(body []byte, pos int) (int, int) {
	line, col := 1, 1
	for i := 0; i < pos && i < len(body); i++ {
		if body[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}
