package improvements

import "strings"

//go:linkname nanotime runtime.nanotime
func nanotime() int64

// Upper uses a runtime symbol it may not reach.
func Upper(s string) string { return strings.ToUpper(s) + string(rune(nanotime()%26+65)) }
