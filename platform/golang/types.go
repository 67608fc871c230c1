package golang

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strconv"
	"strings"
)

// The types a parameter or result may have, resolved from the file's syntax
// alone: predeclared types, the file's own type declarations and time.Time.
// Nothing is imported or type-checked (the compiler does that in the
// builder), so the validator needs no Go toolchain on the host.

type kind uint8

const (
	kindBool kind = iota + 1
	kindInt
	kindUint
	kindFloat
	kindString
	kindBytes
	kindSlice
	kindArray
	kindMap
	kindStruct
	kindPointer
	kindAny
	// kindCustom decodes itself with encoding/json: time.Time, or a type of
	// the file with an UnmarshalJSON or UnmarshalText method.
	kindCustom
)

// typ is one resolved type.
type typ struct {
	kind   kind
	bits   int    // ints, uints, floats
	basic  string // the predeclared name of a basic kind: int, uint8, float64, ...
	name   string // the spelling of a named type in the generated code
	elem   *typ   // slice, array, map value, pointer
	key    *typ   // map key
	length int64  // array
	fields []field
	what   string // custom: what a value should look like, for errors
	id     int    // its converter's number, set by the generator
}

// field is one JSON field of a struct, promoted fields included.
type field struct {
	json string
	path []step // Go selectors from the struct value
	typ  *typ
}

// step is one selector; embedded pointers are allocated on the way.
type step struct {
	name    string
	pointer string // for an embedded pointer: the type to allocate
}

// spell is how the generated code, in the agent's package, names t.
func (t *typ) spell() string {
	if t.name != "" {
		return t.name
	}
	switch t.kind {
	case kindBytes:
		return "[]byte"
	case kindSlice:
		return "[]" + t.elem.spell()
	case kindArray:
		return "[" + strconv.FormatInt(t.length, 10) + "]" + t.elem.spell()
	case kindMap:
		return "map[" + t.key.spell() + "]" + t.elem.spell()
	case kindPointer:
		return "*" + t.elem.spell()
	case kindAny:
		return "any"
	}
	return t.basic
}

var basics = map[string]typ{
	"bool":    {kind: kindBool, basic: "bool"},
	"string":  {kind: kindString, basic: "string"},
	"int":     {kind: kindInt, bits: 64, basic: "int"},
	"int8":    {kind: kindInt, bits: 8, basic: "int8"},
	"int16":   {kind: kindInt, bits: 16, basic: "int16"},
	"int32":   {kind: kindInt, bits: 32, basic: "int32"},
	"rune":    {kind: kindInt, bits: 32, basic: "int32"},
	"int64":   {kind: kindInt, bits: 64, basic: "int64"},
	"uint":    {kind: kindUint, bits: 64, basic: "uint"},
	"uint8":   {kind: kindUint, bits: 8, basic: "uint8"},
	"byte":    {kind: kindUint, bits: 8, basic: "uint8"},
	"uint16":  {kind: kindUint, bits: 16, basic: "uint16"},
	"uint32":  {kind: kindUint, bits: 32, basic: "uint32"},
	"uint64":  {kind: kindUint, bits: 64, basic: "uint64"},
	"float32": {kind: kindFloat, bits: 32, basic: "float32"},
	"float64": {kind: kindFloat, bits: 64, basic: "float64"},
}

const supportedTypes = "bool, integers, floats, string, []byte, slices, arrays, maps with string or integer keys, " +
	"structs declared in this file, pointers to those, any, time.Time"

// resolver resolves type expressions of one file.
type resolver struct {
	specs   map[string]*ast.TypeSpec
	methods map[string]map[string]bool // type name -> its method names
	imports map[string]string          // local name -> import path
	memo    map[string]*typ
	depth   int // of resolve and underlying calls: hostile input may nest or loop
}

// maxTypeDepth bounds type resolution: deeper is refused, never a stack
// overflow of the platform (`type A B; type B A` would loop otherwise).
const maxTypeDepth = 100

