package scan

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func TestEncodings(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString
	h := func(s string) string { return hex.EncodeToString([]byte(s)) }
	for _, tc := range []struct {
		name, text, encoding string
	}{
		{"plain", "token=" + tok, ""},
		{"base64", b64([]byte("export GH=" + tok)), "base64"},
		{"base64url", base64.RawURLEncoding.EncodeToString([]byte("{\"gh\":\"" + tok + "\"}")), "base64"},
		{"hex", h("gh " + tok), "hex"},
		{"percent", "u=x&gh=" + percentAll(tok) + "&z=1", "percent"},
		{"percent, secret left as is", url.QueryEscape("u=x&gh=" + tok + "&z=1"), ""},
		{"json escapes", `\u0067hp_` + tok[4:] + `\n`, "json-escape"},
		{"base64 of hex", b64([]byte(h("gh " + tok))), "base64+hex"},
		{"base64 of base64", b64([]byte(b64([]byte("gh " + tok)))), "base64+base64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			line := "data: " + tc.text + " end"
			res := scanBytes(t, Config{}, []byte("head\n"+line+"\n"))
			fs := only(res.Findings, "github-pat")
			if len(fs) != 1 {
				t.Fatalf("got %d findings: %+v", len(fs), res.Findings)
			}
			f := fs[0]
			if f.Encoding != tc.encoding {
				t.Errorf("encoding %q, want %q", f.Encoding, tc.encoding)
			}
			start := strings.Index(line, tc.text) + 1
			if f.StartLine != 2 || f.StartColumn > start+len(tc.text) || f.EndColumn < start {
				t.Errorf("at %d:%d-%d, the text is at 2:%d-%d", f.StartLine, f.StartColumn, f.EndColumn, start, start+len(tc.text)-1)
			}
		})
	}
}

func percentAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

func TestDecodeDepthBound(t *testing.T) {
	text := "gh " + tok
	for range 3 {
		text = base64.StdEncoding.EncodeToString([]byte(text))
	}
	if fs := only(scanBytes(t, Config{}, []byte(text)).Findings, "github-pat"); len(fs) != 0 {
		t.Errorf("found through 3 levels of encoding with a bound of 2: %+v", fs)
	}
	if fs := only(scanBytes(t, Config{MaxDecodeDepth: 3}, []byte(text)).Findings, "github-pat"); len(fs) != 1 {
		t.Errorf("not found through 3 levels with a bound of 3")
	}
	if fs := only(scanBytes(t, Config{MaxDecodeDepth: -1}, []byte(base64.StdEncoding.EncodeToString([]byte("gh "+tok)))).Findings, "github-pat"); len(fs) != 0 {
		t.Errorf("decoded with decoding off")
	}
}
