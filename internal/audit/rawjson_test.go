package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

// jsonCases are texts whose JSON redaction must equal that of their
// decoded value: numbers written many ways, escapes, invalid UTF-8, repeated
// keys, nesting, and containers large enough to be written as one digest.
var jsonCases = []string{
	`{"user":"svc-1","password":"xxxxxxxx-42","host":"db-1.internal","port":5432,"database":"payments","sslmode":"require"}`,
	`{}`, `[]`, `null`, `true`, `false`, `0`, `-0`, `"a string"`, `""`,
	`{"n":[1.0, 1e5, 1E+2, 1234567, 0.000001, 0.0000001, -12.5e-3, 1e21, 123456789012345678901234567890, 5e-324]}`,
	`{"a":1,"a":{"b":2},"c":3,"a":"last"}`,
	`{"b":1,"a":2,"A":3,"_":4,"ä":5,"":6}`,
	`{"esc":"tab\there \"quoted\" back\\slash \u00e9 \ud83d\ude00 \u2028 \/ \b\f\n\r","bad":"\ud800 and \udc00x"}`,
	"{\"utf8\":\"caf\xc3\xa9 \xe2\x80\xa8 bad:\xff\xfe end\",\"k\xff\":1}",
	" \t\n{ \"spaced\" : [ 1 , { \"x\" : null } , [ ] ] } \n",
	`{"deep":[[[[[[[[[[{"x":[true,false,null,"s",1]}]]]]]]]]]]}`,
	`{"zeros":[` + strings.Repeat(`0,`, 2000) + `0]}`,
	`{"tiny":{` + strings.Repeat(`"a":1,`, 10) + `"b":[` + strings.Repeat(`1,`, 600) + `1]}}`,
	`{"long":"` + strings.Repeat("x", 5000) + `"}`,
	// Refused by json.Unmarshal: invalid text, numbers out of range.
	`{"a":`, `{"a":1}x`, `{"n":1e400}`, `[01]`, `{'a':1}`, ``, `nul`,
}

// encodeBoth returns the line for text as JSON and for its decoded value
// (or, where json.Unmarshal refuses it, for a value that cannot be encoded).
// The JSON is encoded by h (whose cache may hold text already), by a new
// hasher under the same key, and by h again: the three lines must be equal.
func encodeBoth(t testing.TB, h *hasher, text string, whole bool) (got, want []byte) {
	t.Helper()
	var decoded any
	if err := json.Unmarshal([]byte(text), &decoded); err != nil {
		decoded = make(chan int) // redacted as "unencodable value"
	}
	at := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	e := Entry{Type: "response", Path: "staging/data/x", Token: "tok",
		Data: map[string]any{"data": JSON(text), "metadata": map[string]any{"version": 3, "custom_metadata": nil}}}
	got = h.appendEntry(nil, &e, at, whole, nil)
	cold := newHasher(testKey).appendEntry(nil, &e, at, whole, nil)
	if again := h.appendEntry(nil, &e, at, whole, nil); !bytes.Equal(got, cold) || !bytes.Equal(again, cold) {
		t.Fatalf("%.60q: the cached redaction differs from a new hasher's:\n first  %s\n new    %s\n again  %s", text, got, cold, again)
	}
	e.Data = map[string]any{"data": decoded, "metadata": map[string]any{"version": 3, "custom_metadata": nil}}
	want = h.appendEntry(nil, &e, at, whole, nil)
	return got, want
}

func TestJSONRedactsAsDecoded(t *testing.T) {
	h := newHasher(testKey)
	for _, text := range jsonCases {
		for _, whole := range []bool{false, true} {
			got, want := encodeBoth(t, h, text, whole)
			if !bytes.Equal(got, want) {
				t.Errorf("%.60q (whole %v):\n got  %s\n want %s", text, whole, got, want)
			}
		}
	}
	// The cases above do reach both paths: a digest, and leaf by leaf.
	got, _ := encodeBoth(t, h, jsonCases[0], false)
	if bytes.Contains(got, []byte("svc-1")) || bytes.Count(got, []byte(hmacPrefix)) < 7 {
		t.Errorf("a secret's fields are not each HMAC'd: %s", got)
	}
	got, _ = encodeBoth(t, h, `{"zeros":[`+strings.Repeat(`0,`, 2000)+`0]}`, false)
	if !bytes.Contains(got, []byte(hmacJSONPrefix)) {
		t.Errorf("a long array of zeros is not one digest: %.200s", got)
	}
}

