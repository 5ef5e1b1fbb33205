package secrets

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCheckValue checks CheckValue against a slow reference built on
// encoding/json's tokens: they agree on every input; what it accepts is a
// valid JSON object that canonicalValue keeps byte for byte but for
// whitespace, and its errors never quote the input.
func FuzzCheckValue(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `{"a":1,"a":2}`, `{"a":[1,{"b":null}]}`, `{"a":1} {}`, `[]`, `{"a":"\u0061","\u0061":1}`, "{\"a\":\"\xff\"}", `{"n":1e999}`, strings.Repeat(`{"a":`, 70)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := CheckValue(data, 0)
		if want := referenceCheck(data); want != (err == nil) {
			t.Fatalf("CheckValue(%q) = %v; the reference says ok=%v", data, err, want)
		}
		if err != nil {
			if len(data) >= 12 && strings.Contains(err.Error(), string(data)) {
				t.Fatalf("error quotes the input: %v", err)
			}
			return
		}
		if !json.Valid(data) || !utf8.Valid(data) {
			t.Fatalf("accepted invalid JSON %q", data)
		}
		if trimmed := bytes.TrimLeft(data, " \t\r\n"); trimmed[0] != '{' {
			t.Fatalf("accepted a non-object %q", data)
		}
		if v, err := decodeExact(data); err != nil {
			t.Fatalf("accepted %q that does not decode: %v", data, err)
		} else if _, ok := v.(map[string]any); !ok {
			t.Fatalf("accepted %q that does not decode to an object", data)
		}
		canon, err := canonicalValue(data, 0)
		if err != nil {
			t.Fatalf("canonicalValue refused what CheckValue accepted: %v", err)
		}
		var want bytes.Buffer
		_ = json.Compact(&want, data)
		if !bytes.Equal(canon, want.Bytes()) {
			t.Fatalf("canonical form %q; want %q", canon, want.Bytes())
		}
	})
}

// FuzzMergePatch checks that MergePatch gives valid JSON and is idempotent,
// as RFC 7386 patches are: applying the same patch twice changes nothing.
func FuzzMergePatch(f *testing.F) {
	f.Add([]byte(`{"a":"b"}`), []byte(`{"a":null,"b":{"c":1}}`))
	f.Add([]byte(`[1,2]`), []byte(`{"a":"b","c":null}`))
	f.Add([]byte(`{}`), []byte(`{"a":{"bb":{"ccc":null}}}`))
	f.Add([]byte(`{"n":1.0}`), []byte(`{"m":-0e-0}`))
	f.Fuzz(func(t *testing.T, target, patch []byte) {
		if !json.Valid(target) || !json.Valid(patch) {
			return
		}
		once, err := MergePatch(target, patch)
		if err != nil {
			t.Fatalf("MergePatch(%q, %q): %v", target, patch, err)
		}
		if !json.Valid(once) {
			t.Fatalf("result %q is not valid JSON", once)
		}
		twice, err := MergePatch(once, patch)
		if err != nil {
			t.Fatalf("second MergePatch: %v", err)
		}
		if !bytes.Equal(once, twice) {
			t.Fatalf("not idempotent: %q then %q", once, twice)
		}
	})
}
