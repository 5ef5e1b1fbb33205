package mask

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

const (
	tokName = "payments/db.password"
	tok     = "s3cr3t-Tok3n/with+odd?chars&more=ok ü" // 39 bytes: every encoding differs from raw
)

// maskAll writes in to a fresh Writer over secrets in one Write and returns
// what came out after Close.
func maskAll(t *testing.T, secrets []Secret, opt Options, in string) string {
	t.Helper()
	m, _, err := NewMatcher(secrets, opt)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w := m.NewWriter(&out)
	if _, err := w.Write([]byte(in)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func fold(s string, width int, nl string) string {
	var b strings.Builder
	for len(s) > width {
		b.WriteString(s[:width] + nl)
		s = s[width:]
	}
	return b.String() + s
}

// b64Embedded is tok base64-encoded inside a longer text, starting at byte
// offset align, and the part of it that must be hidden.
func b64Embedded(enc *base64.Encoding, align int) (text, core string) {
	pre := strings.Repeat("x", 30+align)
	text = enc.EncodeToString([]byte(pre + tok + "y"))
	return text, string(base64Core(enc.WithPadding(base64.NoPadding), []byte(tok), align))
}

func TestForms(t *testing.T) {
	std0, stdCore0 := b64Embedded(base64.StdEncoding, 0)
	std1, stdCore1 := b64Embedded(base64.StdEncoding, 1)
	std2, stdCore2 := b64Embedded(base64.StdEncoding, 2)
	url1, urlCore1 := b64Embedded(base64.RawURLEncoding, 1)
	long := strings.Repeat("z", 100) + tok + strings.Repeat("z", 100)
	folded64 := base64.StdEncoding.EncodeToString([]byte(long))
	tests := []struct {
		name string
		in   string // text containing the secret
		gone []string
	}{
		{"raw", "export T=" + tok + "\n", []string{tok}},
		{"hex lower", "x " + hex.EncodeToString([]byte(tok)) + " y", []string{hex.EncodeToString([]byte(tok))}},
		{"hex upper", strings.ToUpper(hex.EncodeToString([]byte(tok))), []string{strings.ToUpper(hex.EncodeToString([]byte(tok)))}},
		{"base64 std padded", "b=" + base64.StdEncoding.EncodeToString([]byte(tok)) + ";", []string{base64.StdEncoding.EncodeToString([]byte(tok))}},
		{"base64 std unpadded", base64.RawStdEncoding.EncodeToString([]byte(tok)), []string{base64.RawStdEncoding.EncodeToString([]byte(tok))}},
		{"base64 url padded", base64.URLEncoding.EncodeToString([]byte(tok)), []string{base64.URLEncoding.EncodeToString([]byte(tok))}},
		{"base64 url unpadded", base64.RawURLEncoding.EncodeToString([]byte(tok)), []string{base64.RawURLEncoding.EncodeToString([]byte(tok))}},
		{"base64 embedded align 0", std0, []string{stdCore0}},
		{"base64 embedded align 1", std1, []string{stdCore1}},
		{"base64 embedded align 2", std2, []string{stdCore2}},
		{"base64 url embedded align 1", url1, []string{urlCore1}},
		{"base64 folded 64 LF", fold(folded64, 64, "\n"), []string{tok[:8]}},
		{"base64 folded 76 CRLF", fold(folded64, 76, "\r\n"), []string{tok[:8]}},
		{"percent plus", "q=s3cr3t-Tok3n%2Fwith%2Bodd%3Fchars%26more%3Dok+%C3%BC&", []string{"s3cr3t-Tok3n%2Fwith%2Bodd%3Fchars%26more%3Dok+%C3%BC"}},
		{"percent %20", "/s3cr3t-Tok3n%2Fwith%2Bodd%3Fchars%26more%3Dok%20%C3%BC/", []string{"Tok3n%2Fwith%2Bodd%3Fchars%26more%3Dok%20%C3%BC"}},
		{"json escaped slash", `{"t":"s3cr3t-Tok3n\/with+odd?chars\u0026more=ok ü"}`, []string{`Tok3n\/with+odd?chars\u0026more=ok`}},
		{"json plain", `{"t":"s3cr3t-Tok3n/with+odd?chars&more=ok ü"}`, []string{tok}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := maskAll(t, []Secret{{Name: tokName, Value: []byte(tok)}}, Options{}, tt.in)
			checkGone(t, out, tt.gone)
			if !strings.Contains(out, "[masked:"+tokName+"]") {
				t.Errorf("no replacement in output")
			}
		})
	}
}

// checkGone fails if any of gone (or a 16-byte piece of it) is in out. The
// failure message names the index, never the value.
func checkGone(t *testing.T, out string, gone []string) {
	t.Helper()
	for i, g := range gone {
		if strings.Contains(out, g) {
			t.Errorf("secret form #%d survived masking", i)
			continue
		}
		for j := 0; j+WindowLen <= len(g); j++ {
			if strings.Contains(out, g[j:j+WindowLen]) {
				t.Errorf("a %d-byte piece of secret form #%d survived masking", WindowLen, i)
				break
			}
		}
	}
}

func TestShellQuoted(t *testing.T) {
	v := "it's-a-s3cret'value"
	for _, q := range []string{`'it'\''s-a-s3cret'\''value'`, `'it'"'"'s-a-s3cret'"'"'value'`} {
		out := maskAll(t, []Secret{{Name: "q", Value: []byte(v)}}, Options{}, "sh -c "+q+"\n")
		if strings.Contains(out, "s3cret") {
			t.Errorf("shell-quoted form survived")
		}
	}
}

func TestMultiLineAndJSON(t *testing.T) {
	pem := "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n-----END PRIVATE KEY-----\n"
	crlf := strings.ReplaceAll(pem, "\n", "\r\n")
	doc := `{"user":"app","password":"Zq9-long-db-password!","nested":{"list":["k3y-in-a-list-0001"]}}`
	secrets := []Secret{{Name: "tls/key", Value: []byte(pem)}, {Name: "payments/db", Value: []byte(doc)}}
	in := "lines:\n" + crlf + "one line: BKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\npw=Zq9-long-db-password! and k3y-in-a-list-0001\n"
	out := maskAll(t, secrets, Options{}, in)
	checkGone(t, out, []string{"MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "BKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj", "Zq9-long-db-password!", "k3y-in-a-list-0001"})
	for _, want := range []string{"-----BEGIN PRIVATE KEY-----\r\n", "[masked:payments/db.password]", "[masked:payments/db.nested.list.0]", "lines:\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestShortAndCommonNotMasked(t *testing.T) {
	var warnings []string
	secrets := []Secret{{Name: "a", Value: []byte("abc")}, {Name: "b", Value: []byte("true")}, {Name: "c", Value: []byte("Password")}, {Name: "d", Value: []byte("null")}, {Name: "e", Value: []byte("long-enough-value")}}
	m, skipped, err := NewMatcher(secrets, Options{Warn: func(s string) { warnings = append(warnings, s) }})
	if err != nil {
		t.Fatal(err)
	}
	want := []Skipped{{Name: "a", Reason: ReasonTooShort}, {Name: "b", Reason: ReasonCommonWord}, {Name: "c", Reason: ReasonCommonWord}, {Name: "d", Reason: ReasonCommonWord}}
	if len(skipped) != len(want) {
		t.Fatalf("skipped = %v, want %v", skipped, want)
	}
	for i := range want {
		if skipped[i].Name != want[i].Name || skipped[i].Reason != want[i].Reason || len(skipped[i].Also) > 0 {
			t.Errorf("skipped[%d] = %v, want %v", i, skipped[i], want[i])
		}
	}
	if len(warnings) != len(want) {
		t.Errorf("%d warnings, want one per skipped value", len(warnings))
	}
	for _, w := range warnings {
		for _, v := range []string{"abc", "true", "Password", "null"} {
			if strings.Contains(w, v) {
				t.Errorf("warning %q contains a value", w)
			}
		}
	}
	var out bytes.Buffer
	w := m.NewWriter(&out)
	in := "abc true Password null long-enough-value\n"
	w.Write([]byte(in))
	w.Close()
	if got := out.String(); got != "abc true Password null [masked:e]\n" {
		t.Errorf("got %q", got)
	}
}

func TestUnnamed(t *testing.T) {
	_, _, err := NewMatcher([]Secret{{Value: []byte("abcdefgh")}}, Options{})
	if !errorsIs(err, ErrUnnamed) {
		t.Errorf("err = %v, want ErrUnnamed", err)
	}
}

func TestReplacementAndColours(t *testing.T) {
	in := "\x1b[31merror\x1b[0m token=" + tok + "\x1b[0m done\n"
	out := maskAll(t, []Secret{{Name: tokName, Value: []byte(tok)}}, Options{Replacement: Fixed("***")}, in)
	if want := "\x1b[31merror\x1b[0m token=***\x1b[0m done\n"; out != want {
		t.Errorf("got %q, want %q", out, want)
	}
}

func TestOverlapsBecomeOneReplacement(t *testing.T) {
	secrets := []Secret{{Name: "a", Value: []byte("abcdefghijklmnopqrst")}, {Name: "b", Value: []byte("klmnopqrstuvwxyz0123")}}
	out := maskAll(t, secrets, Options{}, "<abcdefghijklmnopqrstuvwxyz0123>")
	if out != "<[masked:a]>" {
		t.Errorf("got %q", out)
	}
}

// fakeClock collects scheduled flushes so a test fires them by hand.
type fakeClock struct{ fns []func() }

func (c *fakeClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.fns = append(c.fns, f)
	return func() bool { return true }
}

func (c *fakeClock) fire() {
	fns := c.fns
	c.fns = nil
	for _, f := range fns {
		f()
	}
}

func TestFlushHoldsPossiblePrefix(t *testing.T) {
	clock := &fakeClock{}
	m, _, err := NewMatcher([]Secret{{Name: tokName, Value: []byte(tok)}}, Options{AfterFunc: clock.AfterFunc})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w := m.NewWriter(&out)
	w.Write([]byte("$ login\npassword: "))
	if out.Len() != 0 {
		t.Fatalf("wrote before the flush timer fired")
	}
	clock.fire()
	if got := out.String(); got != "$ login\npassword: " {
		t.Fatalf("after timer: %q", got)
	}
	// A secret arriving one byte at a time, with flushes between bytes.
	for i := 0; i < len(tok); i++ {
		w.Write([]byte{tok[i]})
		clock.fire()
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if rest := out.String()[len("$ login\npassword: "):]; rest != "" && rest != "[masked:"+tokName+"]" {
			t.Fatalf("after byte %d of the secret, released %d bytes that are not the replacement", i, len(rest))
		}
	}
	w.Write([]byte("\nnext"))
	w.Close()
	if got := out.String(); got != "$ login\npassword: [masked:"+tokName+"]\nnext" {
		t.Errorf("got %q", got)
	}
}

func TestReleasesNonSecretTail(t *testing.T) {
	m, _, _ := NewMatcher([]Secret{{Name: tokName, Value: []byte(tok)}}, Options{AfterFunc: (&fakeClock{}).AfterFunc})
	var out bytes.Buffer
	w := m.NewWriter(&out)
	w.Write([]byte("building s3cr3t"))
	w.Flush()
	if got := out.String(); got != "building " {
		t.Errorf("after Flush got %q, want the bytes before the possible secret", got)
	}
	w.Write([]byte("ive\n"))
	w.Flush()
	if got := out.String(); got != "building s3cr3tive\n" {
		t.Errorf("got %q after the match failed", got)
	}
}

// maskChunks writes in to a new Writer size bytes at a time, flushing after
// each write, and returns the output after Close.
func maskChunks(m *Matcher, in string, size int) string {
	var out bytes.Buffer
	w := m.NewWriter(&out)
	for i := 0; i < len(in); i += size {
		w.Write([]byte(in[i:min(len(in), i+size)]))
		w.Flush()
	}
	w.Close()
	return out.String()
}

func TestChunkings(t *testing.T) {
	in := "a\x1b[1m " + tok + " b " + base64.StdEncoding.EncodeToString([]byte(tok)) + " c " + tok + tok + "\r\n"
	m, _, _ := NewMatcher([]Secret{{Name: tokName, Value: []byte(tok)}}, Options{Replacement: Fixed("***")})
	want := "a\x1b[1m *** b *** c ***\r\n"
	for _, size := range []int{1, 2, 3, 7, 15, 16, 17, 64, 1 << 20} {
		if got := maskChunks(m, in, size); got != want {
			t.Errorf("chunks of %d: got %q, want %q", size, got, want)
		}
	}
	var out bytes.Buffer
	w := m.NewWriter(&out)
	if n, err := w.ReadFrom(iotest.OneByteReader(strings.NewReader(in))); err != nil || n != int64(len(in)) {
		t.Fatalf("ReadFrom = %d, %v", n, err)
	}
	w.Close()
	if out.String() != want {
		t.Errorf("ReadFrom one byte at a time: got %q, want %q", out.String(), want)
	}
}

// TestWorkers checks that scanning a large write in parallel parts finds
// what one goroutine finds, also across the parts' boundaries.
func TestWorkers(t *testing.T) {
	defer func(n int) { parallelMin = n }(parallelMin)
	parallelMin = 16 << 10
	secrets := benchSecrets(50)
	var in []byte
	for i := 0; len(in) < 3*parallelMin; i++ {
		in = append(in, strings.Repeat("log line ", i%40)...)
		v := secrets[i%len(secrets)].Value
		switch i % 4 {
		case 3: // split across two lines, with a short head
			in = append(in, v[:5]...)
			in = append(in, "\r\n2026-01-02T03:04:05.0000000Z + export TOKEN="...)
			in = append(in, v[5:]...)
		case 0:
			in = append(in, v...)
		case 1:
			in = append(in, fold(base64.StdEncoding.EncodeToString(v), 16+i%60, "\r\n")...)
		default:
			in = append(in, hex.EncodeToString(v)...)
		}
		in = append(in, '\n')
	}
	var outs []string
	var found []match
	for _, workers := range []int{1, 2, 3, 7} {
		m, _, err := NewMatcher(secrets, Options{Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		ms := slices.Compact(m.find(in, nil, true)) // parts overlap: drop repeats
		if workers == 1 {
			found = ms
		} else if !slices.Equal(ms, found) {
			t.Errorf("%d workers found %d matches, one worker %d", workers, len(ms), len(found))
		}
		var out bytes.Buffer
		w := m.NewWriter(&out)
		w.Write(in)
		w.Close()
		outs = append(outs, out.String())
		if workers > 1 && outs[len(outs)-1] != outs[0] {
			t.Errorf("%d workers: output differs from one worker's", workers)
		}
	}
	if strings.Count(outs[0], "[masked:") < 100 {
		t.Errorf("only %d replacements", strings.Count(outs[0], "[masked:"))
	}
}

// TestFoldAtEveryPosition breaks the base64 form of a value embedded in a
// longer base64 text with a line break at every position inside it, and
// checks that no 6 characters of the form survive on either side.
func TestFoldAtEveryPosition(t *testing.T) {
	m, _, err := NewMatcher([]Secret{{Name: tokName, Value: []byte(tok)}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("z", 100) + tok + strings.Repeat("z", 100)))
	core := string(base64Core(base64.RawStdEncoding, []byte(tok), 100%3))
	at := strings.Index(enc, core)
	if at < 0 {
		t.Fatal("core not in the encoding")
	}
	for _, nl := range []string{"\n", "\r\n"} {
		for k := 1; k < len(core); k++ {
			in := enc[:at+k] + nl + enc[at+k:] + "\n"
			// Whole, and a byte at a time with a flush after each, where
			// a piece before the break shorter than minFoldPiece may go.
			for _, chunk := range []int{len(in), 1} {
				if chunk == 1 && k < minFoldPiece {
					continue
				}
				joined := strings.NewReplacer("\r", "", "\n", "").Replace(maskChunks(m, in, chunk))
				for i := 0; i+6 <= len(core); i++ {
					if strings.Contains(joined, core[i:i+6]) {
						t.Errorf("fold %q at %d, chunks of %d: a piece of the encoded value survived", nl, k, chunk)
						break
					}
				}
			}
		}
	}
}

// TestMayFoldEveryCut cuts every window of a form with a line break at
// every place, at the start of a line and after other text, and checks that
// the quick test lets foldAt look and that foldAt finds both pieces.
func TestMayFoldEveryCut(t *testing.T) {
	m, _, err := NewMatcher([]Secret{{Name: tokName, Value: []byte(tok)}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := tok
	for p := 0; p+WindowLen <= len(f); p++ {
		for c := 1; c < WindowLen; c++ {
			for _, pre := range []string{"", "= ", "2026-01-02T03:04:05.0000000Z "} {
				for _, nl := range []string{"\n", "\r\n"} {
					in := []byte(pre + f[p:p+c] + nl + f[p+c:p+WindowLen] + "\n")
					e1 := len(pre) + c
					a2 := e1 + len(nl)
					if !m.window.mayFold(in, e1, a2) {
						t.Fatalf("window at %d cut after %d bytes, %q before it: mayFold said no", p, c, pre)
					}
					ms := m.window.foldAt(in, e1, a2, nil)
					if len(ms) < 2 || ms[0].start > len(pre) || ms[len(ms)-1].end < a2+WindowLen-c {
						t.Fatalf("window at %d cut after %d bytes, %q before it: foldAt found %v", p, c, pre, ms)
					}
				}
			}
		}
	}
	if m.window.mayFold([]byte("2026-01-02T03:04:05 ok\n2026-01-02T03:04:06 ok\n"), 22, 23) {
		t.Error("mayFold said yes to a line break between two log lines")
	}
}

// TestBreakQuickTestsMissNothing: in a long log whose lines start with the
// same timestamp, windows cut by a line break at every place (the test of
// the bytes after a break taken from the last break where they repeat)
// and split values are found by find, which looks closely only at the
// breaks its quick tests pass, as by a close look at every break.
func TestBreakQuickTestsMissNothing(t *testing.T) {
	m, _, err := NewMatcher([]Secret{{Name: tokName, Value: []byte(tok)}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	filler := func() {
		for range 3 {
			b.WriteString(stamp + "ok  \tgithub.com/acme/platform/internal/runner\t8.132s\n")
		}
	}
	f := tok
	for p := 0; p+WindowLen <= len(f); p += 5 {
		for c := 1; c < WindowLen; c++ {
			for _, nl := range []string{"\n", "\r\n"} {
				filler()
				b.WriteString(stamp + "= " + f[p:p+c] + nl + f[p+c:p+WindowLen] + "\n") // a fold
				filler()
				b.WriteString(stamp + "+ echo " + f[:c+3] + nl + stamp + "+ export X=" + f[c+3:] + nl) // a split value
			}
		}
	}
	filler()
	in := []byte(b.String())
	var nls []int32
	for i, c := range in {
		if c == '\n' {
			nls = append(nls, int32(i))
		}
	}
	all := m.lineBreaks(in, nls, true, nil)
	found := m.find(in, nil, true)
	if len(all) == 0 {
		t.Fatal("a close look at every break found nothing: the test builds no fold")
	}
	for _, mt := range all {
		if !slices.Contains(found, mt) {
			t.Fatalf("find missed the match at [%d,%d) (line break %d bytes before it) that a close look at every break finds",
				mt.start, mt.end, mt.start-bytes.LastIndexByte(in[:mt.start], '\n'))
		}
	}
}

// TestPublicValues: a public value is neither masked nor warned about, as a
// secret of its own, as a leaf of a JSON value or as a line; a value also
// given as a secret stays masked.
func TestPublicValues(t *testing.T) {
	var warnings []string
	secrets := []Secret{
		{Name: "payments/db.database", Value: []byte("payments"), Public: true},
		{Name: "payments/db.host", Value: []byte("db"), Public: true}, // short: no warning either
		{Name: "payments/db.password", Value: []byte("pw-0123456789")},
		{Name: "PAYMENTS_DB", Value: []byte(`{"database":"payments","host":"db","password":"pw-0123456789"}`)},
		{Name: "shared.name", Value: []byte("shared-name"), Public: true},
		{Name: "other.secret", Value: []byte("shared-name")}, // also a secret: masked
	}
	m, skipped, err := NewMatcher(secrets, Options{Warn: func(s string) { warnings = append(warnings, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) != 0 || len(warnings) != 0 {
		t.Errorf("skipped %v, warnings %q", skipped, warnings)
	}
	var out bytes.Buffer
	w := m.NewWriter(&out)
	w.Write([]byte("processing payments on db with pw-0123456789 and shared-name\n"))
	w.Close()
	if got, want := out.String(), "processing payments on db with [masked:payments/db.password] and [masked:other.secret]\n"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// TestWarnOncePerValue: a short value held by several fields is warned
// about once, naming every field.
func TestWarnOncePerValue(t *testing.T) {
	var warnings []string
	secrets := []Secret{
		{Name: "a/db.port", Value: []byte("543")},
		{Name: "b/db", Value: []byte(`{"port":"543","user":"app","password":"long-enough-1"}`)},
		{Name: "DB_PORT", Value: []byte("543")},
	}
	_, skipped, err := NewMatcher(secrets, Options{Warn: func(s string) { warnings = append(warnings, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 2 || len(skipped) != 2 {
		t.Fatalf("warnings %q", warnings)
	}
	if skipped[0].Name != "a/db.port" || !slices.Equal(skipped[0].Also, []string{"b/db.port", "DB_PORT"}) {
		t.Errorf("skipped[0] = %+v", skipped[0])
	}
	for _, name := range []string{"a/db.port", "b/db.port", "DB_PORT", "x-ward-sensitive"} {
		if !strings.Contains(warnings[0], name) {
			t.Errorf("warning %q does not name %s", warnings[0], name)
		}
	}
	if strings.Contains(warnings[0], "543") || strings.Contains(warnings[1], "app\"") {
		t.Errorf("a warning holds a value: %q", warnings)
	}
}

// TestRegionNamedByItsValue checks that a value is named after its own
// secret when other values share long runs with it: with secrets
// "bench-secret-value-NN-0123456789abcdef", the value of s00 also holds
// 20 bytes of s01's and 18 of s10's, and its replacement must still say
// s00, in every chunking and for its encoded forms too.
func TestRegionNamedByItsValue(t *testing.T) {
	var secrets []Secret
	for i := range 50 {
		secrets = append(secrets, Secret{
			Name:  fmt.Sprintf("svc/s%02d.password", i),
			Value: []byte(fmt.Sprintf("bench-secret-value-%02d-0123456789abcdef", i)),
		})
	}
	m, _, err := NewMatcher(secrets, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 1, 9, 10, 11, 22, 49} {
		v := string(secrets[i].Value)
		in := "raw " + v + " b64 " + base64.StdEncoding.EncodeToString(secrets[i].Value) + " url " + url.QueryEscape(v) + "\n"
		want := "raw [masked:" + secrets[i].Name + "] b64 [masked:" + secrets[i].Name + "] url [masked:" + secrets[i].Name + "]\n"
		for _, size := range []int{1, 7, 16, 1 << 20} {
			if got := maskChunks(m, in, size); got != want {
				t.Errorf("s%02d in chunks of %d: got %q, want %q", i, size, got, want)
			}
		}
	}
}

// TestQuietChildsLastLineComesOut: a child that prints a secret at the end
// of a line and then prints nothing more (it waits for a signal) must see
// that line, masked, reach the output on a flush, for any value. A Writer
// holds a tail while the prefix filters say it could begin a match, and
// those filters may say so wrongly; if it held the last bytes of a value
// for that, the line would wait for output that never comes.
func TestQuietChildsLastLineComesOut(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	values := []string{"watch-pw-one-4f1e9c7a2b", "watch-pw-two-8d3b6a0e5c"}
	for range 300 {
		values = append(values, randString(r, 12+r.IntN(30), alnum+"-_"))
	}
	held := 0
	for _, v := range values {
		m, _, err := NewMatcher([]Secret{{Name: "app/pw", Value: []byte(v)}}, Options{AfterFunc: (&fakeClock{}).AfterFunc})
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		w := m.NewWriter(&out)
		w.Write([]byte("start " + v + "\n"))
		w.Flush()
		if out.String() != "start [masked:app/pw]\n" {
			held++
			if held <= 3 {
				t.Errorf("a value of %d bytes: after a flush, %d bytes came out, not the masked line", len(v), out.Len())
			}
		}
	}
	if held > 0 {
		t.Errorf("%d of %d last lines held back", held, len(values))
	}
	// With many secrets the prefix filters say yes wrongly more often;
	// a line that ends inside a match goes out all the same (startHold).
	secrets := benchSecrets(1000)
	m, _, err := NewMatcher(secrets, Options{AfterFunc: (&fakeClock{}).AfterFunc})
	if err != nil {
		t.Fatal(err)
	}
	held = 0
	for _, s := range secrets {
		for _, nl := range []string{"\n", "\r\n"} {
			var out bytes.Buffer
			w := m.NewWriter(&out)
			w.Write([]byte("start " + string(s.Value) + nl))
			w.Flush()
			if !strings.HasSuffix(out.String(), "]"+nl) {
				held++
			}
		}
	}
	if held > 0 {
		t.Errorf("with 1,000 secrets, %d of the 2,000 last lines (LF and CRLF) held back", held)
	}
}
