// Signatures an agent may write: every kind of parameter and result the
// platform binds.
package shapes

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"
	"strings"
)

// double is unexported: agents may serve those too.
func double(n int) int { return 2 * n }

// Order binds by its json tags.
type Order struct {
	ID       string   `json:"id"`
	Quantity int      `json:"qty"`
	Price    float64  `json:"unit_price"`
	Tags     []string `json:"tags,omitempty"`
	Note     string   `json:"-"`
}

// Summary is a struct result.
type Summary struct {
	ID    string  `json:"id"`
	Total float64 `json:"total"`
	Tags  string  `json:"tags"`
	Note  string  `json:"note"`
}

// Summarize prices an order.
func Summarize(order Order) Summary {
	return Summary{ID: order.ID, Total: float64(order.Quantity) * order.Price,
		Tags: strings.Join(order.Tags, "+"), Note: order.Note}
}

// Digest hashes bytes sent as base64.
func Digest(data []byte) map[string]any {
	sum := sha256.Sum256(data)
	return map[string]any{"len": len(data), "sha256": hex.EncodeToString(sum[:]), "text": string(data)}
}

// Weighted multiplies the sum of values by each weight.
func Weighted(values []int, weights map[string]int) map[string]int {
	total := 0
	for _, v := range values {
		total += v
	}
	out := map[string]int{}
	for k, w := range weights {
		out[k] = total * w
	}
	return out
}

// Check returns only an error.
func Check(n int) error {
	if n < 0 {
		return errors.New("negative: " + strconv.Itoa(n))
	}
	return nil
}

// Touch returns nothing.
func Touch(name string) {}

// Reverse takes a JSON list body whole: it has one parameter.
func Reverse(items []string) []string {
	out := slices.Clone(items)
	slices.Reverse(out)
	return out
}
