package mask

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
)

// parallelSecrets are the values FuzzParallel and TestParallelBoundaries
// plant: long ones (window runs, folds, views), one shorter than WindowLen
// (a tier), and one that a shorter one starts.
var parallelSecrets = []Secret{
	{Name: "aws", Value: []byte("AKIAIOSFODNN7EXAMPLE")},
	{Name: "pw", Value: []byte("p@ss w0rd/+?&=\\\"x")},
	{Name: "short", Value: []byte("k9Qw-2xZ")},
	{Name: "jwt", Value: []byte("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjaSJ9.c2lnbmF0dXJl")},
	{Name: "pre", Value: []byte("AKIAIOSF")},
}

// plantedForm returns one encoded, escaped, folded or cut-up form of v,
// chosen by r: what the views, folds and split rule have to reassemble.
func plantedForm(v []byte, r *rand.Rand) string {
	s := string(v)
	switch r.IntN(10) {
	case 0:
		return base64.StdEncoding.EncodeToString(v)
	case 1:
		return hex.EncodeToString(v)
	case 2:
		return url.QueryEscape(s)
	case 3: // every byte escaped
		var b strings.Builder
		for _, c := range v {
			fmt.Fprintf(&b, "\\x%02x", c)
		}
		return b.String()
	case 4: // coloured pieces
		cut := 1 + r.IntN(len(s)-1)
		return "\x1b[31m" + s[:cut] + "\x1b[0m\x1b[32m" + s[cut:] + "\x1b[0m"
	case 5: // UTF-16
		var b strings.Builder
		for _, c := range v {
			b.WriteByte(c)
			b.WriteByte(0)
		}
		return b.String()
	case 6: // split across two lines
		cut := 1 + r.IntN(len(s)-1)
		return s[:cut] + "\n" + stamp + "+ export TOKEN=" + s[cut:]
	case 7: // folded
		return fold(base64.StdEncoding.EncodeToString(v), 4+r.IntN(30), []string{"\n", "\r\n"}[r.IntN(2)])
	case 8: // a percent escape and a backslash escape that read differently from their middle
		return "\\\\x41%%41\\" + s
	}
	return s
}

// plantedText builds a log from text: the forms of the secrets planted at
// random places in it, and random hostile bytes (escape starts, line
// breaks) sprinkled through.
func plantedText(text []byte, r *rand.Rand, n int) []byte {
	var in []byte
	for len(in) < n {
		switch r.IntN(4) {
		case 0:
			in = append(in, plantedForm(parallelSecrets[r.IntN(len(parallelSecrets))].Value, r)...)
		case 1:
			in = append(in, "\n\r\n%\\\x1b\x00["[r.IntN(8)])
		default:
			if len(text) == 0 {
				in = append(in, "log line "...)
				continue
			}
			at := r.IntN(len(text))
			in = append(in, text[at:min(len(text), at+1+r.IntN(200))]...)
		}
	}
	return in
}

