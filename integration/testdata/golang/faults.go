// Functions that go wrong in each way a call can.
package faults

import (
	"fmt"
	"time"
)

// Fail returns an error when given a reason.
func Fail(reason string) (string, error) {
	if reason != "" {
		return "", fmt.Errorf("refused: %s", reason)
	}
	return "fine", nil
}

// Explode panics with its own value.
func Explode(n int) int {
	if n > 0 {
		panic(fmt.Sprintf("too big: %d", n))
	}
	return n
}

// Divide panics with a runtime error when b is 0.
func Divide(a, b int) int {
	return a / b
}

// Hog allocates mb MiB and keeps every byte of it.
func Hog(mb int) int {
	var chunks [][]byte
	for range mb {
		c := make([]byte, 1<<20)
		for i := 0; i < len(c); i += 512 {
			c[i] = 1
		}
		chunks = append(chunks, c)
	}
	return len(chunks)
}

// Nap sleeps for seconds.
func Nap(seconds float64) map[string]float64 {
	time.Sleep(time.Duration(seconds * float64(time.Second)))
	return map[string]float64{"slept": seconds}
}

// Steady doubles x.
func Steady(x int) int { return 2 * x }
