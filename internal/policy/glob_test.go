package policy

import (
	"strings"
	"testing"
)

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		glob, path string
		want       bool
	}{
		// Literal paths.
		{"staging/payments/db", "staging/payments/db", true},
		{"staging/payments/db", "staging/payments/dbx", false},
		{"staging/payments/db", "staging/payments", false},
		{"staging/payments/db", "staging/payments/db/old", false},
		{"staging/payments/db", "staging/payments/db/", false},
		{"staging/payments/db", "Staging/payments/db", false},
		// "*" is one whole segment, never more, never across "/".
		{"staging/payments/*", "staging/payments/db", true},
		{"staging/payments/*", "staging/payments/a/b", false},
		{"staging/payments/*", "staging/paymentsx", false},
		{"staging/payments/*", "staging/paymentsx/db", false},
		{"staging/payments/*", "staging/payments", false},
		{"staging/payments/*", "staging/payments/", true}, // listing the directory
		{"staging/*/db", "staging/payments/db", true},
		{"staging/*/db", "staging/a/b/db", false},
		// "*" within a segment.
		{"staging/pay*", "staging/payments", true},
		{"staging/pay*", "staging/pay", true},
		{"staging/pay*", "staging/pa", false},
		{"staging/pay*", "staging/payments/db", false},
		{"staging/pay*", "staging/xpayments", false},
		{"staging/*-db", "staging/payments-db", true},
		{"staging/*-db", "staging/payments-dbx", false},
		{"staging/a*b*c", "staging/abc", true},
		{"staging/a*b*c", "staging/axxbyyc", true},
		{"staging/a*b*c", "staging/acb", false},
		{"staging/a*b*c", "staging/abcb", false},
		{"staging/ab*ba", "staging/aba", false}, // prefix and suffix may not overlap
		{"staging/ab*ba", "staging/abba", true},
		{"staging/*a*", "staging/bab", true},
		{"staging/*a*", "staging/bbb", false},
		// "**" is zero or more whole segments.
		{"staging/**", "staging/payments/db", true},
		{"staging/**", "staging/payments", true},
		{"staging/**", "staging", true},
		{"staging/**", "staging/", true},
		{"staging/**", "stagingx/db", false},
		{"staging/**/db", "staging/db", true},
		{"staging/**/db", "staging/a/b/c/db", true},
		{"staging/**/db", "staging/a/b/c/dbx", false},
		{"staging/**/db", "staging/a/db/c", false},
		{"staging/**/db/**", "staging/a/db/c", true},
		{"staging/**/a/**/b", "staging/x/a/y/z/b", true},
		{"staging/**/a/**/b", "staging/x/b/y/a", false},
		{"staging/**/a/*/b", "staging/a/a/x/b", true},
		{"staging/**/a/*/b", "staging/a/a/x/y/b", false},
		{"**", "staging/a/b", true},
		{"*/shared/**", "staging/shared/sentry", true},
		{"*/shared/**", "staging/payments/shared", false},
		// A trailing "/" in a rule names the directory only.
		{"staging/payments/", "staging/payments/", true},
		{"staging/payments/", "staging/payments", false},
		{"staging/payments/", "staging/payments/db", false},
	}
	for _, tt := range tests {
		if msg := rulePathProblem(tt.glob); msg != "" {
			t.Fatalf("rule path %q refused: %s", tt.glob, msg)
		}
		g := compileGlob(tt.glob)
		if got := g.match(strings.Split(tt.path, "/")); got != tt.want {
			t.Errorf("%q matching %q = %v, want %v", tt.glob, tt.path, got, tt.want)
		}
	}
}

// TestGlobMatchLinear checks that many "**" over a long path finish: the
// matcher must not backtrack exponentially.
func TestGlobMatchLinear(t *testing.T) {
	g := compileGlob("e" + strings.Repeat("/**/a", 30) + "/b")
	path := strings.Split("e/"+strings.Repeat("a/", 500)+"c", "/")
	if g.match(path) {
		t.Fatal("matched a path that does not end in b")
	}
}