// maskChunked masks in with m, written in chunks of the given sizes (the
// last repeated), and returns the output.
func maskChunked(t testing.TB, m *Matcher, in []byte, sizes []int) []byte {
	t.Helper()
	var out bytes.Buffer
	w := m.NewWriter(&out)
	for i := 0; len(in) > 0; i++ {
		n := min(len(in), sizes[min(i, len(sizes)-1)])
		if _, err := w.Write(in[:n]); err != nil {
			t.Fatal(err)
		}
		in = in[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// FuzzParallel checks that masking a write in parallel parts gives, byte
// for byte, what one goroutine gives, for the same input cut into the same
// writes (or reads of an Input): the parts of a write are small here, so
// that their borders fall inside escapes, folds, values split across lines
// and view regions.
func FuzzParallel(f *testing.F) {
	f.Add([]byte("2026-01-02T03:04:05.0000000Z + echo ok\n"), uint64(1), uint16(700))
	f.Add([]byte("\\\\\\x41%4%41\x1b[3"), uint64(2), uint16(300))
	f.Add([]byte("a\x00b\x00c\x00\r\n"), uint64(3), uint16(2000))
	f.Fuzz(func(t *testing.T, text []byte, seed uint64, size uint16) {
		if len(text) > 4096 {
			t.Skip()
		}
		defer func(n int) { parallelMin = n }(parallelMin)
		parallelMin = 1
		r := rand.New(rand.NewPCG(seed, 2))
		in := plantedText(text, r, 200+int(size)%6000)
		sizes := []int{1 + r.IntN(len(in)), 1 + r.IntN(len(in))}
		var want []byte
		for _, workers := range []int{1, 2, 3, 5} {
			m, _, err := NewMatcher(parallelSecrets, Options{Workers: workers})
			if err != nil {
				t.Fatal(err)
			}
			got := maskChunked(t, m, in, sizes)
			if workers == 1 {
				want = got
				continue
			}
			if workers == 2 {
				// The same reads through an Input.
				var out bytes.Buffer
				w := m.NewWriter(&out)
				if _, err := w.ReadInput(ReadAhead(&chunkReader{b: in, sizes: sizes}, 16<<10, 2)); err != nil {
					t.Fatal(err)
				}
				w.Close()
				if !bytes.Equal(out.Bytes(), want) {
					t.Fatalf("through an Input: output differs from Write's")
				}
			}
			if !bytes.Equal(got, want) {
				i := 0
				for i < min(len(got), len(want)) && got[i] == want[i] {
					i++
				}
				t.Fatalf("%d workers: output differs from one worker's at byte %d:\n got %q\nwant %q", workers, i,
					got[max(0, i-40):min(len(got), i+40)], want[max(0, i-40):min(len(want), i+40)])
			}
		}
	})
}

// TestParallelBoundaries puts escapes that read differently from their
// middle, coloured, folded and split values at every place around the
// border between two parts of a parallel scan, and checks that the output
// is the one goroutine's, byte for byte.
func TestParallelBoundaries(t *testing.T) {
	defer func(n, k int) { parallelMin, partsPerWorker = n, k }(parallelMin, partsPerWorker)
	parallelMin, partsPerWorker = 1<<10, 1 // two parts, the border in the middle
	one, _, _ := NewMatcher(parallelSecrets, Options{Workers: 1})
	two, _, _ := NewMatcher(parallelSecrets, Options{Workers: 2})
	const size = 4 << 10
	var esc strings.Builder
	for _, c := range []byte("k9Qw-2xZ") {
		fmt.Fprintf(&esc, "\\x%02x", c)
	}
	for _, piece := range []string{
		"\\" + esc.String(), // an escaped backslash, then "x6b": no secret
		esc.String(),
		"%" + url.PathEscape("p@ss w0rd/+?&=\\\"x"),
		"\x1b[31mAKIAIOSF\x1b[0mODNN7EXAMPLE",
		fold(base64.StdEncoding.EncodeToString(parallelSecrets[3].Value), 20, "\r\n"),
		"AKIAIOS\n" + stamp + "+ export TOKEN=FODNN7EXAMPLE",
	} {
		masked := 0
		for at := size/2 - len(piece) - 8; at <= size/2+8; at++ {
			in := []byte(strings.Repeat("y ", at/2) + strings.Repeat("y", at%2) + piece)
			in = append(in, strings.Repeat(" z", (size-len(in))/2+1)...)
			want := maskChunked(t, one, in, []int{len(in)})
			got := maskChunked(t, two, in, []int{len(in)})
			if !bytes.Equal(got, want) {
				t.Errorf("%q at %d: two parts wrote\n%q\none goroutine\n%q", piece, at, got, want)
			}
			if bytes.Contains(want, []byte("[masked:")) {
				masked++
			}
		}
		if piece[0] != '\\' && masked == 0 {
			t.Errorf("%q: never masked", piece)
		}
	}
}
