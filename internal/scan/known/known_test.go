package known

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/mask"
	"github.com/wardhq/ward/internal/scan"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

var testSecrets = []Secret{
	{Path: "payments/db", Field: "password", Version: 3, Value: []byte("Zq8r!T2m@W9x/Pv4+kLs")},
	{Path: "shared/sentry", Field: "dsn", Version: 1, Value: []byte("plain-dsn-value-7c1e")},
	{Path: "short", Field: "pin", Version: 1, Value: []byte("1234")},
}

func roundTrip(t *testing.T, s *Set) (*Set, []byte) {
	t.Helper()
	var b bytes.Buffer
	if err := s.Write(&b); err != nil {
		t.Fatal(err)
	}
	raw := append([]byte(nil), b.Bytes()...)
	s2, err := Read(&b)
	if err != nil {
		t.Fatal(err)
	}
	return s2, raw
}

// shared is a value with every character the encoders treat differently.
var shared = Secret{Path: "ci/deploy", Field: "password", Version: 2, Value: []byte(`it's a "p@ss/w0rd"+more&x=1`)}

// everyMaskedForm returns text holding v in each form the masker masks:
// every fixed form (mask.Forms, the list the masker compiles), then the
// classes its views read canonically.
func everyMaskedForm(t *testing.T, v []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	for i, f := range mask.Forms(v) {
		text := string(f.Bytes)
		if strings.Contains(f.Encoding, "-inside-") {
			// inside longer base64, at the alignment the form is for
			align, enc := int(f.Encoding[len(f.Encoding)-1]-'0'), base64.StdEncoding
			if strings.HasPrefix(f.Encoding, "base64url") {
				enc = base64.URLEncoding
			}
			text = enc.EncodeToString(append(append(bytes.Repeat([]byte("z"), 30+align), v...), "tail"...))
		}
		out[fmt.Sprintf("form %d %s", i, f.Encoding)] = text
	}
	s := string(v)
	pct := func(keep string, lower bool) string {
		var b strings.Builder
		for _, c := range []byte(s) {
			if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte(keep, c) >= 0 {
				b.WriteByte(c)
			} else if lower {
				fmt.Fprintf(&b, "%%%02x", c)
			} else {
				fmt.Fprintf(&b, "%%%02X", c)
			}
		}
		return b.String()
	}
	var colour, utf16 strings.Builder
	for i, c := range []byte(s) {
		colour.WriteByte(c)
		if i%5 == 4 {
			colour.WriteString("\x1b[3" + strconv.Itoa(i%8) + "m")
		}
		utf16.WriteByte(c)
		utf16.WriteByte(0)
	}
	for name, text := range map[string]string{
		"url.UserPassword":      url.UserPassword("app", s).String(),
		"url.PathEscape":        url.PathEscape(s),
		"percent %20":           strings.ReplaceAll(url.QueryEscape(s), "+", "%20"),
		"percent lower, safe /": pct("/", true),
		"percent all upper":     pct("", false),
		"printf %q":             strings.NewReplacer(`'`, `\'`, ` `, `\ `, `"`, `\"`, `&`, `\&`).Replace(s),
		"declare -p":            `declare -x P="` + strings.NewReplacer(`"`, `\"`, `$`, `\$`).Replace(s) + `"`,
		"json \\u":              strings.NewReplacer(`"`, `\u0022`, `&`, `\u0026`, `'`, `\u0027`).Replace(s),
		"colour pieces":         colour.String(),
		"utf-16le":              utf16.String(),
	} {
		out[name] = text
	}
	return out
}

// TestFindEveryForm: ward scan --known finds every form the masker masks,
// from the same form list, so the two cannot drift apart.
func TestFindEveryForm(t *testing.T) {
	set, err := Build(testKey, append(testSecrets, shared))
	if err != nil {
		t.Fatal(err)
	}
	set, _ = roundTrip(t, set)
	sc, err := scan.New(scan.Config{Known: set, Key: testKey})
	if err != nil {
		t.Fatal(err)
	}
	forms := everyMaskedForm(t, shared.Value)
	if len(forms) < 20 {
		t.Fatalf("only %d forms", len(forms))
	}
	for name, text := range forms {
		input := "line one\nexport X=" + text + " # tail\n"
		res, err := sc.ScanReader(context.Background(), "log", strings.NewReader(input))
		if err != nil {
			t.Fatal(err)
		}
		var got *scan.Finding
		for i := range res.Findings {
			if k := res.Findings[i].Known; k != nil && k.Path == shared.Path && k.Field == shared.Field && k.Version == shared.Version {
				got = &res.Findings[i]
			}
		}
		if got == nil {
			t.Errorf("%s: not found", name)
			continue
		}
		if got.StartLine != 2 || got.StartColumn < 10 || got.EndColumn > 9+len(text) {
			t.Errorf("%s: at %d:%d-%d", name, got.StartLine, got.StartColumn, got.EndColumn)
		}
		if strings.Contains(got.Fingerprint, "p@ss") {
			t.Errorf("%s: fingerprint holds part of the value", name)
		}
	}
}

