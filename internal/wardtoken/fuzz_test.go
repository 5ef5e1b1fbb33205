package wardtoken

import (
	"bytes"
	"math/big"
	"regexp"
	"strings"
	"testing"
)

// FuzzValid checks that Valid never panics and accepts only strings that the
// obvious math/big construction would have produced from some 256 bits, and
// that the scanner's regular expression finds every string Valid accepts.
func FuzzValid(f *testing.F) {
	for _, s := range []string{
		"",
		Prefix,
		reference(Prefix, make([]byte, 32)),
		reference(AccessorPrefix, make([]byte, 32)),
		withSum(Prefix + maxBody),
		withSum(Prefix + strings.Repeat("z", bodyLen)),
		"ward_DaQQxKw2JnUQ37UfRHgj8g0Og6SnWUUSdDmjFnWuUkS1abdZ5",
		"ward_DaQQxKw2JnUQ37UfRHgj8g0Og6SnWUUSdDmjFnWuUkS1abdZ6",
		"ward_" + strings.Repeat("\xff", 49),
	} {
		f.Add(s)
	}
	re := regexp.MustCompile(`^(?:` + Regexp + `|` + AccessorRegexp + `)$`)
	f.Fuzz(func(t *testing.T, s string) {
		tok, acc := Valid(s), ValidAccessor(s)
		if !tok && !acc {
			return
		}
		if tok && acc {
			t.Fatal("both a token and an accessor")
		}
		if !re.MatchString(s) {
			t.Fatal("valid but missed by the scanner's regexp")
		}
		// math/big's base 62 puts lowercase first; ward's puts uppercase first.
		n := new(big.Int)
		for _, c := range []byte(s[5 : 5+bodyLen]) {
			n.Mul(n, big.NewInt(62))
			n.Add(n, big.NewInt(int64(strings.IndexByte(alphabet, c))))
		}
		if n.BitLen() > 256 {
			t.Fatal("valid but the body is not a 256-bit base62 number")
		}
		raw := n.FillBytes(make([]byte, 32))
		if reference(s[:5], raw) != s {
			t.Fatal("valid but not what New makes from its body")
		}
	})
}

// FuzzOneChange makes a token from fuzzed randomness, checks that it is
// valid, then changes one byte of it and checks that it is not.
func FuzzOneChange(f *testing.F) {
	f.Add(make([]byte, 32), uint8(0), byte('x'))
	f.Add([]byte(strings.Repeat("\xff", 32)), uint8(53), byte('0'))
	f.Add([]byte("0123456789abcdef0123456789abcdef"), uint8(20), byte('A'))
	f.Fuzz(func(t *testing.T, raw []byte, pos uint8, c byte) {
		if len(raw) < 32 {
			return
		}
		tok, err := New(bytes.NewReader(raw))
		if err != nil || !Valid(tok) {
			t.Fatalf("New made an invalid token (%v)", err)
		}
		p := int(pos) % Len
		if tok[p] == c {
			return
		}
		mut := tok[:p] + string([]byte{c}) + tok[p+1:]
		if Valid(mut) || ValidAccessor(mut) {
			t.Fatalf("a change at %d still passes", p)
		}
	})
}