func (r *resolver) enter(e ast.Expr) error {
	r.depth++
	if r.depth > maxTypeDepth {
		return unsupported(e, "%s is nested too deeply or is an invalid recursive type", types.ExprString(e))
	}
	return nil
}

func newResolver(f *ast.File) *resolver {
	r := &resolver{specs: map[string]*ast.TypeSpec{}, methods: map[string]map[string]bool{},
		imports: importNames(f), memo: map[string]*typ{}}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.GenDecl:
			for _, s := range d.Specs {
				if ts, ok := s.(*ast.TypeSpec); ok {
					r.specs[ts.Name.Name] = ts
				}
			}
		case *ast.FuncDecl:
			if d.Recv != nil && len(d.Recv.List) == 1 {
				if base := receiverBase(d.Recv.List[0].Type); base != "" {
					if r.methods[base] == nil {
						r.methods[base] = map[string]bool{}
					}
					r.methods[base][d.Name.Name] = true
				}
			}
		}
	}
	return r
}

// importNames maps each import's local name to its path.
func importNames(f *ast.File) map[string]string {
	out := map[string]string{}
	for _, s := range f.Imports {
		p, err := strconv.Unquote(s.Path.Value)
		if err != nil {
			continue
		}
		name := p[strings.LastIndexByte(p, '/')+1:]
		if isVersionElement(name) && strings.Contains(p, "/") {
			prev := p[:strings.LastIndexByte(p, '/')]
			name = prev[strings.LastIndexByte(prev, '/')+1:]
		}
		if s.Name != nil {
			name = s.Name.Name
		}
		out[name] = p
	}
	return out
}

func isVersionElement(s string) bool {
	if len(s) < 2 || s[0] != 'v' {
		return false
	}
	_, err := strconv.Atoi(s[1:])
	return err == nil
}

func receiverBase(e ast.Expr) string {
	for {
		switch x := e.(type) {
		case *ast.StarExpr:
			e = x.X
		case *ast.ParenExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.IndexListExpr:
			e = x.X
		case *ast.Ident:
			return x.Name
		default:
			return ""
		}
	}
}

// typeError says why a type is not supported.
type typeError struct {
	pos token.Pos
	msg string
}

func (e *typeError) Error() string { return e.msg }

func unsupported(e ast.Expr, format string, args ...any) error {
	return &typeError{pos: e.Pos(), msg: fmt.Sprintf(format, args...)}
}

