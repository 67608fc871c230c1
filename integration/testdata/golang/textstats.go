// Package textstats is an agent's Go function as the tests load it: about a
// hundred lines of ordinary code.
package textstats

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode"
)

// Options tune the analysis.
type Options struct {
	MinLen int    `json:"min_len"`
	Top    int    `json:"top"`
	Lower  bool   `json:"lower"`
	Mode   string `json:"mode,omitempty"`
}

// WordCount is one word and how often it appears.
type WordCount struct {
	Word  string `json:"word"`
	Count int    `json:"count"`
}

// Report is what Analyze finds.
type Report struct {
	Words   int         `json:"words"`
	Unique  int         `json:"unique"`
	Top     []WordCount `json:"top"`
	Entropy float64     `json:"entropy"`
	Digest  string      `json:"digest"`
	Longest string      `json:"longest,omitempty"`
}

var errEmpty = errors.New("text is empty")

// Analyze counts the words of text (skipping stop words) and reports the
// most frequent ones, the character entropy and a digest.
func Analyze(text string, opts *Options, stop []string) (Report, error) {
	if strings.TrimSpace(text) == "" {
		return Report{}, errEmpty
	}
	o := Options{MinLen: 1, Top: 3}
	if opts != nil {
		o = *opts
	}
	switch o.Mode {
	case "panic":
		var counts []int
		_ = counts[len(text)] // index out of range
	case "fail":
		return Report{}, fmt.Errorf("mode %q asked to fail", o.Mode)
	}
	skip := map[string]bool{}
	for _, s := range stop {
		skip[normalize(s, o.Lower)] = true
	}
	counts := map[string]int{}
	words := 0
	longest := ""
	for _, w := range strings.FieldsFunc(text, notWordRune) {
		w = normalize(w, o.Lower)
		if len([]rune(w)) < o.MinLen || skip[w] {
			continue
		}
		words++
		counts[w]++
		if len(w) > len(longest) {
			longest = w
		}
	}
	sum := sha256.Sum256([]byte(text))
	return Report{
		Words:   words,
		Unique:  len(counts),
		Top:     top(counts, o.Top),
		Entropy: math.Round(entropy(text)*1000) / 1000,
		Digest:  hex.EncodeToString(sum[:8]),
		Longest: longest,
	}, nil
}

func notWordRune(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

func normalize(w string, lower bool) string {
	if lower {
		return strings.ToLower(w)
	}
	return w
}

func top(counts map[string]int, n int) []WordCount {
	out := make([]WordCount, 0, len(counts))
	for w, c := range counts {
		out = append(out, WordCount{Word: w, Count: c})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Word < out[j].Word
	})
	if n >= 0 && len(out) > n {
		out = out[:n]
	}
	return out
}

func entropy(s string) float64 {
	freq := map[rune]float64{}
	n := 0.0
	for _, r := range s {
		freq[r]++
		n++
	}
	h := 0.0
	for _, c := range freq {
		p := c / n
		h -= p * math.Log2(p)
	}
	return h
}
