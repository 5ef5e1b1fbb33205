package mask

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
)

// pw has every character the encoders below treat differently.
const pw = `p"a&s/s w+o\rd%1?=:@;,ü-s3cr3t`

// percentEncode escapes every byte that is not left as is: those in keep
// stay (with letters and digits), spaces become "+" when plus, and hex
// digits are upper case unless lower.
func percentEncode(s, keep string, plus, lower bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte(keep, c) >= 0:
			b.WriteByte(c)
		case c == ' ' && plus:
			b.WriteByte('+')
		default:
			f := "%%%02X"
			if lower {
				f = "%%%02x"
			}
			fmt.Fprintf(&b, f, c)
		}
	}
	return b.String()
}

// TestPercentEncodings: every percent-encoding that differs from the value
// only in which characters it escapes and the case of its hex digits is
// masked, the real encoders first, then random ones.
func TestPercentEncodings(t *testing.T) {
	user := url.UserPassword("app", pw).String()
	forms := map[string]string{
		"url.UserPassword":        "postgres://" + user + "@db:5432/app",
		"url.PathEscape":          "https://h/" + url.PathEscape(pw) + "/x",
		"url.QueryEscape":         "?p=" + url.QueryEscape(pw) + "&x=1",
		"quote(safe='/')":         percentEncode(pw, "_.-~/", false, false),
		"quote_plus(safe='/')":    percentEncode(pw, "_.-~/", true, false),
		"quote(safe='') lower":    percentEncode(pw, "_.-~", false, true),
		"escape everything lower": percentEncode(pw, "", false, true),
	}
	r := rand.New(rand.NewPCG(7, 8))
	for i := range 200 {
		var b strings.Builder
		for j := 0; j < len(pw); j++ {
			c := pw[j]
			switch {
			case c == ' ' && r.IntN(2) == 0:
				b.WriteByte('+')
			case c != '%' && c != '+' && c != ' ' && r.IntN(2) == 0:
				b.WriteByte(c) // left as is
			default:
				f := "%%%02X"
				if r.IntN(2) == 0 {
					f = "%%%02x"
				}
				fmt.Fprintf(&b, f, c)
			}
		}
		forms[fmt.Sprintf("random %d", i)] = "x=" + b.String() + " y"
	}
	m, _, err := NewMatcher([]Secret{{Name: "db.password", Value: []byte(pw)}}, Options{Replacement: Fixed("***")})
	if err != nil {
		t.Fatal(err)
	}
	for name, in := range forms {
		for _, size := range []int{1 << 20, 1, 5} {
			out := maskChunks(m, in+"\n", size)
			if !strings.Contains(out, "***") || strings.Contains(out, "s3cr3t") || strings.Contains(out, "w+o") || strings.Contains(out, "%5Cr") {
				t.Errorf("%s in chunks of %d: not masked: %q", name, size, out)
			}
		}
	}
}

// TestColouredPieces: a value printed in pieces shorter than WindowLen
// with terminal colour codes between them is masked.
func TestColouredPieces(t *testing.T) {
	v := "AKIAIOSFODNN7EXAMPLEKEY"
	m, _, _ := NewMatcher([]Secret{{Name: "aws", Value: []byte(v)}}, Options{Replacement: Fixed("***")})
	r := rand.New(rand.NewPCG(1, 1))
	seqs := []string{"\x1b[31m", "\x1b[0m", "\x1b[1;38;5;208m", "\x1b]8;;http://x\x07", "\x1b(B", "\x1b[K"}
	for i := range 100 {
		var b strings.Builder
		b.WriteString("key: ")
		for j := 0; j < len(v); {
			n := 1 + r.IntN(6)
			b.WriteString(v[j:min(len(v), j+n)])
			b.WriteString(seqs[r.IntN(len(seqs))])
			j += n
		}
		in := b.String() + " done\n"
		for _, size := range []int{1 << 20, 3} {
			out := maskChunks(m, in, size)
			if !strings.Contains(out, "***") || strings.Contains(out, "ODNN") || strings.Contains(out, "AKIA") {
				t.Errorf("case %d, chunks of %d: %q -> %q", i, size, in, out)
			}
		}
	}
}

// TestShellEscapes: printf %q, declare -p and $'...' quoting.
func TestShellEscapes(t *testing.T) {
	v := `we"ird pa$$ w0rd&(x)!`
	m, _, _ := NewMatcher([]Secret{{Name: "p", Value: []byte(v)}}, Options{Replacement: Fixed("***")})
	for name, in := range map[string]string{
		"printf %q":      `we\"ird\ pa\$\$\ w0rd\&\(x\)\!`,
		"declare -p":     `declare -x P="we\"ird pa\$\$ w0rd&(x)!"`,
		"dollar-quote x": `$'we\x22ird pa\x24\x24 w0rd&(x)!'`,
		"json":           `{"p":"we\"ird pa$$ w0rd\u0026(x)!"}`,
	} {
		out := maskAll(t, []Secret{{Name: "p", Value: []byte(v)}}, Options{Replacement: Fixed("***")}, in+"\n")
		if strings.Contains(out, "w0rd") || !strings.Contains(out, "***") {
			t.Errorf("%s: %q -> %q", name, in, out)
		}
		if got := maskChunks(m, in+"\n", 2); strings.Contains(got, "w0rd") {
			t.Errorf("%s in chunks of 2: %q", name, got)
		}
	}
}

func utf16LE(s string) string {
	var b strings.Builder
	for _, u := range utf16.Encode([]rune(s)) {
		b.WriteByte(byte(u))
		b.WriteByte(byte(u >> 8))
	}
	return b.String()
}

// TestUTF16: ASCII values in UTF-16 output, little- and big-endian, are
// masked.
func TestUTF16(t *testing.T) {
	v := "ghp_16C7e42F292c6912E7710c838347Ae178B4a"
	le := utf16LE("Token: " + v + "\r\n")
	be := "\x00" + le[:len(le)-1]
	for name, in := range map[string]string{"LE": le, "BE": be} {
		out := maskAll(t, []Secret{{Name: "gh", Value: []byte(v)}}, Options{Replacement: Fixed("***")}, in)
		if strings.Contains(strings.ReplaceAll(out, "\x00", ""), "16C7e42F") || !strings.Contains(out, "***") {
			t.Errorf("%s: %q", name, out)
		}
	}
}

// TestViewsLeaveTextAlone: text with triggers but no secret passes
// unchanged, in any chunks.
func TestViewsLeaveTextAlone(t *testing.T) {
	m, _, _ := NewMatcher([]Secret{{Name: "x", Value: []byte("s3cr3t-value-0001")}}, Options{})
	in := "coverage: 85.2% of statements\n\x1b[32mok\x1b[0m a\\tb %41%42 \x00z\n"
	for _, size := range []int{1, 2, 7, 1 << 20} {
		if got := maskChunks(m, in, size); got != in {
			t.Errorf("chunks of %d: got %q", size, got)
		}
	}
}

func TestUnhex(t *testing.T) {
	for c := range 256 {
		v, ok := unhex(byte(c))
		want, err := strconv.ParseUint(string(rune(c)), 16, 8)
		if ok != (err == nil) || ok && uint64(v) != want {
			t.Errorf("unhex(%#x) = %d, %v", c, v, ok)
		}
	}
}
