package mask

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strings"
)

// form is one encoded form of a value.
type form struct {
	b []byte
	// minHead is the shortest first piece of the form at the end of a
	// line that the split rule considers (see splitBuilder.add).
	minHead int
	// splitOnly forms are only looked for split across two lines: the
	// whole unpadded base64 encoding, whose last character the base64
	// core leaves out, so that a short rest of it counts as standing
	// alone.
	splitOnly bool
}

// minHexHead is minHead for hex forms: 8 hex digits, 4 bytes of the value,
// as for the raw form. A shorter head would be a run of 4 to 7 digits, which
// ends a great many log lines.
const minHexHead = 8

// forms returns the distinct encoded forms of v that are masked, raw first.
// See the package documentation for the list.
func forms(v []byte, encodedOnly bool) []form {
	var out []form
	seen := map[string]bool{}
	addMin := func(f []byte, minHead int, splitOnly bool) {
		if len(f) >= MinLen && !seen[string(f)] {
			seen[string(f)] = true
			out = append(out, form{f, minHead, splitOnly})
		}
	}
	add := func(f []byte) { addMin(f, minSplitHead, false) }
	if !encodedOnly {
		add(v)
	}
	addMin([]byte(hex.EncodeToString(v)), minHexHead, false)
	addMin(bytes.ToUpper([]byte(hex.EncodeToString(v))), minHexHead, false)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		add([]byte(enc.EncodeToString(v)))
		raw := enc.WithPadding(base64.NoPadding)
		for align := range 3 {
			add(base64Core(raw, v, align))
		}
		addMin([]byte(raw.EncodeToString(v)), minSplitHead, true)
	}
	s := string(v)
	q := url.QueryEscape(s)
	add([]byte(q))
	add([]byte(strings.ReplaceAll(q, "+", "%20")))
	for _, j := range jsonEscapes(s) {
		add([]byte(j))
		add([]byte(strings.ReplaceAll(j, "/", `\/`)))
	}
	if !encodedOnly {
		add([]byte(strings.ReplaceAll(s, "'", `'\''`)))
		add([]byte(strings.ReplaceAll(s, "'", `'"'"'`)))
	}
	return out
}

// base64Core is the part of the encoding of v that does not depend on its
// neighbours when v starts at byte offset align (mod 3) of a longer encoded
// text: the characters whose 6 bits all come from v.
func base64Core(enc *base64.Encoding, v []byte, align int) []byte {
	buf := make([]byte, align+len(v))
	copy(buf[align:], v)
	e := []byte(enc.EncodeToString(buf))
	first := (8*align + 5) / 6
	last := (8*align + 8*len(v)) / 6
	if last <= first {
		return nil
	}
	return e[first:last]
}

// jsonEscapes is v as the inside of a JSON string, with and without HTML
// escapes.
func jsonEscapes(v string) []string {
	html, _ := json.Marshal(v)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	plain := bytes.TrimRight(b.Bytes(), "\n")
	return []string{string(html[1 : len(html)-1]), string(plain[1 : len(plain)-1])}
}
