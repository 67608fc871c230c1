package golang

import (
	"encoding/json"
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"stargate/platform"
)

// entry is the function to serve, with its parameters and results resolved.
type entry struct {
	decl     *ast.FuncDecl
	params   []param
	result   *typ // nil: no value result
	hasError bool // the last result is an error
}

type param struct {
	name     string
	typ      *typ
	variadic bool
	expr     ast.Expr
}

// optional: a missing argument is nil, not a problem. Parameters whose nil
// means "nothing" (pointers, slices, maps; and variadic ones) may be left
// out; the others must be given.
func (p param) optional() bool {
	switch p.typ.kind {
	case kindPointer, kindSlice, kindBytes, kindMap:
		return true
	}
	return p.variadic
}

// findFunc returns the top-level function (no receiver) named name.
func findFunc(f *ast.File, name string) *ast.FuncDecl {
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == name {
			return fd
		}
	}
	return nil
}

// resolveEntry resolves fd's signature; each unsupported parameter or
// result is one violation.
func (c *checker) resolveEntry(r *resolver, fd *ast.FuncDecl) *entry {
	e := &entry{decl: fd}
	before := len(c.out)
	if fd.Name.Name == "init" {
		c.report(fd.Name.Pos(), "unsupported-signature", "init functions cannot be called: serve another function")
	}
	if fd.Type.TypeParams != nil {
		c.report(fd.Type.TypeParams.Pos(), "unsupported-signature", "generic functions are not supported: give "+fd.Name.Name+" concrete types")
	}
	list := fd.Type.Params.List
	for i, f := range list {
		texpr, variadic := f.Type, false
		if el, ok := f.Type.(*ast.Ellipsis); ok && i == len(list)-1 {
			texpr, variadic = el.Elt, true
		}
		if len(f.Names) == 0 {
			c.report(f.Pos(), "unsupported-signature", "parameter "+types.ExprString(f.Type)+" has no name: parameters are bound by name")
			continue
		}
		t, err := r.resolve(texpr)
		for _, n := range f.Names {
			switch {
			case n.Name == "_":
				c.report(n.Pos(), "unsupported-signature", "parameter _ cannot be bound: give it a name")
			case err != nil:
				c.report(errPos(err, n), "unsupported-signature", "parameter "+n.Name+": "+err.Error())
			default:
				pt := t
				if variadic {
					pt = &typ{kind: kindSlice, elem: t}
				}
				e.params = append(e.params, param{name: n.Name, typ: pt, variadic: variadic, expr: f.Type})
			}
		}
	}
	var results []ast.Expr
	if fd.Type.Results != nil {
		for _, f := range fd.Type.Results.List {
			for range max(1, len(f.Names)) {
				results = append(results, f.Type)
			}
		}
	}
	isError := func(x ast.Expr) bool { id, ok := x.(*ast.Ident); return ok && id.Name == "error" }
	switch {
	case len(results) > 2:
		c.report(fd.Type.Results.Pos(), "unsupported-signature", "at most two results are supported: a value and an error")
	case len(results) == 2 && !isError(results[1]):
		c.report(results[1].Pos(), "unsupported-signature", "result 2 must be error: the results may be (value), (value, error) or (error)")
	case len(results) == 2 && isError(results[0]):
		c.report(results[0].Pos(), "unsupported-signature", "result 1: error is only supported as the last result")
	case len(results) == 1 && isError(results[0]):
		e.hasError = true
	}
	if len(results) >= 1 && len(results) <= 2 && !isError(results[0]) {
		t, err := r.resolve(results[0])
		if err != nil {
			c.report(errPos(err, results[0]), "unsupported-signature", "result: "+err.Error())
		}
		e.result = t
		e.hasError = len(results) == 2
	}
	if len(c.out) > before {
		return nil
	}
	return e
}

func errPos(err error, fallback ast.Node) token.Pos {
	if te, ok := err.(*typeError); ok && te.pos.IsValid() {
		return te.pos
	}
	return fallback.Pos()
}

// signature describes e for callers and the OpenAPI document.
func (e *entry) signature() *platform.Signature {
	sig := &platform.Signature{Params: []platform.Param{}}
	if e.decl.Doc != nil {
		sig.Doc = strings.TrimSpace(e.decl.Doc.Text())
	}
	for _, p := range e.params {
		annotation := types.ExprString(p.expr)
		sig.Params = append(sig.Params, platform.Param{
			Name:       p.name,
			Kind:       "positional_or_keyword",
			Annotation: annotation,
			Required:   !p.optional(),
			Schema:     mustJSON(schema(p.typ, 0, map[*typ]bool{})),
		})
	}
	if r := e.decl.Type.Results; r != nil {
		sig.Returns = types.ExprString(&ast.FuncType{Params: &ast.FieldList{}, Results: r})[len("func()"):]
		sig.Returns = strings.TrimSpace(sig.Returns)
	}
	if e.result != nil {
		sig.ReturnSchema = mustJSON(schema(e.result, 0, map[*typ]bool{}))
	}
	return sig
}

// schema is the JSON schema fragment of t.
func schema(t *typ, depth int, open map[*typ]bool) map[string]any {
	if depth > 8 || open[t] {
		return map[string]any{"type": "object"}
	}
	switch t.kind {
	case kindBool:
		return map[string]any{"type": "boolean"}
	case kindInt, kindUint:
		return map[string]any{"type": "integer"}
	case kindFloat:
		return map[string]any{"type": "number"}
	case kindString:
		return map[string]any{"type": "string"}
	case kindBytes:
		return map[string]any{"type": "string", "format": "byte"}
	case kindSlice, kindArray:
		s := map[string]any{"type": "array", "items": schema(t.elem, depth+1, open)}
		if t.kind == kindArray {
			s["minItems"], s["maxItems"] = t.length, t.length
		}
		return s
	case kindMap:
		return map[string]any{"type": "object", "additionalProperties": schema(t.elem, depth+1, open)}
	case kindStruct:
		open[t] = true
		defer delete(open, t)
		props := map[string]any{}
		for _, f := range t.fields {
			props[f.json] = schema(f.typ, depth+1, open)
		}
		return map[string]any{"type": "object", "properties": props}
	case kindPointer:
		s := schema(t.elem, depth+1, open)
		s["nullable"] = true
		return s
	case kindCustom:
		if t.what != "" {
			return map[string]any{"type": "string", "format": "date-time"}
		}
	}
	return map[string]any{}
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}
