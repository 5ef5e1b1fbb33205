package wardtoken

import (
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
