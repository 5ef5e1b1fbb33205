package audit

import (
	"encoding/json"
	"testing"
)

// FuzzAppendString checks the hand-written JSON strings against
// encoding/json: both must decode to the same text.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", `quote " and \ backslash`, "ctl \x00\x01\x1f\x7f \n\r\t", "<>&", "bad \xff\xfe utf8", "\u2028\u2029", "é漢🙂", "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := appendString(nil, s)
		if !json.Valid(got) {
			t.Fatalf("appendString(%q) = %s: not valid JSON", s, got)
		}
		var a, b string
		want, _ := json.Marshal(s)
		json.Unmarshal(got, &a)
		json.Unmarshal(want, &b)
		if a != b {
			t.Fatalf("appendString(%q) decodes to %q; encoding/json's to %q", s, a, b)
		}
	})
}

// TestEncodeAwkwardText writes public fields full of characters that need
// escaping: the line must verify and decode to the same text.
func TestEncodeAwkwardText(t *testing.T) {
	cfg := testConfig(t)
	l := openTest(t, cfg)
	e := entry(0)
	e.Path = "a\"b\\c\nd<e>&f\u2028g\x01"
	e.Error = "permission denied: \"x\"\t"
	e.Meta = map[string]string{"z\"": "1\n", "a": ""}
	e.Policies = []string{"p\"1", ""}
	e.Data = map[string]any{"k\"ey\n": "v", "": nil}
	writeN(t, l, 1, 1) // a line before, so the awkward one is chained
	if err := l.Write(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	mustVerify(t, cfg.Path, 2)
	var got struct {
		Path     string            `json:"path"`
		Error    string            `json:"error"`
		Meta     map[string]string `json:"meta"`
		Policies []string          `json:"policies"`
		Data     map[string]any    `json:"data"`
	}
	b, _ := readLines(t, cfg.Path)
	if err := json.Unmarshal(b[1], &got); err != nil {
		t.Fatal(err)
	}
	if got.Path != e.Path || got.Error != e.Error || got.Meta["z\""] != "1\n" || got.Policies[0] != "p\"1" || got.Data["k\"ey\n"] != l.HMAC("v") {
		t.Errorf("decoded %+v", got)
	}
	if _, ok := got.Data[""]; !ok {
		t.Error("empty data key lost")
	}
}
