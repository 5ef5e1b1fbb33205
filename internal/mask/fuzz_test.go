package mask

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// FuzzWriter writes a random secret, in a random form, at random places in
// random text, cut into random chunks, and checks that the form never
// survives whole. With bit 2 of form set, one copy is split across two lines
// at a random place, its tail after a random prefix on the next line (with
// bit 3, the line breaks are CRLF), and the test checks that each piece the
// package documentation promises to mask is masked there.
func FuzzWriter(f *testing.F) {
	f.Add([]byte("ghp_0123456789abcdefghij0123456789abcdef"), []byte("log line one\nline two\n"), uint64(1), uint8(0))
	f.Add([]byte("AKIAABCDEFGH23456789"), []byte("\x1b[31m+ export X=\x1b[0m\n"), uint64(7), uint8(1))
	f.Add([]byte("p@ss w0rd/+?&="), []byte("{\"k\":\"\"}\r\n"), uint64(3), uint8(2))
	f.Add([]byte("AKIAIOSFODNN7EXAMPLE"), []byte("2026-01-02T03:04:05.0000000Z + export TOKEN=\n"), uint64(5), uint8(4))
	f.Add([]byte("glpat-Zx8_k2LmQ9vT3wYpR1sN"), []byte("> Authorization: Bearer \r\n"), uint64(11), uint8(13))
	f.Add([]byte("k9Qw-2xZ"), []byte("+ echo -n \n"), uint64(2), uint8(6))
	f.Fuzz(func(t *testing.T, secret, text []byte, seed uint64, form uint8) {
		if len(secret) < MinLen || len(secret) > 200 || len(text) > 4096 {
			t.Skip()
		}
		m, skipped, err := NewMatcher([]Secret{{Name: "s", Value: secret}}, Options{Replacement: Fixed("\x00")})
		if err != nil {
			t.Fatal(err)
		}
		if len(skipped) > 0 {
			t.Skip()
		}
		var enc []byte
		switch form % 4 {
		case 0:
			enc = secret
		case 1:
			enc = []byte(base64.StdEncoding.EncodeToString(secret))
		case 2:
			enc = []byte(hex.EncodeToString(secret))
		default:
			enc = []byte(base64.RawURLEncoding.EncodeToString(secret))
		}
		if bytes.IndexByte(enc, 0) >= 0 {
			t.Skip() // would clash with the replacement
		}
		r := rand.New(rand.NewPCG(seed, 1))
		var in []byte
		for range 1 + r.IntN(3) {
			at := r.IntN(len(text) + 1)
			in = append(in, text[:at]...)
			in = append(in, enc...)
			text = text[at:]
		}
		in = append(in, text...)
		var head, tail []byte // pieces of a split copy that must be masked
		// The raw form of a multi-line secret is masked line by line.
		if form&4 != 0 && !bytes.ContainsAny(enc, "\r\n") {
			minHead := minSplitHead
			if form%4 == 2 {
				minHead = minHexHead
			}
			in, head, tail = appendSplit(in, enc, text, r, minHead, form&8 != 0)
		}
		in0 := slices.Clone(in)
		var out bytes.Buffer
		w := m.NewWriter(&out)
		for len(in) > 0 {
			n := min(len(in), 1+r.IntN(2*len(enc)))
			if _, err := w.Write(in[:n]); err != nil {
				t.Fatal(err)
			}
			in = in[n:]
			if r.IntN(2) == 0 {
				w.Flush()
			}
		}
		w.Close()
		if bytes.Contains(out.Bytes(), enc) {
			t.Fatalf("form %d of a %d-byte secret survived", form%4, len(secret))
		}
		// Masking never adds an occurrence, so each piece must occur
		// less often in the output than in the input.
		for i, p := range [][]byte{head, tail} {
			if len(p) > 0 && bytes.Count(out.Bytes(), p) >= bytes.Count(in0, p) {
				t.Fatalf("piece %d (%d bytes) of form %d of a %d-byte secret split across lines survived", i, len(p), form%4, len(secret))
			}
		}
	})
}

// appendSplit appends to in a line ending with the first h bytes of enc and
// a line holding a prefix cut from text and the rest of enc, h random. It
// returns the pieces the split rule promises to mask: the head with its line
// break if h >= minHead; the tail if h >= minHead or it is a window.
func appendSplit(in, enc, text []byte, r *rand.Rand, minHead int, crlf bool) (out, head, tail []byte) {
	nl := "\n"
	if crlf {
		nl = "\r\n"
	}
	h := 1 + r.IntN(len(enc)-1)
	prefix := text[:r.IntN(len(text)+1)]
	if i := bytes.IndexAny(prefix, "\r\n"); i >= 0 {
		prefix = prefix[:i]
	}
	prefix = prefix[:min(len(prefix), splitReach-WindowLen-1)]
	in = append(in, '\n')
	in = append(in, enc[:h]...)
	in = append(in, nl...)
	in = append(in, prefix...)
	in = append(in, '=') // a short tail must stand alone
	in = append(in, enc[h:]...)
	in = append(in, nl...)
	if h >= minHead {
		head = append(slices.Clip(enc[:h]), nl...)
	}
	if h >= minHead || len(enc)-h >= WindowLen {
		tail = enc[h:]
	}
	return in, head, tail
}

// FuzzViewDecode checks every view's decoder on hostile input: each decoded
// byte comes from a span inside the input, spans never go backwards, and
// an input fully escaped in the view's own syntax decodes back to itself.
func FuzzViewDecode(f *testing.F) {
	for _, s := range []string{"", "%", "%4", "%41%4g", "\\", "\\u", "\\ud83d\\ude00", "\\x4", "\x1b", "\x1b[", "\x1b]8;;x\x07y", "\x1b(B", "a\x00b\x00", "p%2Fq+r"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		for _, v := range views {
			for _, partial := range []bool{false, true} {
				var d decoded
				d.start(4*len(src) + 16)
				v.decode(&d, src, 10, partial)
				last := int32(10)
				for i := range d.dec {
					if d.from[i] < last || d.to[i] <= d.from[i] || int(d.to[i]) > 10+len(src) {
						t.Fatalf("%s: byte %d from [%d,%d) after %d, input of %d", v.name, i, d.from[i], d.to[i], last, len(src))
					}
					last = d.from[i]
				}
			}
		}
		var pct, esc strings.Builder
		for _, c := range src {
			fmt.Fprintf(&pct, "%%%02x", c)
			fmt.Fprintf(&esc, "\\x%02X", c)
		}
		for name, enc := range map[string]string{"percent": pct.String(), "backslash": esc.String()} {
			for _, v := range views {
				if v.name == name {
					var d decoded
					d.start(4*len(src) + 16)
					v.decode(&d, []byte(enc), 0, false)
					if !bytes.Equal(d.dec, src) {
						t.Fatalf("%s: decoding of the escaped input differs", name)
					}
				}
			}
		}
	})
}
