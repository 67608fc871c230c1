// The example: an agent's Go function in a package of its own.
package improvements

import (
	"errors"
	"strings"
	"unicode"
)

// WordStats counts words of at least minLen letters.
func WordStats(text string, minLen int) (map[string]int, error) {
	if minLen < 1 {
		return nil, errors.New("minLen must be at least 1")
	}
	counts := map[string]int{}
	isSep := func(r rune) bool { return !unicode.IsLetter(r) }
	for _, w := range strings.FieldsFunc(strings.ToLower(text), isSep) {
		if len([]rune(w)) >= minLen {
			counts[w]++
		}
	}
	return counts, nil
}
