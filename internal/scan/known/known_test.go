package known

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/url"
	"strings"
	"testing"

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

func TestFindEveryForm(t *testing.T) {
	set, err := Build(testKey, testSecrets)
	if err != nil {
		t.Fatal(err)
	}
	set, _ = roundTrip(t, set)
	v := testSecrets[0].Value
	forms := map[string]string{
		"":            string(v),
		"base64":      base64.StdEncoding.EncodeToString(v),
		"base64url":   base64.RawURLEncoding.EncodeToString(v),
		"hex":         hex.EncodeToString(v),
		"percent":     url.QueryEscape(string(v)),
		"json-escape": strings.ReplaceAll(string(v), "/", `\/`), // not produced by Build: must not match
	}
	for form, text := range forms {
		input := "line one\nexport X=" + text + " # tail\n"
		sc, err := scan.New(scan.Config{Known: set, Key: testKey})
		if err != nil {
			t.Fatal(err)
		}
		res, err := sc.ScanReader(context.Background(), "log", strings.NewReader(input))
		if err != nil {
			t.Fatal(err)
		}
		var got *scan.Finding
		for i := range res.Findings {
			if res.Findings[i].Known != nil {
				got = &res.Findings[i]
			}
		}
		if form == "json-escape" {
			if got != nil {
				t.Errorf("form %s: unexpected known match", form)
			}
			continue
		}
		if got == nil {
			t.Errorf("form %q: not found", form)
			continue
		}
		if got.Known.Path != "payments/db" || got.Known.Field != "password" || got.Known.Version != 3 || got.Encoding != form {
			t.Errorf("form %q: got %+v encoding %q", form, *got.Known, got.Encoding)
		}
		if got.StartLine != 2 || got.StartColumn != 10 || got.EndColumn != 9+len(text) {
			t.Errorf("form %q: at %d:%d-%d", form, got.StartLine, got.StartColumn, got.EndColumn)
		}
		if strings.Contains(got.Fingerprint, string(v[:4])) {
			t.Errorf("form %q: fingerprint holds part of the value", form)
		}
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
		for _, form := range append([]string{""}, Forms...) {
			v := encode(form, sec.Value)
			for i := 0; i+6 <= len(v); i++ {
				if bytes.Contains(raw, v[i:i+6]) {
					t.Errorf("%s (%s): the set holds the piece at %d", sec.Path, form, i)
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
