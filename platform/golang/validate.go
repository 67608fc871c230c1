// Package golang adds Go functions to Stargate: the validator (policy.go,
// rules.go), the resolution of a function's signature (types.go,
// signature.go), the generated module that serves it (generate*.go), its
// build in a walled, network-less builder container with a binary cache
// (build.go), and the spec of the container that runs it (instance.go).
//
// Validation reads the file's syntax only (go/parser): it needs no Go
// toolchain on the host and takes about a millisecond. Type errors are the
// compiler's to find; they come back from the build as compile-error
// violations.
package golang

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"path"
	"sort"
	"strings"

	"stargate/platform"
)

// Validator checks Go functions; it implements platform.Validator in
// process, so it is never unavailable.
type Validator struct {
	Policy Policy
}

var _ platform.Validator = (*Validator)(nil)

// NewValidator returns a validator of the default policy.
func NewValidator() *Validator { return &Validator{Policy: DefaultPolicy()} }

// Ping always succeeds: the validator runs in process.
func (v *Validator) Ping(context.Context) error { return nil }

// Check validates the module of req that defines req.Function; with no
// module, it lists the top-level .go files defining it and checks the one
// if there is exactly one. Only <module>.go is ever compiled, so it is the
// only file of the result.
func (v *Validator) Check(ctx context.Context, req platform.CheckRequest) (platform.CheckResult, error) {
	if req.Language != platform.LanguageGo {
		return platform.CheckResult{}, fmt.Errorf("%w: the Go validator cannot check %q code", platform.ErrInvalid, req.Language)
	}
	res := platform.CheckResult{Module: req.Module}
	if req.Module == "" {
		res.Candidates = Candidates(req.Files, req.Function)
		if len(res.Candidates) != 1 {
			return res, nil
		}
		res.Module = res.Candidates[0]
	}
	name := res.Module + ".go"
	src, ok := req.Files[name]
	if !ok {
		return res, fmt.Errorf("%w: %s is not in the sandbox", platform.ErrModuleNotFound, name)
	}
	a := analyze(name, src, req.Function, v.Policy)
	res.Files = []string{name}
	res.Violations = a.violations
	if a.entry != nil {
		res.Signature = a.entry.signature()
	}
	return res, nil
}

// Candidates lists the modules (top-level .go files, by stem) that define a
// top-level function named function, sorted.
func Candidates(files platform.Files, function string) []string {
	var out []string
	for name, src := range files {
		if strings.Contains(name, "/") || path.Ext(name) != ".go" || !token.IsIdentifier(strings.TrimSuffix(name, ".go")) {
			continue
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
		if err != nil || f == nil {
			continue
		}
		if findFunc(f, function) != nil {
			out = append(out, strings.TrimSuffix(name, ".go"))
		}
	}
	sort.Strings(out)
	return out
}

// analysis is what the validator learned of one file.
type analysis struct {
	fset       *token.FileSet
	file       *ast.File
	violations []platform.Violation
	found      bool   // the file defines the function at top level
	entry      *entry // nil when not found or not supported
}

// analyze parses and checks one file and resolves function's signature.
// It runs in the platform's process on hostile input: a bug must refuse
// the file, not take the platform down.
func analyze(name string, src []byte, function string, policy Policy) (a *analysis) {
	defer func() {
		if r := recover(); r != nil {
			a = &analysis{fset: token.NewFileSet(), violations: []platform.Violation{{File: name, Rule: "invalid-source",
				Message: fmt.Sprintf("the validator could not read this file (%v); simplify it", r)}}}
		}
	}()
	a = &analysis{fset: token.NewFileSet()}
	f, err := parser.ParseFile(a.fset, name, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		a.violations = syntaxViolations(name, err)
		return a
	}
	a.file = f
	c := &checker{fset: a.fset, file: name, policy: policy, imports: importNames(f)}
	c.check(f)
	if fd := findFunc(f, function); fd != nil {
		a.found = true
		a.entry = c.resolveEntry(newResolver(f), fd)
	}
	a.violations = c.out
	return a
}

func syntaxViolations(name string, err error) []platform.Violation {
	var out []platform.Violation
	if list, ok := err.(scanner.ErrorList); ok {
		for _, e := range list {
			if len(out) == 10 {
				break
			}
			out = append(out, platform.Violation{File: name, Rule: "syntax-error", Line: e.Pos.Line, Col: e.Pos.Column, Message: e.Msg})
		}
	}
	if len(out) == 0 {
		out = append(out, platform.Violation{File: name, Rule: "syntax-error", Message: err.Error()})
	}
	return out
}
