package golang

import (
	"errors"
	"go/ast"
	"go/types"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// Struct fields as encoding/json sees them, from the syntax of the file.

// candidate is a field before Go's rules pick among equal JSON names.
type candidate struct {
	field
	depth  int
	tagged bool
}

// structFields lists a struct's JSON fields as encoding/json does: exported
// fields, promoted fields of embedded structs, the shallowest (then the only
// tagged) of equal names. custom reports an embedded type whose decode
// method is promoted.
func (r *resolver) structFields(st *ast.StructType) ([]field, bool, error) {
	var cands []candidate
	custom := false
	var walk func(st *ast.StructType, prefix []step, depth int, seen map[string]bool) error
	walk = func(st *ast.StructType, prefix []step, depth int, seen map[string]bool) error {
		for _, f := range st.Fields.List {
			tagName, skip := jsonTag(f.Tag)
			if skip {
				continue
			}
			if len(f.Names) == 0 {
				base, isPtr := embeddedName(f.Type)
				if base == "" {
					return unsupported(f.Type, "embedded field %s is not supported", types.ExprString(f.Type))
				}
				spec := r.specs[base]
				if tagName == "" && spec != nil && !spec.Assign.IsValid() && spec.TypeParams == nil {
					if m := r.methods[base]; m["UnmarshalJSON"] || m["UnmarshalText"] {
						custom = true
						continue
					}
					if inner, ok := unparen(spec.Type).(*ast.StructType); ok {
						if seen[base] {
							continue
						}
						s := step{name: base}
						if isPtr {
							s.pointer = base
						}
						seen2 := map[string]bool{base: true}
						for k := range seen {
							seen2[k] = true
						}
						if err := walk(inner, append(append([]step{}, prefix...), s), depth+1, seen2); err != nil {
							return err
						}
						continue
					}
				}
				if base == "Time" && tagName == "" {
					custom = true // an embedded time.Time decodes the whole struct
					continue
				}
				if !ast.IsExported(base) && tagName == "" {
					continue
				}
				t, err := r.resolve(f.Type)
				if err != nil {
					return err
				}
				cands = append(cands, candidate{field{json: or(tagName, base), path: append(append([]step{}, prefix...), step{name: base}), typ: t}, depth, tagName != ""})
				continue
			}
			for _, n := range f.Names {
				if !n.IsExported() {
					continue
				}
				t, err := r.resolve(f.Type)
				if err != nil {
					var te *typeError
					if errors.As(err, &te) {
						te.msg = "field " + n.Name + ": " + te.msg
					}
					return err
				}
				cands = append(cands, candidate{field{json: or(tagName, n.Name), path: append(append([]step{}, prefix...), step{name: n.Name}), typ: t}, depth, tagName != ""})
			}
		}
		return nil
	}
	if err := walk(st, nil, 0, map[string]bool{}); err != nil {
		return nil, false, err
	}
	return dominant(cands), custom, nil
}

// dominant applies encoding/json's rule for fields of equal names.
func dominant(cands []candidate) []field {
	byName := map[string][]candidate{}
	var order []string
	for _, c := range cands {
		if _, ok := byName[c.json]; !ok {
			order = append(order, c.json)
		}
		byName[c.json] = append(byName[c.json], c)
	}
	var out []field
	for _, name := range order {
		cs := byName[name]
		sort.SliceStable(cs, func(i, j int) bool { return cs[i].depth < cs[j].depth })
		top := cs[:1]
		for _, c := range cs[1:] {
			if c.depth == cs[0].depth {
				top = append(top, c)
			}
		}
		if len(top) == 1 {
			out = append(out, top[0].field)
			continue
		}
		var tagged []candidate
		for _, c := range top {
			if c.tagged {
				tagged = append(tagged, c)
			}
		}
		if len(tagged) == 1 {
			out = append(out, tagged[0].field)
		}
	}
	return out
}

func embeddedName(e ast.Expr) (string, bool) {
	ptr := false
	if s, ok := e.(*ast.StarExpr); ok {
		e, ptr = s.X, true
	}
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name, ptr
	case *ast.SelectorExpr:
		return x.Sel.Name, ptr
	}
	return "", ptr
}

// jsonTag returns the JSON name of a field's tag and whether the tag
// excludes the field.
func jsonTag(tag *ast.BasicLit) (string, bool) {
	if tag == nil {
		return "", false
	}
	s, err := strconv.Unquote(tag.Value)
	if err != nil {
		return "", false
	}
	v := reflect.StructTag(s).Get("json")
	if v == "-" {
		return "", true
	}
	name, _, _ := strings.Cut(v, ",")
	return name, false
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
