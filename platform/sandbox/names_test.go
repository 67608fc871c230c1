package sandbox_test

import (
	"errors"
	"strings"
	"testing"
	"unicode"

	"stargate/platform"
	"stargate/platform/sandbox"
)

func TestCheckHash(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"a", true},
		{"Z", true},
		{"7", true},
		{"abc123", true},
		{"a_b-c", true},
		{"0-_", true},
		{strings.Repeat("a", 128), true},
		{strings.Repeat("a", 129), false},
		{"", false},
		{"-a", false},
		{"_a", false},
		{".", false},
		{"..", false},
		{"../etc", false},
		{"a/../b", false},
		{"a/b", false},
		{`a\b`, false},
		{"a.b", false},
		{".hidden", false},
		{"%2e%2e", false},
		{"a b", false},
		{" a", false},
		{"a\n", false},
		{"a\t", false},
		{"a\x00", false},
		{"\x00", false},
		{"é", false},
		{"aé", false},
		{"ａ", false}, // fullwidth a, NFKC-normalises to "a"
		{"a\u200b", false},
		{"a:b", false},
		{"~root", false},
		{"a*", false},
	}
	for _, tt := range tests {
		err := sandbox.CheckHash(tt.in)
		if got := err == nil; got != tt.want {
			t.Errorf("CheckHash(%q) = %v, want ok=%v", tt.in, err, tt.want)
		}
		if got := sandbox.ValidHash(tt.in); got != tt.want {
			t.Errorf("ValidHash(%q) = %v, want %v", tt.in, got, tt.want)
		}
		if err != nil {
			var inv *platform.InvalidError
			if !errors.As(err, &inv) || inv.Field != "visible_pixel_hash" || !errors.Is(err, platform.ErrInvalid) {
				t.Errorf("CheckHash(%q) = %#v, want an InvalidError on visible_pixel_hash", tt.in, err)
			}
		}
	}
}

func TestCheckIdentifier(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"f", true},
		{"_", true},
		{"_private", true},
		{"handler", true},
		{"scan_image2", true},
		{"CamelCase", true},
		{"match", true}, // soft keywords name things fine
		{"case", true},
		{"type", true},
		{"none", true},
		{strings.Repeat("x", 128), true},
		{strings.Repeat("x", 129), false},
		{"", false},
		{"1f", false},
		{"a-b", false},
		{"a.b", false},
		{"os.path", false},
		{"a/b", false},
		{"..", false},
		{"../x", false},
		{"a b", false},
		{"a\n", false},
		{"a\x00", false},
		{"é", false},
		{"ℌ", false},   // a Python identifier, NFKC "H"; not ASCII
		{"ｆ", false},   // fullwidth
		{"ﬁle", false}, // ligature, NFKC "file"
		{"def", false},
		{"class", false},
		{"import", false},
		{"lambda", false},
		{"None", false},
		{"True", false},
		{"False", false},
		{"async", false},
		{"await", false},
		{"yield", false},
	}
	for _, tt := range tests {
		err := sandbox.CheckIdentifier("function_name", tt.in)
		if got := err == nil; got != tt.want {
			t.Errorf("CheckIdentifier(%q) = %v, want ok=%v", tt.in, err, tt.want)
		}
		if got := sandbox.ValidIdentifier(tt.in); got != tt.want {
			t.Errorf("ValidIdentifier(%q) = %v, want %v", tt.in, got, tt.want)
		}
		if err != nil {
			var inv *platform.InvalidError
			if !errors.As(err, &inv) || inv.Field != "function_name" {
				t.Errorf("CheckIdentifier(%q) = %#v, want an InvalidError on function_name", tt.in, err)
			}
		}
	}
}

func TestCheckErrorClipsLongInput(t *testing.T) {
	long := strings.Repeat("/", 10000)
	for _, err := range []error{sandbox.CheckHash(long), sandbox.CheckIdentifier("module_name", long)} {
		if err == nil {
			t.Fatal("a long name was accepted")
		}
		if got := len(err.Error()); got > 300 {
			t.Errorf("error is %d bytes long, want the name clipped", got)
		}
	}
}

// FuzzValidNames: nothing that could change a path, split a line or hide in
// a NUL is ever accepted as a hash or an identifier.
func FuzzValidNames(f *testing.F) {
	for _, s := range []string{
		"a", "abc_def-1", "handler", "..", "../x", "a/b", "a.py", "a\x00", "a b", "a\n", "\t",
		"é", "ｆ", "ℌ", "def", "None", "-a", "_a", strings.Repeat("a", 128), strings.Repeat("a", 129),
		"a\u2028", "a\u00a0", "a\r", "%2f", "a\\b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range []struct {
			name string
			err  error
		}{
			{"CheckHash", sandbox.CheckHash(s)},
			{"CheckIdentifier", sandbox.CheckIdentifier("f", s)},
		} {
			if c.err != nil {
				if !errors.Is(c.err, platform.ErrInvalid) {
					t.Fatalf("%s(%q) = %v, want an ErrInvalid", c.name, s, c.err)
				}
				continue
			}
			if s == "" || len(s) > 128 {
				t.Fatalf("%s accepted %q (length %d)", c.name, s, len(s))
			}
			if strings.ContainsAny(s, "/.\\\x00") {
				t.Fatalf("%s accepted %q", c.name, s)
			}
			for _, r := range s {
				if unicode.IsSpace(r) || r > unicode.MaxASCII || unicode.IsControl(r) {
					t.Fatalf("%s accepted %q with rune %U", c.name, s, r)
				}
			}
		}
		if (sandbox.CheckHash(s) == nil) != sandbox.ValidHash(s) {
			t.Fatalf("CheckHash and ValidHash disagree on %q", s)
		}
		if (sandbox.CheckIdentifier("f", s) == nil) != sandbox.ValidIdentifier(s) {
			t.Fatalf("CheckIdentifier and ValidIdentifier disagree on %q", s)
		}
	})
}
