// Passes the validator, fails the compiler.
package improvements

import "strings"

// Shout calls a function that does not exist and returns the wrong type.
func Shout(s string) int {
	n := len(s) + helper(s)
	return strings.ToUpper(s)
}
