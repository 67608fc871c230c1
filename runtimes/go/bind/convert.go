package bind

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// Converters turn one argument, as received, into a Go value. A value from
// the query is a string (or, for a parameter taking a list, a []string of a
// repeated parameter); a value from the body is what encoding/json decodes
// into an interface with UseNumber: nil, bool, json.Number, string, []any or
// map[string]any. Conversion is lax the way the Python runtime's is (and
// FastAPI's): "5" and 5.0 are integers, "yes" is true.
//
// The generated code calls these for scalars and composes them for lists,
// maps and structs, so that a call converts its arguments without reflection.

// Int converts to a signed integer of the given size in bits.
func Int(v any, bits int) (int64, *Bad) {
	switch x := v.(type) {
	case string:
		return intString(x, bits)
	case json.Number:
		if n, err := strconv.ParseInt(string(x), 10, bits); err == nil {
			return n, nil
		}
		f, err := strconv.ParseFloat(string(x), 64)
		lo, hi := -math.Ldexp(1, bits-1), math.Ldexp(1, bits-1)
		if err == nil && f == math.Trunc(f) && f >= lo && f < hi {
			return int64(f), nil
		}
		if err == nil && f == math.Trunc(f) {
			return 0, intRange(bits, v)
		}
	}
	return 0, expected("an integer", v)
}

func intString(s string, bits int) (int64, *Bad) {
	t := strings.TrimSpace(s)
	digits := strings.TrimLeft(t, "+-")
	if len(t)-len(digits) <= 1 && digits != "" && allDigits([]byte(digits)) {
		n, err := strconv.ParseInt(t, 10, bits)
		if err == nil {
			return n, nil
		}
		return 0, intRange(bits, s)
	}
	return 0, expected("an integer", s)
}

func intRange(bits int, v any) *Bad {
	hi := uint64(1)<<(bits-1) - 1
	return bad("expected an integer between -" + strconv.FormatUint(hi+1, 10) + " and " + strconv.FormatUint(hi, 10) + ", got " + Got(v))
}

// Uint converts to an unsigned integer of the given size in bits.
func Uint(v any, bits int) (uint64, *Bad) {
	switch x := v.(type) {
	case string:
		t := strings.TrimPrefix(strings.TrimSpace(x), "+")
		if t != "" && allDigits([]byte(t)) {
			if n, err := strconv.ParseUint(t, 10, bits); err == nil {
				return n, nil
			}
			return 0, uintRange(bits, v)
		}
		if n, b := intString(x, 64); b == nil && n < 0 {
			return 0, uintRange(bits, v)
		}
	case json.Number:
		if n, err := strconv.ParseUint(string(x), 10, bits); err == nil {
			return n, nil
		}
		f, err := strconv.ParseFloat(string(x), 64)
		if err == nil && f == math.Trunc(f) {
			if f >= 0 && f < math.Ldexp(1, bits) {
				return uint64(f), nil
			}
			return 0, uintRange(bits, v)
		}
	}
	return 0, expected("an integer", v)
}

func uintRange(bits int, v any) *Bad {
	hi := uint64(math.MaxUint64) >> (64 - bits)
	return bad("expected an integer between 0 and " + strconv.FormatUint(hi, 10) + ", got " + Got(v))
}

// Float converts to a float of the given size in bits.
func Float(v any, bits int) (float64, *Bad) {
	var s string
	switch x := v.(type) {
	case string:
		s = strings.TrimSpace(x)
	case json.Number:
		s = string(x)
	default:
		return 0, expected("a number", v)
	}
	f, err := strconv.ParseFloat(s, bits)
	if err != nil {
		return 0, expected("a number", v)
	}
	return f, nil
}

// Bool converts to a boolean: true/false, 1/0, and the strings true, 1, yes,
// on, false, 0, no, off in any case.
func Bool(v any) (bool, *Bad) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "1", "yes", "on":
			return true, nil
		case "false", "0", "no", "off":
			return false, nil
		}
	case json.Number:
		if f, err := strconv.ParseFloat(string(x), 64); err == nil && (f == 0 || f == 1) {
			return f == 1, nil
		}
	}
	return false, expected("a boolean", v)
}

// String accepts strings only.
func String(v any) (string, *Bad) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	return "", expected("a string", v)
}

