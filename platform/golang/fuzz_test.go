package golang

import (
	"strings"
	"testing"
)

// hostileTypes are invalid Go that must neither loop nor crash the
// validator: the compiler refuses them later.
var hostileTypes = []string{
	"package p\ntype A B\ntype B A\nfunc F(a A) {}",
	"package p\ntype A = B\ntype B = A\nfunc F(a A) {}",
	"package p\ntype A *A\nfunc F(a A) {}",
	"package p\ntype A []A\nfunc F(a A) A { return a }",
	"package p\ntype A struct{ B }\ntype B struct{ A }\nfunc F(a A) {}",
	"package p\ntype A struct{ *A; X int }\nfunc F(a A) {}",
	"package p\ntype A map[string]A\nfunc F(a A) {}",
	"package p\nfunc F(a " + strings.Repeat("[]", 500) + "int) {}",
}

func TestHostileTypes(t *testing.T) {
	for _, src := range hostileTypes {
		a := analyze("m.go", []byte(src), "F", DefaultPolicy())
		if a.entry != nil && len(a.violations) == 0 {
			if _, err := generateBinding("p", "m.go", a.entry); err != nil {
				t.Errorf("%q: %v", src, err)
			}
		}
	}
}

// FuzzGenerate: no source makes the validator panic, and every source it
// accepts generates a binding that parses.
func FuzzGenerate(f *testing.F) {
	for _, tt := range rejected {
		f.Add("package p\n" + tt.src)
	}
	for _, src := range accepted {
		f.Add(src)
	}
	for _, src := range hostileTypes {
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src string) {
		a := analyze("m.go", []byte(src), "F", DefaultPolicy())
		if a.entry == nil || len(a.violations) > 0 {
			return
		}
		if _, err := generateBinding(a.file.Name.Name, "m.go", a.entry); err != nil {
			t.Fatalf("accepted source, broken binding: %v\n%s", err, src)
		}
		a.entry.signature()
	})
}