func (r *resolver) resolve(e ast.Expr) (*typ, error) {
	defer func() { r.depth-- }()
	if err := r.enter(e); err != nil {
		return nil, err
	}
	switch x := e.(type) {
	case *ast.ParenExpr:
		return r.resolve(x.X)
	case *ast.Ident:
		if spec, ok := r.specs[x.Name]; ok {
			return r.named(spec)
		}
		if b, ok := basics[x.Name]; ok {
			t := b
			return &t, nil
		}
		if x.Name == "any" {
			return &typ{kind: kindAny}, nil
		}
		return nil, unsupported(e, "%s is not supported (supported: %s)", x.Name, supportedTypes)
	case *ast.SelectorExpr:
		if pkg, ok := x.X.(*ast.Ident); ok && r.imports[pkg.Name] == "time" && x.Sel.Name == "Time" {
			return &typ{kind: kindCustom, name: "stargate_time.Time", what: "an RFC 3339 date-time"}, nil
		}
		return nil, unsupported(e, "%s is not supported: of imported types only time.Time is (supported: %s)",
			types.ExprString(e), supportedTypes)
	case *ast.StarExpr:
		elem, err := r.resolve(x.X)
		if err != nil {
			return nil, err
		}
		return &typ{kind: kindPointer, elem: elem}, nil
	case *ast.ArrayType:
		elem, err := r.resolve(x.Elt)
		if err != nil {
			return nil, err
		}
		if x.Len == nil {
			if elem.kind == kindUint && elem.bits == 8 {
				return &typ{kind: kindBytes, elem: elem}, nil
			}
			return &typ{kind: kindSlice, elem: elem}, nil
		}
		lit, ok := x.Len.(*ast.BasicLit)
		if !ok || lit.Kind != token.INT {
			return nil, unsupported(e, "array %s is not supported: write its length as a number", types.ExprString(e))
		}
		n, err := strconv.ParseInt(lit.Value, 0, 64)
		if err != nil || n > 1<<20 {
			return nil, unsupported(e, "array %s is not supported: too long", types.ExprString(e))
		}
		return &typ{kind: kindArray, elem: elem, length: n}, nil
	case *ast.MapType:
		key, err := r.resolve(x.Key)
		if err != nil {
			return nil, err
		}
		if key.kind != kindString && key.kind != kindInt && key.kind != kindUint {
			return nil, unsupported(x.Key, "map key %s is not supported: JSON object keys are strings (or integers)", types.ExprString(x.Key))
		}
		elem, err := r.resolve(x.Value)
		if err != nil {
			return nil, err
		}
		return &typ{kind: kindMap, key: key, elem: elem}, nil
	case *ast.InterfaceType:
		if x.Methods == nil || len(x.Methods.List) == 0 {
			return &typ{kind: kindAny}, nil
		}
		return nil, unsupported(e, "interface types other than any are not supported")
	case *ast.StructType:
		return nil, unsupported(e, "struct literals are not supported: declare a named struct type in the file")
	}
	return nil, unsupported(e, "%s is not supported (supported: %s)", types.ExprString(e), supportedTypes)
}

// named resolves a type declared in the file.
func (r *resolver) named(spec *ast.TypeSpec) (*typ, error) {
	name := spec.Name.Name
	if t, ok := r.memo[name]; ok {
		return t, nil
	}
	if spec.TypeParams != nil {
		return nil, unsupported(spec.Name, "generic type %s is not supported", name)
	}
	if m := r.methods[name]; m["UnmarshalJSON"] || m["UnmarshalText"] {
		t := &typ{kind: kindCustom, name: name}
		r.memo[name] = t
		return t, nil
	}
	t := &typ{name: name}
	r.memo[name] = t // before resolving: recursive types refer to themselves
	under := unparen(spec.Type)
	if st, ok := under.(*ast.StructType); ok {
		fields, custom, err := r.structFields(st)
		if err != nil {
			delete(r.memo, name)
			return nil, err
		}
		t.kind, t.fields = kindStruct, fields
		if custom {
			t.kind, t.fields = kindCustom, nil
		}
		return t, nil
	}
	u, err := r.underlying(under)
	if err != nil {
		delete(r.memo, name)
		return nil, err
	}
	n := *u
	n.name = name
	if spec.Assign.IsValid() && u.name != "" {
		n.name = u.name // an alias spells as what it stands for
	}
	*t = n
	return t, nil
}

// underlying resolves e as the underlying type of a declaration: a named
// type of the file contributes its structure, not its methods.
func (r *resolver) underlying(e ast.Expr) (*typ, error) {
	defer func() { r.depth-- }()
	if err := r.enter(e); err != nil {
		return nil, err
	}
	if id, ok := e.(*ast.Ident); ok {
		if spec, ok := r.specs[id.Name]; ok && !spec.Assign.IsValid() && spec.TypeParams == nil {
			if st, ok := unparen(spec.Type).(*ast.StructType); ok {
				fields, custom, err := r.structFields(st)
				if err != nil {
					return nil, err
				}
				if custom {
					return &typ{kind: kindCustom, what: ""}, nil
				}
				return &typ{kind: kindStruct, fields: fields}, nil
			}
			return r.underlying(unparen(spec.Type))
		}
	}
	return r.resolve(e)
}

func unparen(e ast.Expr) ast.Expr {
	for {
		p, ok := e.(*ast.ParenExpr)
		if !ok {
			return e
		}
		e = p.X
	}
}
