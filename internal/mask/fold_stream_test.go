package mask

import (
	"bytes"
	"encoding/base64"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestFoldAcrossWrites folds a value's base64 at every column, with LF and
// CRLF, and writes the text in two writes cut right after the line break,
// with a flush between: what a child printing a folded value line by line
// gives. The output must be the one of a single write, and neither piece
// may survive. A line that ends inside a match may be written out before
// the next line comes (startHold), but the next line's start must stay held
// until it shows whether a window runs on into it.
func TestFoldAcrossWrites(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	early := 0 // first lines written out before the second came
	for range 40 {
		v := []byte(randString(r, 16+r.IntN(25), alnum))
		m, _, err := NewMatcher([]Secret{{Name: "app/key", Value: v}}, Options{AfterFunc: (&fakeClock{}).AfterFunc})
		if err != nil {
			t.Fatal(err)
		}
		form := base64.StdEncoding.EncodeToString(v)
		for c := 4; c <= len(form)-4; c++ {
			for _, nl := range []string{"\n", "\r\n"} {
				first := "x " + form[:c] + nl
				second := form[c:] + " y\n"
				one := maskChunks(m, first+second, 1<<20)
				var out bytes.Buffer
				w := m.NewWriter(&out)
				w.Write([]byte(first))
				w.Flush()
				if c >= WindowLen && out.String() == "x [masked:app/key]"+nl {
					early++
				}
				w.Write([]byte(second))
				w.Flush()
				w.Close()
				got := out.String()
				if got != one {
					// Offsets and lengths only: the output may hold pieces of the value.
					t.Fatalf("folded at %d of %d (%q): two writes gave %d bytes, one %d, differing from byte %d", c, len(form), nl, len(got), len(one), commonPrefix(got, one))
				}
				if strings.Contains(got, form[:c]) || strings.Contains(got, form[c:]) {
					t.Fatalf("folded at %d of %d (%q): a piece survived", c, len(form), nl)
				}
			}
		}
	}
	// Most first lines end with a head of the form, which the split rule
	// holds until the next line ends; the others go out at once.
	if early == 0 {
		t.Errorf("no first line went out before the second came")
	}
}

// commonPrefix returns the length of the longest common prefix of a and b.
func commonPrefix(a, b string) int {
	i := 0
	for i < min(len(a), len(b)) && a[i] == b[i] {
		i++
	}
	return i
}
