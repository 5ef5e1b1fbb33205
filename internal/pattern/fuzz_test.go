package pattern

import (
	"regexp"
	"testing"
)

// FuzzCompile: a pattern from a hostile schema either is refused with an
// *UnsupportedError or yields a DFA that agrees with Go's regexp, the
// server's engine, on the probes and on the pattern's own text.
func FuzzCompile(f *testing.F) {
	for _, p := range agreePatterns {
		f.Add(p, "abc")
	}
	f.Add(`(a|b)*c{2,3}$`, "abacc")
	f.Add(`[^\x00-\x7f]+`, "日本")
	f.Fuzz(func(t *testing.T, p, s string) {
		re, err := regexp.Compile(p)
		d, derr := Compile(p)
		if derr != nil {
			if _, ok := derr.(*UnsupportedError); !ok {
				t.Fatalf("Compile(%q) = %T %v, want an *UnsupportedError", p, derr, derr)
			}
			return
		}
		if err != nil {
			t.Fatalf("Compile(%q) accepts what regexp refuses: %v", p, err)
		}
		for _, in := range append([]string{s, p}, probes[:8]...) {
			if got, want := d.MatchString(in), re.MatchString(in); got != want {
				t.Fatalf("pattern %q on %q: DFA %v, regexp %v", p, in, got, want)
			}
		}
	})
}
