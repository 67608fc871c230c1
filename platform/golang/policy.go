package golang

// This file is Stargate's policy for agent-written Go: the data the
// validator enforces. An operator tunes the policy here and nowhere else;
// validate.go and rules.go hold the mechanism.
//
// The policy is default deny: a file may import only the packages allowed
// below. The container the code runs in is the wall (no network, read-only
// root, non-root, no capabilities, limits); this check is the first gate. It
// keeps the function a pure computation: no files, processes, network,
// environment, reflection or unsafe memory, and no second goroutine (Go is
// memory-safe only without data races, and one goroutine cannot race).
//
// What is compiled: only the module's own file, <module>.go, copied into a
// generated module under a fixed name. No other file of the sandbox reaches
// the compiler, so assembly (.s), C (.c, .h), .syso objects and other .go
// files are never built; a function that needs a second file's declarations
// fails to compile with "undefined". Build constraints and //go: directives
// are refused rather than ignored, so what an agent reads is what runs.
//
// Rule ids in violations:
//
//	syntax-error           the file does not parse
//	banned-import          an import outside AllowedImports, or in DeniedImports
//	cgo                    import "C"
//	dot-import             import . "pkg" (its names could not be checked)
//	directive              //go:linkname, //go:embed, any other //go: or
//	                       //line directive, //export, // +build
//	goroutine              a go statement (unless AllowGoroutines)
//	banned-function        a use of a function in DeniedFunctions
//	reserved-name          an identifier starting with stargate_ (any case):
//	                       the generated code's namespace
//	builtin-shadow         a top-level declaration named like a predeclared
//	                       identifier (string, len, any, ...)
//	unsupported-signature  a parameter or result whose type does not map to
//	                       JSON, or a generic, unnamed or method entry point
//	invalid-source         the validator itself failed on the file
//	compile-error          the compiler refused the file (reported by the build)
//	build-limit            the build ran out of time or memory

// AllowedImports are the packages a function may import. "p/..." allows p
// and every package below it.
var AllowedImports = []string{
	// text and data
	"strings", "strconv", "bytes", "unicode/...", "regexp", "regexp/syntax",
	"fmt", "errors", "html", "path",
	"encoding/json", "encoding/base64", "encoding/base32", "encoding/hex",
	"encoding/csv", "encoding/binary", "encoding/xml", "encoding/pem",
	"bufio", "io",
	// numbers and collections
	"math/...", "sort", "slices", "maps", "cmp", "iter", "container/...",
	// hashes and checksums
	"hash/...", "crypto/sha256", "crypto/sha1", "crypto/md5", "crypto/sha512",
	"crypto/sha3", "crypto/hmac", "crypto/subtle",
	// images and compression
	"image/...", "compress/...",
	// time (time.AfterFunc is denied below), and synchronisation, which
	// one goroutine hardly needs but sync.Once-style code uses
	"time", "sync", "sync/atomic",
}

// DeniedImports are refused with a reason, even below an allowed prefix.
// Listing a package here only improves the message: anything not allowed
// is refused anyway.
var DeniedImports = map[string]string{
	"os/...":        "files, processes and the environment are out of reach of functions",
	"os/exec":       "functions cannot start processes",
	"net/...":       "functions have no network",
	"syscall":       "raw system calls bypass every rule",
	"unsafe":        "unsafe breaks Go's memory safety",
	"plugin":        "loading code at run time is not allowed",
	"runtime/...":   "runtime internals (finalizers, Goexit, debug settings) are off limits",
	"reflect":       "reflection reaches unexported state; use encoding/json for generic data",
	"embed":         "functions cannot read files",
	"io/fs":         "functions cannot read files",
	"io/ioutil":     "functions cannot read files",
	"path/filepath": "filepath reads the file system (Glob, Walk); use path for names",
	"log/...":       "log writes to the process's streams and log.Fatal exits it; return an error",
	"context":       "context.AfterFunc runs code on another goroutine",
	"text/template": "templates call methods by name through reflection",
	"html/template": "templates call methods by name through reflection",
	"testing/...":   "test support is not for functions",
	"debug/...":     "binary inspection is not for functions",
	"go/...":        "the Go toolchain's packages are not for functions",
	"internal/...":  "internal packages of the standard library are off limits",
	"crypto/rand":   "use math/rand: functions need no secrets",
}

// DeniedFunctions are functions of allowed packages that may not be used
// (called, or referenced as values), by package path and name.
var DeniedFunctions = map[string]map[string]string{
	"time": {
		"AfterFunc": "it runs a function on another goroutine",
	},
}

// AllowGoroutines lets functions use go statements. Off: with one goroutine
// no data race is possible, and a data race is the way to corrupt memory in
// Go without unsafe.
var AllowGoroutines = false

// ReservedPrefix starts every identifier of the generated binding code,
// which shares the agent's package; agent code may not use such names.
const ReservedPrefix = "stargate_"