// Bytes takes a base64 string (standard or URL alphabet, padded or not), as
// encoding/json encodes []byte.
func Bytes(v any) ([]byte, *Bad) {
	s, ok := v.(string)
	if !ok {
		return nil, expected("a base64 string", v)
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, expected("a base64 string", v)
}

// List returns the items of a list argument, and whether they are raw query
// strings. A query value that starts with "[" is parsed as JSON; any other
// is a list of one. JSON null is a nil list.
func List(v any, q bool) ([]any, bool, *Bad) {
	switch x := v.(type) {
	case []any:
		return x, false, nil
	case []string:
		items := make([]any, len(x))
		for i, s := range x {
			items[i] = s
		}
		return items, true, nil
	case string:
		if q {
			parsed, found, b := queryJSON(x, '[')
			if b != nil {
				return nil, false, b
			}
			if !found {
				return []any{x}, true, nil
			}
			if items, ok := parsed.([]any); ok {
				return items, false, nil
			}
		}
	case nil:
		return nil, false, nil
	}
	return nil, false, expected("a list", v)
}

// Array is List for a fixed number of items.
func Array(v any, q bool, n int) ([]any, bool, *Bad) {
	items, iq, b := List(v, q)
	if b == nil && len(items) != n {
		if v == nil {
			return nil, false, expected("a list of "+strconv.Itoa(n)+" items", v)
		}
		b = bad("expected a list of " + strconv.Itoa(n) + " items, got " + strconv.Itoa(len(items)))
	}
	return items, iq, b
}

// Object returns the fields of an object argument; a query value must be a
// JSON object. JSON null is a nil map when nullOK, else refused.
func Object(v any, q bool, nullOK bool) (map[string]any, *Bad) {
	switch x := v.(type) {
	case map[string]any:
		return x, nil
	case string:
		if q {
			parsed, found, b := queryJSON(x, '{')
			if b != nil {
				return nil, b
			}
			if m, ok := parsed.(map[string]any); ok && found {
				return m, nil
			}
		}
	case nil:
		if nullOK {
			return nil, nil
		}
	}
	return nil, expected("an object", v)
}

// Field looks a struct field up by its JSON name, exactly first and then
// ignoring case, as encoding/json does.
func Field(m map[string]any, name string) (any, bool) {
	if v, ok := m[name]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

// queryJSON parses a query value that starts with open as JSON.
func queryJSON(s string, open byte) (any, bool, *Bad) {
	t := strings.TrimSpace(s)
	if t == "" || t[0] != open {
		return nil, false, nil
	}
	v, err := DecodeJSON([]byte(t))
	if err != nil {
		return nil, false, bad("got " + Got(s) + ", which is not valid JSON")
	}
	return v, true, nil
}

// Any returns a value for a parameter of type any: what encoding/json would
// decode (numbers are float64), or the query string(s) as they are.
func Any(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return string(x)
		}
		return f
	case []any:
		for i, e := range x {
			x[i] = Any(e)
		}
	case map[string]any:
		for k, e := range x {
			x[k] = Any(e)
		}
	case []string:
		items := make([]any, len(x))
		for i, s := range x {
			items[i] = s
		}
		return items
	}
	return v
}

// Unmarshal decodes an argument with encoding/json into dst, for types that
// decode themselves (UnmarshalJSON or UnmarshalText, such as time.Time). A
// query value is taken as a JSON string unless it starts like an object or
// a list. what names the expected value in the error; empty uses the
// decoder's message.
func Unmarshal(v any, q bool, dst any, what string) *Bad {
	var data []byte
	if s, ok := v.(string); ok && q {
		t := strings.TrimSpace(s)
		if t != "" && (t[0] == '{' || t[0] == '[') && json.Valid([]byte(t)) {
			data = []byte(t)
		}
	}
	if data == nil {
		var err error
		if data, err = json.Marshal(v); err != nil {
			return expected(what, v)
		}
	}
	if err := json.Unmarshal(data, dst); err != nil {
		if what != "" {
			return expected(what, v)
		}
		return bad(strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

// extraData is a JSON document followed by more than white space.
type extraData struct{ pos int }

func (e *extraData) Error() string { return "extra data after the JSON value" }

// DecodeJSON decodes one JSON document, numbers as json.Number.
func DecodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	off := int(dec.InputOffset())
	for i := off; i < len(data); i++ {
		switch data[i] {
		case ' ', '\t', '\r', '\n':
		default:
			return nil, &extraData{pos: i}
		}
	}
	return v, nil
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
