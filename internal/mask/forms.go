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
	enc string // the encoding's name, as Form.Encoding
	b   []byte
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

// Form is one fixed encoded form of a value: the bytes a Matcher masks as
// they are, and the name of their encoding ("" for the value itself).
type Form struct {
	Encoding string
	Bytes    []byte
}

// Forms returns the distinct fixed forms of v that a Matcher masks (each
// line and JSON leaf of a secret is a value of its own), the value first.
// The views (see views.go) mask more than these: whole classes of escaping,
// which Readings reproduces. ward scan --known finds what both give, so the
// scanner and the masker share one list.
func Forms(v []byte) []Form {
	fs := forms(v, false)
	out := make([]Form, len(fs))
	for i, f := range fs {
		out[i] = Form{f.enc, f.b}
	}
	return out
}

// forms returns the distinct encoded forms of v that are masked, raw first.
// See the package documentation for the list.
func forms(v []byte, encodedOnly bool) []form {
	out := make([]form, 0, 20)
	addMin := func(enc string, f []byte, minHead int, splitOnly bool) {
		if len(f) < MinLen {
			return
		}
		for _, o := range out {
			if string(o.b) == string(f) {
				return
			}
		}
		out = append(out, form{enc, f, minHead, splitOnly})
	}
	add := func(enc string, f []byte) { addMin(enc, f, minSplitHead, false) }
	if !encodedOnly {
		add("", v)
	}
	addMin("hex", []byte(hex.EncodeToString(v)), minHexHead, false)
	addMin("hex-upper", bytes.ToUpper([]byte(hex.EncodeToString(v))), minHexHead, false)
	for _, a := range base64Forms {
		add(a.name, []byte(a.enc.EncodeToString(v)))
		raw := a.enc.WithPadding(base64.NoPadding)
		for align, name := range a.inside {
			add(name, base64Core(raw, v, align))
		}
		addMin(a.unpadded, []byte(raw.EncodeToString(v)), minSplitHead, true)
	}
	// Percent-encodings and JSON escapes are masked by the views whole;
	// these fixed forms serve the split rule, and the "+"-only form of a
	// value whose only special character is a space, which has no "%".
	s := string(v)
	q := url.QueryEscape(s)
	add("percent", []byte(q))
	addMin("percent-20", []byte(strings.ReplaceAll(q, "+", "%20")), minSplitHead, true)
	for _, j := range jsonEscapes(s) {
		addMin("json-escape", []byte(j), minSplitHead, true)
		addMin("json-escape", []byte(strings.ReplaceAll(j, "/", `\/`)), minSplitHead, true)
	}
	if !encodedOnly {
		add("shell-quote", []byte(strings.ReplaceAll(s, "'", `'\''`)))
		add("shell-quote", []byte(strings.ReplaceAll(s, "'", `'"'"'`)))
	}
	return out
}

// base64Forms names the base64 forms of each alphabet.
var base64Forms = []struct {
	name     string
	enc      *base64.Encoding
	inside   [3]string // the core inside longer base64, by alignment
	unpadded string
}{
	{"base64", base64.StdEncoding, [3]string{"base64-inside-0", "base64-inside-1", "base64-inside-2"}, "base64-unpadded"},
	{"base64url", base64.URLEncoding, [3]string{"base64url-inside-0", "base64url-inside-1", "base64url-inside-2"}, "base64url-unpadded"},
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
	same := true
	for i := 0; i < len(v) && same; i++ {
		c := v[i]
		same = c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	if same {
		return []string{v} // no escape: the same text, both ways
	}
	html, _ := json.Marshal(v)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	plain := bytes.TrimRight(b.Bytes(), "\n")
	return []string{string(html[1 : len(html)-1]), string(plain[1 : len(plain)-1])}
}
