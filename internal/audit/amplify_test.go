package audit

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// hostileBodies are request bodies shaped so that HMACing every leaf would
// multiply their size: many tiny leaves, many tiny keys, many tiny
// containers, nesting.
func hostileBodies() map[string]string {
	rep := func(item string, n int) string {
		return strings.TrimSuffix(strings.Repeat(item+",", n), ",")
	}
	keys := func(n int) string {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`"` + strings.ToLower(strings.TrimLeft(hex.EncodeToString([]byte{byte(i >> 16), byte(i >> 8), byte(i)}), "0")) + `":0`)
		}
		return b.String()
	}
	return map[string]string{
		// The case: a 400 KB secret of 200,000 tiny elements.
		"200k zeros":       `{"data":{"items":[` + rep("0", 200000) + `]}}`,
		"524k zeros, 1MiB": `{"data":{"items":[` + rep("0", 524000) + `]}}`,
		"empty strings":    `{"data":{"items":[` + rep(`""`, 100000) + `]}}`,
		"nulls and bools":  `{"data":{"items":[` + rep(`true,null`, 50000) + `]}}`,
		"tiny objects":     `{"data":{"items":[` + rep(`{"a":0}`, 50000) + `]}}`,
		"empty containers": `{"data":[` + rep(`[],{}`, 50000) + `]}`,
		"nested pairs":     `{"data":[` + rep(`[0,[0,[0]]]`, 30000) + `]}`,
		"many tiny keys":   `{"data":{` + keys(60000) + `}}`,
		"many top keys":    `{` + keys(60000) + `}`,
		"short exponents":  `{"data":[` + rep("9e20", 100000) + `]}`,
	}
}

// TestEntrySizeBoundedByRequest: an entry carrying a hostile body as its
// Data is at most redactRatio times the body, plus a fixed overhead, and
// says which parts it wrote as one HMAC.
func TestEntrySizeBoundedByRequest(t *testing.T) {
	for name, body := range hostileBodies() {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig(t)
			l := openTest(t, cfg)
			var data map[string]any // as the server decodes a body for its entry
			if err := json.Unmarshal([]byte(body), &data); err != nil {
				t.Fatal(err)
			}
			e := entry(0)
			e.Data = data
			if err := l.Write(context.Background(), e); err != nil {
				t.Fatalf("Write: %v", err)
			}
			line, _ := os.ReadFile(cfg.Path)
			if limit := redactRatio*len(body) + 2048; len(line) > limit {
				t.Errorf("a %d-byte body made a %d-byte line (%.1fx); the bound is %d", len(body), len(line), float64(len(line))/float64(len(body)), limit)
			}
			if name != "empty containers" && !bytes.Contains(line, []byte(hmacJSONPrefix)) {
				t.Errorf("the line does not say that a part of the data was HMAC'd whole")
			}
			mustVerify(t, cfg.Path, 1)
		})
	}
}

// A part written whole is the HMAC of its canonical JSON text, so an
// operator holding the value can find it with sys/audit-hash.
func TestCollapsedPartIsHMACOfItsJSON(t *testing.T) {
	l := openTest(t, testConfig(t))
	items := make([]any, 5000)
	var text strings.Builder
	text.WriteString("[")
	for i := range items {
		items[i] = float64(i % 10)
		if i > 0 {
			text.WriteString(",")
		}
		text.WriteString(string(rune('0' + i%10)))
	}
	text.WriteString("]")
	got := l.hasher.appendRedacted(nil, l.hasher.redactData(map[string]any{"items": items, "host": "db"}))
	m := hmac.New(sha256.New, testKey)
	m.Write([]byte(text.String()))
	want := `{"host":"` + l.HMAC("db") + `","items":"` + hmacJSONPrefix + hex.EncodeToString(m.Sum(nil)) + `"}`
	if string(got) != want {
		t.Errorf("redacted:\n%.300s\nwant:\n%s", got, want)
	}
}

// Ordinary secrets keep every leaf as its own HMAC: the bound only bites
// where leaves are tiny and many.
func TestOrdinaryDataKeepsLeaves(t *testing.T) {
	l := openTest(t, testConfig(t))
	data := map[string]any{
		"host": "db.internal", "port": 5432.0, "user": "app", "password": "correct horse battery staple",
		"tls":      map[string]any{"ca": "-----BEGIN CERTIFICATE-----\nMIIB...", "verify": true},
		"replicas": []any{"db-1.internal", "db-2.internal", "db-3.internal"},
	}
	got := string(l.hasher.appendRedacted(nil, l.hasher.redactData(data)))
	if strings.Contains(got, hmacJSONPrefix) {
		t.Errorf("an ordinary secret had a part HMAC'd whole: %s", got)
	}
	for _, v := range []string{"db.internal", "5432", "true", "db-3.internal"} {
		if !strings.Contains(got, l.HMAC(v)) {
			t.Errorf("leaf %s is not HMAC'd on its own", v)
		}
	}
}

func TestQuotedLenMatchesAppendString(t *testing.T) {
	for _, s := range []string{"", "abc", "a\"b\\c", "\n\r\t\x00\x1f", "é😀", "\u2028\u2029", "\xff\xfe", "<&>", "a\x7fb"} {
		if got, want := quotedLen(s), len(appendString(nil, s)); got != want {
			t.Errorf("quotedLen(%q) = %d, want %d", s, got, want)
		}
	}
	for _, f := range []float64{0, 1, 100000, 9e20, 1e21, 0.5, 1e-7, -1234.5, 123456789} {
		if n := shortestFloatLen(f); n > len(formatFloat(f)) || n < 1 {
			t.Errorf("shortestFloatLen(%v) = %d", f, n)
		}
	}
	if n := shortestFloatLen(100000); n != len("1e5") {
		t.Errorf("shortestFloatLen(100000) = %d, want 3", n)
	}
}

// FuzzEntryBound: whatever the body, the redacted data is at most
// redactRatio times the body, or redactFloor bytes.
func FuzzEntryBound(f *testing.F) {
	for _, s := range []string{`{"a":[0,0,0,0]}`, `{"a":{"b":[[],[{}]]}}`, `{"x":1e5,"y":[1E5,1e5]}`, `{"\u2028":"\u0000"}`, `{"a":[true,null,""]}`} {
		f.Add([]byte(s))
	}
	h := newHasher(testKey)
	f.Fuzz(func(t *testing.T, body []byte) {
		var data map[string]any
		if json.Unmarshal(body, &data) != nil || len(data) == 0 {
			return
		}
		got := h.appendRedacted(nil, h.redactData(data))
		if len(got) > max(redactFloor, redactRatio*len(body)) {
			t.Fatalf("a %d-byte body redacted to %d bytes", len(body), len(got))
		}
		if !json.Valid(got) {
			t.Fatalf("redacted data is not JSON: %s", got)
		}
	})
}
