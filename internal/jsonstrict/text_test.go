package jsonstrict

import (
	"strings"
	"testing"
)

// Bodies that encoding/json reads one way while a reader of the body (or of
// the audit log) may read another: all refused, with an offset.
func TestCheckRefusesAmbiguousBodies(t *testing.T) {
	tests := []struct {
		name, body, wantErr string
	}{
		{"case twin", `{"data":{"a":"1"},"Data":{"a":"2"}}`, `keys "data" and "Data" differ only in case`},
		{"case twin nested", `{"data":{"a":"1"},"options":{"cas":1,"CAS":2}}`, `differ only in case`},
		{"upper case twin", `{"options":{"cas":0},"OPTIONS":{"cas":7}}`, `differ only in case`},
		{"unicode case twin", `{"straße":1,"STRAßE":2}`, `differ only in case`},
		{"kelvin sign folds to k", `{"k":1,"` + "\u212a" + `":2}`, `differ only in case`},
		{"NUL escaped in key", `{"pass\u0000word":"x"}`, "control character (byte 0x00)"},
		{"newline in key", `{"a\nb":"x"}`, "control character (byte 0x0a)"},
		{"DEL in key", "{\"a\x7f\":1}", "control character (byte 0x7f)"},
		{"lone high surrogate", `{"a":"x\ud800y"}`, "lone UTF-16 surrogate"},
		{"lone high surrogate at end", `{"a":"\uD83D"}`, "lone UTF-16 surrogate"},
		{"lone low surrogate", `{"a":"\udc00"}`, "lone UTF-16 surrogate"},
		{"reversed pair", `{"a":"\udc00\ud800"}`, "lone UTF-16 surrogate"},
		{"high then escape", `{"a":"\ud800\n"}`, "lone UTF-16 surrogate"},
		{"surrogate in key", `{"\ud800":1}`, "lone UTF-16 surrogate"},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", "not UTF-8"},
		{"UTF-8 encoded surrogate", "{\"a\":\"\xed\xa0\x80\"}", "not UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check([]byte(tt.body), DefaultMaxDepth)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "offset") {
				t.Fatalf("Check = %v, want an error containing %q and an offset", err, tt.wantErr)
			}
		})
	}
}

func TestCheckAcceptsWhatIsUnambiguous(t *testing.T) {
	for _, body := range []string{
		`{"a":"\ud83d\ude00"}`,            // a surrogate pair
		`{"a":"\uD83D\uDE00 and \u00e9"}`, // upper-case hex
		`{"a":"😀 é \u0000 \n"}`,           // control characters in values are data
		`{"a":1,"b":{"A":1}}`,             // same letters at different levels
		`[{"data":1},{"Data":2}]`,         // sibling objects
		`{"ab":1,"a\\b":2}`,               // an escaped backslash is not an escape
		`"\\ud800"`,                       // text, not an escape
	} {
		if err := Check([]byte(body), DefaultMaxDepth); err != nil {
			t.Errorf("Check(%s) = %v", body, err)
		}
	}
}

// The errors about keys and strings name no value, not even the key that
// holds a control character.
func TestAmbiguousBodyErrorsHideValues(t *testing.T) {
	const marker = "s3cr3t-canary-value"
	for _, body := range []string{
		`{"` + marker + `\u0000":1}`,
		`{"a":"` + marker + `\ud800"}`,
		"{\"a\":\"" + marker + "\xff\"}",
	} {
		err := Check([]byte(body), DefaultMaxDepth)
		if err == nil || strings.Contains(err.Error(), marker) {
			t.Fatalf("Check = %v; want an error without the value", err)
		}
	}
}

// The offset points at the offending escape or byte.
func TestCheckStringOffsets(t *testing.T) {
	for _, tt := range []struct {
		body   string
		offset string
	}{
		{`{"a":"xy\ud800"}`, "offset 8"},
		{"{\"a\":\"xy\xff\"}", "offset 8"},
	} {
		err := Check([]byte(tt.body), DefaultMaxDepth)
		if err == nil || !strings.Contains(err.Error(), tt.offset) {
			t.Errorf("Check(%q) = %v, want %s", tt.body, err, tt.offset)
		}
	}
}
