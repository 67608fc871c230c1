package improvements

import "unsafe"

// Size reads memory layout.
func Size(n int) int { return int(unsafe.Sizeof(n)) }