// Whatever the text, its JSON redaction is that of its decoded value.
func FuzzJSONRedaction(f *testing.F) {
	for _, text := range jsonCases {
		f.Add(text)
	}
	h := newHasher(testKey)
	f.Fuzz(func(t *testing.T, text string) {
		got, want := encodeBoth(t, h, text, false)
		if !bytes.Equal(got, want) {
			t.Fatalf("%q:\n got  %s\n want %s", text, got, want)
		}
	})
}

// The cache keeps a text's redaction, never the text: a second write of
// the same text is found, another text is not, and a cache full of
// redactions starts again.
func TestTextCache(t *testing.T) {
	h := newHasher(testKey)
	text := JSON(jsonCases[0])
	if r, _, _ := h.redactJSON(text); r == nil {
		t.Fatal("no redaction")
	} else if _, cached := r.(*cachedText); cached {
		t.Fatal("a text never written was found in the cache")
	}
	at := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	line := h.appendEntry(nil, &Entry{Type: "response", Data: map[string]any{"data": text}}, at, false, nil)
	r, _, _ := h.redactJSON(text)
	c, ok := r.(*cachedText)
	if !ok {
		t.Fatalf("a text written once is not cached: %T", r)
	}
	if !bytes.Contains(line, c.line) || bytes.Contains(c.line, []byte("svc-1")) || !bytes.Contains(c.line, []byte(hmacPrefix)) {
		t.Errorf("cached redaction %s is not the HMAC'd part of the line %s", c.line, line)
	}
	if r, _, _ := h.redactJSON(JSON(strings.Replace(jsonCases[0], "svc-1", "svc-2", 1))); r != nil {
		if _, cached := r.(*cachedText); cached {
			t.Error("another text was taken for the cached one")
		}
	}
	if r, _, _ := h.redactJSON(JSON(`{"long":"` + strings.Repeat("x", maxCachedText) + `"}`)); r != nil {
		if rj, ok := r.(redactedJSON); !ok || rj.key != nil {
			t.Errorf("a text longer than %d bytes is to be cached: %T", maxCachedText, r)
		}
	}
	big := &cachedText{line: make([]byte, maxCachedBytes/2+1)}
	h.texts.put([32]byte{1}, big)
	h.texts.put([32]byte{2}, big)
	if h.texts.get([32]byte{1}) != nil || h.texts.get([32]byte{2}) != big {
		t.Error("a cache over its size was not started again")
	}
}

func BenchmarkRedactValue(b *testing.B) {
	h := newHasher(testKey)
	text := []byte(jsonCases[0])
	at := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	b.Run("decoded", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v any
			json.Unmarshal(text, &v)
			h.appendEntry(nil, &Entry{Type: "response", Data: map[string]any{"data": v}}, at, false, nil)
		}
	})
	b.Run("JSON", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			h.appendEntry(nil, &Entry{Type: "response", Data: map[string]any{"data": JSON(text)}}, at, false, nil)
		}
	})
}

// The entries of one WriteAll share the token's HMAC when they share the
// token, and each still carries the HMAC of its own.
func TestWriteAllHashesEachToken(t *testing.T) {
	cfg := testConfig(t)
	l := openTest(t, cfg)
	a, b, c := entry(1), entry(2), entry(3)
	c.Token, c.Accessor = "ward_other_token", "wacc_other"
	if err := l.WriteAll(context.Background(), a, b, c); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(cfg.Path)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(raw), []byte("\n"))
	want := []struct{ token, accessor string }{
		{"ward_token_value", "wacc_accessor_value"}, {"ward_token_value", "wacc_accessor_value"}, {"ward_other_token", "wacc_other"},
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d", len(lines), len(want))
	}
	for i, line := range lines {
		var got struct{ Token, Accessor string }
		if err := json.Unmarshal(line, &got); err != nil {
			t.Fatal(err)
		}
		if got.Token != l.HMAC(want[i].token) || got.Accessor != l.HMAC(want[i].accessor) {
			t.Errorf("line %d: token %s accessor %s; want the HMACs of %s and %s", i+1, got.Token, got.Accessor, want[i].token, want[i].accessor)
		}
	}
}
