package userpass

import (
	"strings"
	"testing"
)

// Normalize takes names from the network: it must never panic, its result
// must be a fixed point, and only ASCII letters, digits and ". _ - @".
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"alice", " Alice ", "ａｌｉｃｅ", "\u212Aim", "ſam", "ALİCE", "\xff", "a\u0301", "ﬁ", "\u3000x\u3000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Normalize(s)
		if err != nil {
			return
		}
		if n == "" || len(n) > MaxNameLen || strings.Trim(n, "abcdefghijklmnopqrstuvwxyz0123456789._-@") != "" {
			t.Fatalf("Normalize(%q) = %q", s, n)
		}
		if again, err := Normalize(n); err != nil || again != n {
			t.Fatalf("Normalize is not idempotent on %q: %q, %v", n, again, err)
		}
	})
}

// ParseHash reads stored data that the storage may have had changed: it
// must refuse junk without panicking, and what it accepts must re-encode
// to itself.
func FuzzParseHash(f *testing.F) {
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g")
	f.Add("$argon2id$v=19$m=4294967295,t=1,p=255$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA")
	f.Add("$argon2id$v=19$m=-1,t=1,p=1$$")
	f.Fuzz(func(t *testing.T, s string) {
		ph, err := ParseHash(s)
		if err != nil {
			return
		}
		back, err := ParseHash(ph.String())
		if err != nil || back.String() != ph.String() {
			t.Fatalf("ParseHash(%q) re-encodes to %q, which parses to %v", s, ph.String(), err)
		}
	})
}
