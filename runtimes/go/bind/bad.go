package bind

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bad is a value that failed to convert, with where inside the argument.
type Bad struct {
	msg string
	loc []any // innermost first: string keys and int indexes
}

func bad(msg string) *Bad { return &Bad{msg: msg} }

func expected(what string, v any) *Bad { return bad("expected " + what + ", got " + Got(v)) }

// AtIndex says the failure is inside item i of a list.
func (b *Bad) AtIndex(i int) *Bad { b.loc = append(b.loc, i); return b }

// AtKey says the failure is inside field or key k of an object.
func (b *Bad) AtKey(k string) *Bad { b.loc = append(b.loc, k); return b }

// Text is "path: message", the path as the Python runtime writes it:
// items[2].name.
func (b *Bad) Text() string {
	if len(b.loc) == 0 {
		return b.msg
	}
	var sb strings.Builder
	for i := len(b.loc) - 1; i >= 0; i-- {
		switch k := b.loc[i].(type) {
		case int:
			sb.WriteByte('[')
			sb.WriteString(strconv.Itoa(k))
			sb.WriteByte(']')
		case string:
			if isIdentifier(k) {
				if sb.Len() > 0 {
					sb.WriteByte('.')
				}
				sb.WriteString(k)
			} else {
				q, _ := json.Marshal(k)
				sb.WriteByte('[')
				sb.Write(q)
				sb.WriteByte(']')
			}
		}
	}
	return sb.String() + ": " + b.msg
}

func isIdentifier(s string) bool {
	for i, r := range s {
		if !(r == '_' || unicode.IsLetter(r) || (i > 0 && unicode.IsDigit(r))) {
			return false
		}
	}
	return s != ""
}

// Got describes a received value for an error message, as the Python
// runtime does: null, true, 5, 'text', a list, an object.
func Got(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		if x {
			return "true"
		}
		return "false"
	case json.Number:
		return clip(string(x))
	case string:
		return clip(pyRepr(x))
	case []any, []string:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return "a value"
}

func clip(s string) string {
	if len(s) <= 60 {
		return s
	}
	cut := 57
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// pyRepr quotes s the way Python's repr does.
func pyRepr(s string) string {
	quote := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		quote = '"'
	}
	var b strings.Builder
	b.WriteByte(quote)
	for _, r := range s {
		switch {
		case r == '\\' || r == rune(quote):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatInt(int64(r)|0x100, 16)[1:])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(quote)
	return b.String()
}

// KeyBad is a map key that failed to convert.
func KeyBad(key string, b *Bad) *Bad {
	return bad("key " + Got(key) + ": " + b.msg)
}
