package mask

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"math/rand/v2"
	"testing"
)

// FuzzWriter writes a random secret, in a random form, at random places in
// random text, cut into random chunks, and checks that the form never
// survives whole.
func FuzzWriter(f *testing.F) {
	f.Add([]byte("ghp_0123456789abcdefghij0123456789abcdef"), []byte("log line one\nline two\n"), uint64(1), uint8(0))
	f.Add([]byte("AKIAABCDEFGH23456789"), []byte("\x1b[31m+ export X=\x1b[0m\n"), uint64(7), uint8(1))
	f.Add([]byte("p@ss w0rd/+?&="), []byte("{\"k\":\"\"}\r\n"), uint64(3), uint8(2))
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
	})
}
