// Entry points whose parameters or results do not map to JSON.
package improvements

// Drain takes a channel.
func Drain(ch chan int) int { return <-ch }

// Apply takes a function.
func Apply(f func(int) int, n int) int { return f(n) }

// Split returns three results.
func Split(s string) (string, string, error) { return s, s, nil }

// Stream returns a channel.
func Stream(n int) chan int { return make(chan int, n) }
