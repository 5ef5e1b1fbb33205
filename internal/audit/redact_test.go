package audit

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestCanary puts a random marker in every field that must be HMAC'd and
// checks that the file holds it in no plain or encoded form, only as HMAC.
func TestCanary(t *testing.T) {
	cfg := testConfig(t)
	l := openTest(t, cfg)
	marker := "canary" + rand.Text()
	e := &Entry{
		Type:     "response",
		Token:    "ward_" + marker,
		Accessor: "wacc_" + marker,
		Data: map[string]any{
			"value":    marker,
			"nested":   map[string]any{"deep": []any{marker, map[string]any{"k": marker}}},
			"list":     []string{marker},
			"strings":  map[string]string{"k": marker},
			"raw":      json.RawMessage(`"` + marker + `"`),
			"struct":   struct{ Password string }{marker},
			"template": "postgres://app:" + marker + "@db:5432/app",
		},
	}
	if err := l.Write(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(cfg.Path)
	file := strings.ToLower(string(b))
	m := []byte(marker)
	for name, form := range map[string]string{
		"plain":      marker,
		"hex":        hex.EncodeToString(m),
		"base64":     base64.StdEncoding.EncodeToString(m),
		"base64url":  base64.RawURLEncoding.EncodeToString(m),
		"base32":     base32.StdEncoding.EncodeToString(m),
		"half plain": marker[len(marker)/2:],
	} {
		// Compare a prefix too, so that padding or a token prefix does not hide a hit.
		if strings.Contains(file, strings.ToLower(form[:len(form)-4])) {
			t.Errorf("the audit file holds the canary in %s form", name)
		}
	}
	if !strings.Contains(string(b), l.HMAC(marker)) {
		t.Error("the audit file does not hold the canary's HMAC, so sys/audit-hash cannot find it")
	}
}

func TestRedactLeaves(t *testing.T) {
	l := openTest(t, testConfig(t))
	h := l.hasher
	in := map[string]any{
		"s": "x", "f": 42.0, "f2": 0.5, "b": true, "n": nil, "i": 7, "i64": int64(-3), "num": json.Number("1e3"),
		"arr": []any{"y", false, []any{}}, "obj": map[string]any{"inner": "z"},
		"typed": struct {
			A int `json:"a"`
		}{9},
	}
	got := h.appendRedacted(nil, h.redactData(in))
	want, _ := json.Marshal(map[string]any{
		"s": l.HMAC("x"), "f": l.HMAC("42"), "f2": l.HMAC("0.5"), "b": l.HMAC("true"), "n": nil,
		"i": l.HMAC("7"), "i64": l.HMAC("-3"), "num": l.HMAC("1e3"),
		"arr": []any{l.HMAC("y"), l.HMAC("false"), []any{}}, "obj": map[string]any{"inner": l.HMAC("z")},
		"typed": map[string]any{"a": l.HMAC("9")},
	})
	if string(got) != string(want) {
		t.Errorf("redacted:\n%s\nwant:\n%s", got, want)
	}
}
