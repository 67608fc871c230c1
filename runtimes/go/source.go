// Package goruntime holds what runs inside Go function containers: the
// bind and runner packages, whose sources are copied into every generated
// function module, and the builder's entry point (runtimes/go/builder),
// which deploy/images/build.sh compiles into the builder image.
package goruntime

import (
	"bytes"
	"embed"
	"io/fs"
	"path"
	"strings"
)

// ImportPrefix is the import path of these packages in this repository.
const ImportPrefix = "stargate/runtimes/go/"

//go:embed bind/*.go runner/*.go
var sources embed.FS

// Files returns the sources of bind and runner, tests excluded, by path
// ("bind/convert.go"), for a module named module: imports of one by the
// other are rewritten from ImportPrefix to module's.
func Files(module string) map[string][]byte {
	out := map[string][]byte{}
	_ = fs.WalkDir(sources, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".go" || strings.HasSuffix(p, "_test.go") {
			return err
		}
		data, err := sources.ReadFile(p)
		if err != nil {
			return err
		}
		out[p] = bytes.ReplaceAll(data, []byte(`"`+ImportPrefix), []byte(`"`+module+"/"))
		return nil
	})
	return out
}
