package runner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"unicode/utf8"

	"stargate/runtimes/go/bind"
)

const (
	maxMessage = 4096
	maxFrames  = 50
)

// frame is one stack frame in the agent's file.
type frame struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Function string `json:"function"`
}

// failure details, like the Python runtime's: the type and the frames of the
// agent's file, innermost last.
type failure struct {
	Type      string  `json:"type"`
	Kind      string  `json:"kind"` // "error" or "panic"
	Traceback []frame `json:"traceback"`
}

// caller runs the function: one call at a time, with panics recovered.
type caller struct {
	fn  *bind.Function
	buf bytes.Buffer
	enc *json.Encoder
}

func newCaller(fn *bind.Function) *caller {
	c := &caller{fn: fn}
	c.enc = json.NewEncoder(&c.buf)
	c.enc.SetEscapeHTML(false)
	return c
}

// call binds a and calls the function; it returns the answer's status and
// body. The body is valid until the next call.
func (c *caller) call(a *bind.Args) (status int, body []byte) {
	defer func() {
		if r := recover(); r != nil {
			status, body = 500, c.panicked(r)
		}
	}()
	res, err := c.fn.Call(a)
	if a.Invalid() {
		return 422, invalidArguments(a.Problems())
	}
	if err != nil {
		msg := describe(err)
		return 500, errorBody("function_error", msg, failure{Type: typeName(err), Kind: "error", Traceback: []frame{}})
	}
	out, err := c.encode(res)
	if err != nil {
		return 500, errorBody("unserializable_result", "the function's result cannot be turned into JSON: "+
			strings.TrimPrefix(err.Error(), "json: "), map[string]string{"type": typeName(res)})
	}
	return 200, out
}

func invalidArguments(problems []bind.Problem) []byte {
	parts := make([]string, len(problems))
	for i, p := range problems {
		parts[i] = p.Parameter + ": " + p.Error
	}
	return errorBody("invalid_arguments", "invalid arguments: "+strings.Join(parts, "; "), problems)
}

// panicked describes a recovered panic, with the frames of the agent's file
// that led to it.
func (c *caller) panicked(r any) []byte {
	pcs := make([]uintptr, 128)
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	var tb []frame
	for {
		f, more := frames.Next()
		if c.fn.Source != "" && strings.HasSuffix(f.File, c.fn.Source) {
			tb = append(tb, frame{File: c.fn.File, Line: f.Line, Function: shortFunc(f.Function)})
		}
		if !more {
			break
		}
	}
	// Innermost last, as Python prints them.
	for i, j := 0, len(tb)-1; i < j; i, j = i+1, j-1 {
		tb[i], tb[j] = tb[j], tb[i]
	}
	if len(tb) > maxFrames {
		tb = tb[len(tb)-maxFrames:]
	}
	if tb == nil {
		tb = []frame{}
	}
	return errorBody("function_error", "panic: "+describe(r), failure{Type: typeName(r), Kind: "panic", Traceback: tb})
}

// describe formats a panic value or error; the agent's Error or String
// method may itself panic.
func describe(v any) (s string) {
	defer func() {
		if recover() != nil {
			s = typeName(v) + " (its message could not be read)"
		}
	}()
	s = fmt.Sprint(v)
	if len(s) > maxMessage {
		cut := maxMessage - 3
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}

// typeName is the dynamic type, without the generated module's import path.
func typeName(v any) string {
	return strings.ReplaceAll(fmt.Sprintf("%T", v), "stargatefn/", "")
}

// shortFunc turns "stargatefn/fn.(*T).M" into "(*T).M".
func shortFunc(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	if i := strings.IndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	return name
}

// encode turns a result into JSON: plain scalars directly, everything else
// through encoding/json (which honours MarshalJSON methods and struct tags).
func (c *caller) encode(v any) ([]byte, error) {
	b := c.buf.AvailableBuffer()[:0]
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case int32:
		return strconv.AppendInt(b, int64(x), 10), nil
	case uint:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case uint64:
		return strconv.AppendUint(b, x, 10), nil
	case string:
		return appendString(b, x), nil
	}
	c.buf.Reset()
	if err := c.enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(c.buf.Bytes(), []byte{'\n'}), nil
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, as encoding/json does with HTML
// escaping off.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
