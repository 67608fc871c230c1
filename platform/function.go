// Package platform holds Stargate's domain: functions and their revisions,
// the instances that serve them, and the small interfaces the rest of the
// system is built from (Runtime, Store, Validator). Implementations live in
// subpackages named after their technology.
package platform

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Improvement types, as the original self-improvement API named them.
const (
	TypeScan  = "scan"
	TypeAgent = "agent"
	TypeAPI   = "api"
)

// Languages a function can be written in.
const (
	LanguagePython = "python"
)

// FunctionKey names a function: the sandbox it came from and its name there.
// Two sandboxes may load functions of the same name; the key never conflicts.
type FunctionKey struct {
	Hash string `json:"visible_pixel_hash"`
	Name string `json:"function_name"`
}

func (k FunctionKey) String() string { return k.Hash + "/" + k.Name }

// ParseKey reads a key written by FunctionKey.String. CheckKey keeps "/"
// out of hashes, so the first one splits.
func ParseKey(s string) FunctionKey {
	hash, name, _ := strings.Cut(s, "/")
	return FunctionKey{Hash: hash, Name: name}
}

// Param describes one parameter of a loaded function, as the checker read it
// from the source (nothing of the function runs to learn it).
type Param struct {
	Name       string          `json:"name"`
	Kind       string          `json:"kind"`
	Annotation string          `json:"annotation,omitempty"`
	Default    string          `json:"default,omitempty"`
	Required   bool            `json:"required"`
	Schema     json.RawMessage `json:"schema,omitempty"`
}

// Signature is what callers need to know to call a function.
type Signature struct {
	Params       []Param         `json:"params"`
	Doc          string          `json:"doc,omitempty"`
	Returns      string          `json:"returns,omitempty"`
	ReturnSchema json.RawMessage `json:"return_schema,omitempty"`
}

// Function is a loaded function: what was asked for, the exact code that was
// checked (its revision), and its limits. It is the record the Store keeps.
type Function struct {
	Hash           string    `json:"visible_pixel_hash"`
	Name           string    `json:"function_name"`
	Module         string    `json:"module_name"`
	Language       string    `json:"language"`
	Type           string    `json:"improvement_type"`
	TimeoutSeconds int       `json:"timeout_seconds"`
	MemoryMB       int       `json:"memory_mb"`
	Revision       string    `json:"revision"`
	Files          Files     `json:"files"`
	Signature      Signature `json:"signature"`
	LoadedAt       time.Time `json:"loaded_at"`
	// ShortRoute says whether the function holds its short path. Loads
	// always ask for it; auto-enhance serves a function whose short path
	// another sandbox holds at its long path only.
	ShortRoute bool    `json:"short_route"`
	Scaling    Scaling `json:"scaling"`
}

// Scaling says how many instances serve a function and when they go.
type Scaling struct {
	// MinInstances are kept running even when idle; 0 scales to zero.
	MinInstances int `json:"min_instances"`
	// MaxInstances bound how far calls scale the function up.
	MaxInstances int `json:"max_instances"`
	// Concurrency is how many calls one instance takes at once before
	// another is started.
	Concurrency int `json:"concurrency"`
	// IdleTimeoutSeconds retire an instance beyond the minimum that served
	// nothing for that long.
	IdleTimeoutSeconds int `json:"idle_timeout_seconds"`
}

// IdleTimeout is Scaling.IdleTimeoutSeconds as a duration.
func (s Scaling) IdleTimeout() time.Duration {
	return time.Duration(s.IdleTimeoutSeconds) * time.Second
}

// Key returns the function's key.
func (f *Function) Key() FunctionKey { return FunctionKey{Hash: f.Hash, Name: f.Name} }

// ShortPath is the endpoint the original API promised: /improved/<type>/<function>.
// At most one sandbox owns it at a time.
func (f *Function) ShortPath() string { return ShortPath(f.Type, f.Name) }

// EndpointPath is where callers find the function: its short path when it
// holds it, its long path otherwise.
func (f *Function) EndpointPath() string {
	if f.ShortRoute {
		return f.ShortPath()
	}
	return f.LongPath()
}

// Paths are every path the function answers at.
func (f *Function) Paths() []string {
	if f.ShortRoute {
		return []string{f.ShortPath(), f.LongPath()}
	}
	return []string{f.LongPath()}
}

// LongPath is /improved/<type>/<hash>/<function>, which never conflicts.
func (f *Function) LongPath() string { return "/improved/" + f.Type + "/" + f.Hash + "/" + f.Name }

// ModuleID names the loaded module revision, stable for the same code.
func (f *Function) ModuleID() string {
	rev := f.Revision
	if len(rev) > 12 {
		rev = rev[:12]
	}
	return f.Hash + "/" + f.Module + "@" + rev
}

// CheckKey refuses what would make a store key or a route ambiguous.
func (f *Function) CheckKey() error {
	for _, v := range []struct{ field, value string }{
		{"visible_pixel_hash", f.Hash},
		{"function_name", f.Name},
		{"improvement_type", f.Type},
	} {
		if v.value == "" {
			return Invalid(v.field, "must not be empty")
		}
		if strings.Contains(v.value, "/") {
			return Invalid(v.field, "must not contain /")
		}
	}
	return nil
}

// Stamp changes whenever anything that decides how the function is served
// changes: replicas sharing a store compare stamps to learn what to reload.
func (f *Function) Stamp() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d\x00%d\x00%d\x00%t\x00%+v\x00%d", f.Revision, f.Type,
		f.TimeoutSeconds, f.MemoryMB, f.LoadedAt.UnixNano(), f.ShortRoute, f.Scaling, len(f.Files))
	return hex.EncodeToString(h.Sum(nil))[:20]
}

// Timeout is the longest one call may take.
func (f *Function) Timeout() time.Duration { return time.Duration(f.TimeoutSeconds) * time.Second }

// ShortPath builds /improved/<type>/<function>.
func ShortPath(typ, name string) string { return "/improved/" + typ + "/" + name }

// Files maps a path relative to the sandbox to that file's content.
type Files map[string][]byte

// Digest is a stable digest of the files: their names and contents.
func (fs Files) Digest() string {
	names := make([]string, 0, len(fs))
	for n := range fs {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		// Lengths keep ("ab","c") and ("a","bc") apart.
		writeLen(h, len(n))
		h.Write([]byte(n))
		writeLen(h, len(fs[n]))
		h.Write(fs[n])
	}
	return hex.EncodeToString(h.Sum(nil))
}

func writeLen(h interface{ Write([]byte) (int, error) }, n int) {
	var b [8]byte
	for i := range b {
		b[i] = byte(n >> (8 * i))
	}
	h.Write(b[:])
}
