package main

import "testing"

func TestMdCode(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"ci-api", "`ci-api`"},
		{"a`b", "``a`b``"},
		{"`x``", "``` `x`` ```"},
		{"two\nlines", "`two lines`"},
		{"<img src=x>", "`<img src=x>`"},
	} {
		if got := mdCode(tc.in); got != tc.want {
			t.Errorf("mdCode(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := mdFence("a ```` b"); got != "`````" {
		t.Errorf("mdFence = %q, want five backticks", got)
	}
	if got := mdFence("plain"); got != "```" {
		t.Errorf("mdFence = %q, want three backticks", got)
	}
}
