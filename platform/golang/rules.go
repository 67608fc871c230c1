package golang

import (
	"go/ast"
	"go/token"
	"strconv"
	"strings"

	"stargate/platform"
)

// Policy is what the validator enforces; DefaultPolicy reads policy.go.
type Policy struct {
	AllowedImports  []string
	DeniedImports   map[string]string
	DeniedFunctions map[string]map[string]string
	AllowGoroutines bool
}

// DefaultPolicy is the policy of policy.go.
func DefaultPolicy() Policy {
	return Policy{
		AllowedImports:  AllowedImports,
		DeniedImports:   DeniedImports,
		DeniedFunctions: DeniedFunctions,
		AllowGoroutines: AllowGoroutines,
	}
}

// matches reports whether an import path matches a pattern: "p" is p
// itself, "p/..." is p and everything below it.
func matches(pattern, path string) bool {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return path == base || strings.HasPrefix(path, base+"/")
	}
	return pattern == path
}

// importProblem returns the rule and message refusing path, or "" if it
// may be imported.
func (p Policy) importProblem(path string) (string, string) {
	if path == "C" {
		return "cgo", `import "C" (cgo) is not allowed: functions are pure Go`
	}
	best := ""
	for pattern := range p.DeniedImports {
		if matches(pattern, path) && len(pattern) > len(best) {
			best = pattern
		}
	}
	if best != "" {
		return "banned-import", "import of " + strconv.Quote(path) + " is not allowed: " + p.DeniedImports[best]
	}
	for _, elem := range strings.Split(path, "/") {
		if elem == "internal" || elem == "vendor" {
			return "banned-import", "import of " + strconv.Quote(path) + " is not allowed: internal packages are off limits"
		}
	}
	for _, pattern := range p.AllowedImports {
		if matches(pattern, path) {
			return "", ""
		}
	}
	return "banned-import", "import of " + strconv.Quote(path) +
		" is not allowed: functions may import only pure-computation packages of the standard library " +
		"(strings, strconv, math, sort, slices, maps, regexp, encoding/json, time, fmt, image, ...)"
}

// predeclared are the universe's names; redeclaring one at top level would
// change what the generated binding code means by it.
var predeclared = setOf(`any bool byte comparable complex64 complex128 error float32 float64
	int int8 int16 int32 int64 rune string uint uint8 uint16 uint32 uint64 uintptr
	true false iota nil
	append cap clear close complex copy delete imag len make max min new panic print println real recover`)

func setOf(words string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.Fields(words) {
		out[w] = true
	}
	return out
}

// checker applies the rules to one parsed file.
type checker struct {
	fset    *token.FileSet
	file    string
	policy  Policy
	imports map[string]string
	out     []platform.Violation
}

const maxViolations = 100

func (c *checker) report(pos token.Pos, rule, msg string) {
	if len(c.out) >= maxViolations {
		return
	}
	p := c.fset.Position(pos)
	c.out = append(c.out, platform.Violation{File: c.file, Rule: rule, Line: p.Line, Col: p.Column, Message: msg})
}

func (c *checker) check(f *ast.File) {
	c.directives(f)
	for _, s := range f.Imports {
		path, err := strconv.Unquote(s.Path.Value)
		if err != nil {
			c.report(s.Path.Pos(), "banned-import", "malformed import path "+s.Path.Value)
			continue
		}
		if rule, msg := c.policy.importProblem(path); rule != "" {
			c.report(s.Path.Pos(), rule, msg)
		}
		if s.Name != nil && s.Name.Name == "." {
			c.report(s.Name.Pos(), "dot-import", "import . "+strconv.Quote(path)+" is not allowed: refer to the package by name")
		}
	}
	for _, d := range f.Decls {
		for _, id := range declaredNames(d) {
			if predeclared[id.Name] {
				c.report(id.Pos(), "builtin-shadow", "a top-level "+id.Name+" would shadow Go's predeclared "+id.Name+": choose another name")
			}
		}
	}
	// Everything but the package clause, which the build replaces.
	for _, d := range f.Decls {
		ast.Inspect(d, c.node)
	}
}

func (c *checker) node(n ast.Node) bool {
	switch x := n.(type) {
	case *ast.GoStmt:
		if !c.policy.AllowGoroutines {
			c.report(x.Go, "goroutine", "go statements are not allowed: a function runs on one goroutine")
		}
	case *ast.SelectorExpr:
		if pkg, ok := x.X.(*ast.Ident); ok {
			if path, ok := c.imports[pkg.Name]; ok {
				if why, ok := c.policy.DeniedFunctions[path][x.Sel.Name]; ok {
					c.report(x.Pos(), "banned-function", path+"."+x.Sel.Name+" is not allowed: "+why)
				}
			}
		}
	case *ast.Ident:
		if strings.HasPrefix(strings.ToLower(x.Name), ReservedPrefix) {
			c.report(x.Pos(), "reserved-name", "the name "+x.Name+" is reserved for Stargate's generated code: choose another")
		}
	}
	return true
}

// directives refuses compiler directives and build constraints: the file
// is compiled as it reads.
func (c *checker) directives(f *ast.File) {
	for _, g := range f.Comments {
		for _, cm := range g.List {
			t := cm.Text
			switch {
			case strings.HasPrefix(t, "//go:linkname"):
				c.report(cm.Pos(), "directive", "//go:linkname is not allowed: it reaches unexported runtime symbols")
			case strings.HasPrefix(t, "//go:embed"):
				c.report(cm.Pos(), "directive", "//go:embed is not allowed: functions cannot read files")
			case strings.HasPrefix(t, "//go:build"), strings.HasPrefix(t, "// +build"):
				c.report(cm.Pos(), "directive", "build constraints are not allowed: the module's file is always compiled")
			case strings.HasPrefix(t, "//go:"):
				name, _, _ := strings.Cut(t, " ")
				c.report(cm.Pos(), "directive", name+" is not allowed: compiler directives are off limits")
			case strings.HasPrefix(t, "//line "), strings.HasPrefix(t, "/*line "):
				c.report(cm.Pos(), "directive", "//line directives are not allowed: positions must be the file's own")
			case strings.HasPrefix(t, "//export "):
				c.report(cm.Pos(), "directive", "//export is not allowed: functions are pure Go")
			}
		}
	}
}

// declaredNames are the top-level names a declaration introduces (methods
// introduce none).
func declaredNames(d ast.Decl) []*ast.Ident {
	var out []*ast.Ident
	switch d := d.(type) {
	case *ast.FuncDecl:
		if d.Recv == nil {
			out = append(out, d.Name)
		}
	case *ast.GenDecl:
		for _, s := range d.Specs {
			switch s := s.(type) {
			case *ast.ValueSpec:
				out = append(out, s.Names...)
			case *ast.TypeSpec:
				out = append(out, s.Name)
			}
		}
	}
	return out
}
