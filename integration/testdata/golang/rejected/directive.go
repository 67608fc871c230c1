package improvements

// Add asks the compiler for special treatment.
//
//go:noinline
func Add(a, b int) int { return a + b }
