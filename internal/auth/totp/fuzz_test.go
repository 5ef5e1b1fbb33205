package totp

import (
	"testing"
	"time"
)

// Whatever a client puts in X-Ward-MFA, Verify accepts only the exact
// code of a step in the window.
func FuzzVerify(f *testing.F) {
	now := time.Unix(1111111111, 0)
	good, _ := Code(secret, now)
	for _, s := range []string{good, " " + good, "0" + good, "１２３４５６", "", "000000", "99999999999", "\x00\x00\x00\x00\x00\x00"} {
		f.Add(s)
	}
	valid := map[string]bool{}
	for _, d := range []time.Duration{-Period, 0, Period} {
		c, _ := Code(secret, now.Add(d))
		valid[c] = true
	}
	f.Fuzz(func(t *testing.T, code string) {
		v := NewVerifier(Config{Now: func() time.Time { return now }})
		err := v.Verify("userpass/alice", secret, code)
		if (err == nil) != valid[code] {
			t.Fatalf("Verify(%q) = %v; valid codes are %v", code, err, valid)
		}
	})
}
