package improvements

// #include <stdlib.h>
import "C"

// Rand calls C.
func Rand() int { return int(C.rand()) }