// TestFindPlainPosition: the value as is is found exactly where it is.
func TestFindPlainPosition(t *testing.T) {
	set, err := Build(testKey, testSecrets)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scan.New(scan.Config{Known: set, Key: testKey})
	if err != nil {
		t.Fatal(err)
	}
	v := testSecrets[0].Value
	res, err := sc.ScanReader(context.Background(), "log", strings.NewReader("line one\nexport X="+string(v)+" # tail\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || res.Findings[0].Known == nil || res.Findings[0].Encoding != "" ||
		res.Findings[0].StartColumn != 10 || res.Findings[0].EndColumn != 9+len(v) {
		t.Errorf("got %+v", res.Findings)
	}
}

// TestSetRevealsNoValue reads a set the way an attacker holding it would:
// no form of any value, nor any 6-byte piece of one, nor an unkeyed hash of
// one, appears in it.
func TestSetRevealsNoValue(t *testing.T) {
	set, err := Build(testKey, testSecrets)
	if err != nil {
		t.Fatal(err)
	}
	_, raw := roundTrip(t, set)
	for _, sec := range testSecrets {
		for _, f := range mask.Forms(sec.Value) {
			v := f.Bytes
			for i := 0; i+6 <= len(v); i++ {
				if bytes.Contains(raw, v[i:i+6]) {
					t.Errorf("%s (%s): the set holds the piece at %d", sec.Path, f.Encoding, i)
				}
			}
		}
	}
	for _, e := range set.Entries() {
		if e.Pick >= 1<<24 {
			t.Errorf("%s: pick has more than 24 bits", e.Path)
		}
		if e.Length < MinLength {
			t.Errorf("%s: a form shorter than %d bytes was kept", e.Path, MinLength)
		}
	}
	// The 4-byte value is left out entirely.
	if bytes.Contains(raw, []byte(`"short"`)) {
		t.Error("a value under MinLength has an entry")
	}
	// Two sets of the same secrets under different keys share no tag or
	// pick: they cannot be compared.
	other, err := Build([]byte("fedcba9876543210fedcba9876543210"), testSecrets)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range other.Entries() {
		if e.Tag == set.Entries()[i].Tag {
			t.Errorf("entry %d: same tag under two keys", i)
		}
	}
}

func TestReadRejects(t *testing.T) {
	for name, text := range map[string]string{
		"format": `{"format":"other","key":"MDEyMzQ1Njc4OWFiY2RlZg==","entries":[]}`,
		"key":    `{"format":"ward-known-v1","key":"c2hvcnQ=","entries":[]}`,
		"tag":    `{"format":"ward-known-v1","key":"MDEyMzQ1Njc4OWFiY2RlZg==","entries":[{"path":"p","version":1,"length":9,"pick":1,"tag":"zz"}]}`,
		"length": `{"format":"ward-known-v1","key":"MDEyMzQ1Njc4OWFiY2RlZg==","entries":[{"path":"p","version":1,"length":2,"pick":1,"tag":"` + strings.Repeat("0", 64) + `"}]}`,
		"field":  `{"format":"ward-known-v1","key":"MDEyMzQ1Njc4OWFiY2RlZg==","entries":[],"plaintext":"x"}`,
	} {
		if _, err := Read(strings.NewReader(text)); !errors.Is(err, ErrBadSet) {
			t.Errorf("%s: got %v, want ErrBadSet", name, err)
		}
	}
}

func BenchmarkFind(b *testing.B) {
	var secrets []Secret
	for i := range 100 {
		secrets = append(secrets, Secret{Path: "p", Version: i, Value: []byte(strings.Repeat("k", 4) + hex.EncodeToString([]byte{byte(i), 1, 2, 3, 4, 5, 6, 7}))})
	}
	set, err := Build(testKey, secrets)
	if err != nil {
		b.Fatal(err)
	}
	buf := bytes.Repeat([]byte("2024-05-01T12:00:00Z ok  \tgithub.com/acme/x\t0.1s\n"), 1<<15)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		set.Find(buf, len(buf), func(int, int, scan.KnownRef) {})
	}
}

// TestFindAcrossWindows puts a known value at every offset around a window
// boundary.
func TestFindAcrossWindows(t *testing.T) {
	set, err := Build(testKey, testSecrets)
	if err != nil {
		t.Fatal(err)
	}
	const window = 64
	v := testSecrets[1].Value
	sc, err := scan.New(scan.Config{Known: set, Key: testKey, Window: window, MaxDecodeDepth: -1})
	if err != nil {
		t.Fatal(err)
	}
	filler := bytes.Repeat([]byte("x"), scan.Overlap+4*window)
	for off := window - len(v) - 1; off <= 2*window+1; off++ {
		data := append([]byte(nil), filler...)
		copy(data[off:], v)
		res, err := sc.ScanReader(t.Context(), "f", bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, f := range res.Findings {
			if f.Known != nil {
				n++
				if f.StartColumn != off+1 || f.EndColumn != off+len(v) {
					t.Fatalf("offset %d: at %d-%d", off, f.StartColumn, f.EndColumn)
				}
			}
		}
		if n != 1 {
			t.Fatalf("offset %d: %d known findings", off, n)
		}
	}
}
