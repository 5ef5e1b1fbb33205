package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"slices"
	"strconv"
	"unicode/utf8"
)

// JSON is JSON text put in Entry.Data where the caller holds a value as
// text (a secret's stored version): the log writes for it exactly what it
// writes for the value json.Unmarshal into an any decodes the text to
// (numbers as float64, the last of repeated keys), without building those
// maps. Text that is not valid JSON is written as a leaf "unencodable value".
type JSON []byte

// jvalue is a JSON value parsed from valid text, pointing into the text
// where it can.
type jvalue struct {
	kind byte // 'n' null, 't' true, 'f' false, '0' number, '"' string, '{', '['
	// text: a string's decoded bytes, a number's text.
	text []byte
	// elems: an array's elements; an object's members sorted by key, one
	// per key, the last given (json.Unmarshal keeps the last).
	elems []jmember
	// collapse: written as one digest (set by size).
	collapse bool
	f        float64 // a number's value
}

type jmember struct {
	key []byte // decoded; nil in an array
	val jvalue
}

// parseJSON parses text; ok is false for text json.Unmarshal into an any
// refuses (invalid, or a number out of float64's range).
func parseJSON(text []byte) (v jvalue, ok bool) {
	if !json.Valid(text) {
		return jvalue{}, false
	}
	p := jparser{b: text}
	v = p.value()
	return v, p.ok
}

// jparser parses text already known to be valid JSON.
type jparser struct {
	b  []byte
	i  int
	ok bool
}

func (p *jparser) skipSpace() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jparser) value() jvalue {
	p.ok = true
	return p.parse()
}

func (p *jparser) parse() jvalue {
	p.skipSpace()
	switch c := p.b[p.i]; c {
	case 'n':
		p.i += 4
		return jvalue{kind: 'n'}
	case 't':
		p.i += 4
		return jvalue{kind: 't'}
	case 'f':
		p.i += 5
		return jvalue{kind: 'f'}
	case '"':
		return jvalue{kind: '"', text: p.str()}
	case '{':
		return p.object()
	case '[':
		p.i++
		v := jvalue{kind: '['}
		p.skipSpace()
		if p.b[p.i] == ']' {
			p.i++
			return v
		}
		for {
			v.elems = append(v.elems, jmember{val: p.parse()})
			p.skipSpace()
			c := p.b[p.i]
			p.i++
			if c == ']' {
				return v
			}
		}
	default:
		start := p.i
		for p.i < len(p.b) && isNumberByte(p.b[p.i]) {
			p.i++
		}
		f, err := strconv.ParseFloat(string(p.b[start:p.i]), 64)
		if err != nil {
			p.ok = false // out of range: json.Unmarshal refuses it too
		}
		return jvalue{kind: '0', text: p.b[start:p.i], f: f}
	}
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

func (p *jparser) object() jvalue {
	p.i++ // {
	v := jvalue{kind: '{'}
	p.skipSpace()
	if p.b[p.i] == '}' {
		p.i++
		return v
	}
	for {
		p.skipSpace()
		k := p.str()
		p.skipSpace()
		p.i++ // :
		v.elems = append(v.elems, jmember{key: k, val: p.parse()})
		p.skipSpace()
		c := p.b[p.i]
		p.i++
		if c == '}' {
			break
		}
	}
	// Sort by key, keeping the order given among equal keys, then keep
	// the last of each.
	slices.SortStableFunc(v.elems, func(a, b jmember) int { return bytes.Compare(a.key, b.key) })
	out := v.elems[:0]
	for i, m := range v.elems {
		if i+1 < len(v.elems) && bytes.Equal(v.elems[i+1].key, m.key) {
			continue
		}
		out = append(out, m)
	}
	v.elems = out
	return v
}

// str returns the decoded bytes of the string at p.i and moves past it:
// the text itself when it has no escape and is valid UTF-8, else what
// json.Unmarshal decodes it to.
func (p *jparser) str() []byte {
	start := p.i
	p.i++ // "
	plain := true
	for {
		c := p.b[p.i]
		if c == '"' {
			break
		}
		if c == '\\' {
			plain = false
			p.i += 2
			continue
		}
		if c >= utf8.RuneSelf {
			plain = false
		}
		p.i++
	}
	p.i++
	text := p.b[start+1 : p.i-1]
	if plain || utf8.Valid(text) && bytes.IndexByte(text, '\\') < 0 {
		return text
	}
	var s string
	if json.Unmarshal(p.b[start:p.i], &s) != nil {
		p.ok = false
	}
	return []byte(s)
}

// size decides which containers of v are written as one digest, as redact
// and bound do for the decoded value, and returns the bytes v takes in the
// line and the bytes of its own JSON text (or a lower bound).
func (v *jvalue) size() (out, raw int) {
	switch v.kind {
	case 'n':
		return len("null"), len("null")
	case 't':
		return hmacLen, len("true")
	case 'f':
		return hmacLen, len("false")
	case '"':
		return hmacLen, quotedLen(string(v.text))
	case '0':
		return hmacLen, shortestFloatLen(v.f)
	}
	n := len(v.elems)
	out, raw = 2+max(n-1, 0), 2+max(n-1, 0)
	for i := range v.elems {
		m := &v.elems[i]
		o, w := m.val.size()
		if v.kind == '{' {
			kl := quotedLen(string(m.key)) + 1
			o, w = o+kl, w+kl
		}
		out, raw = out+o, raw+w
	}
	if out > max(redactFloor, redactRatio*raw) {
		v.collapse = true
		return collapsedLen, raw
	}
	return out, raw
}

// appendRedactedJSON appends v as appendRedacted appends the redaction of
// the decoded value; size must have been called.
func (h *hasher) appendRedactedJSON(buf []byte, v *jvalue) []byte {
	switch v.kind {
	case 'n':
		return append(buf, "null"...)
	case 't':
		return h.appendQuotedSum(buf, "true")
	case 'f':
		return h.appendQuotedSum(buf, "false")
	case '"':
		return append(h.appendSum(append(buf, '"'), hmacPrefix, v.text), '"')
	case '0':
		var room [32]byte
		return append(h.appendSum(append(buf, '"'), hmacPrefix, strconv.AppendFloat(room[:0], v.f, 'g', -1, 64)), '"')
	}
	if v.collapse {
		return appendString(buf, h.sumPrefixed(hmacJSONPrefix, appendCanonicalJSON(nil, v)))
	}
	return appendContainer(buf, v, h.appendRedactedJSON)
}

// appendCanonicalJSON appends v's text as appendCanonical appends the
// decoded value's.
func appendCanonicalJSON(buf []byte, v *jvalue) []byte {
	switch v.kind {
	case 'n':
		return append(buf, "null"...)
	case 't':
		return append(buf, "true"...)
	case 'f':
		return append(buf, "false"...)
	case '"':
		return appendString(buf, string(v.text))
	case '0':
		return strconv.AppendFloat(buf, v.f, 'g', -1, 64)
	}
	return appendContainer(buf, v, appendCanonicalJSON)
}

// appendContainer appends object or array v, each value written by value.
func appendContainer(buf []byte, v *jvalue, value func([]byte, *jvalue) []byte) []byte {
	open, end := byte('['), byte(']')
	if v.kind == '{' {
		open, end = '{', '}'
	}
	buf = append(buf, open)
	for i := range v.elems {
		m := &v.elems[i]
		if i > 0 {
			buf = append(buf, ',')
		}
		if v.kind == '{' {
			buf = append(appendString(buf, string(m.key)), ':')
		}
		buf = value(buf, &m.val)
	}
	return append(buf, end)
}

// redactedJSON is what redact returns for a JSON: the parsed value, sized,
// and the key under which its redaction is to be cached, if it is.
type redactedJSON struct {
	v        *jvalue
	out, raw int
	key      *[sha256.Size]byte
}

// redactJSON is redact for text: its cached redaction, or the parsed value
// when it parses, else what redact gives for what json.Unmarshal gives (a
// leaf "unencodable value").
func (h *hasher) redactJSON(text JSON) (r any, out, raw int) {
	var key *[sha256.Size]byte
	if len(text) <= maxCachedText {
		k := h.texts.key(text)
		if c := h.texts.get(k); c != nil {
			return c, c.out, c.raw
		}
		key = &k
	}
	v, ok := parseJSON(text)
	if !ok {
		return leaf("unencodable value"), hmacLen, 1
	}
	out, raw = v.size()
	return redactedJSON{&v, out, raw, key}, out, raw
}

// appendRedactedText appends r, the redaction of a text, and caches it.
func (h *hasher) appendRedactedText(buf []byte, r redactedJSON) []byte {
	start := len(buf)
	buf = h.appendRedactedJSON(buf, r.v)
	if r.key != nil {
		h.texts.put(*r.key, &cachedText{line: bytes.Clone(buf[start:]), out: r.out, raw: r.raw})
	}
	return buf
}

// canonicalJSON is appendCanonical for text.
func canonicalJSON(buf []byte, text JSON) []byte {
	v, ok := parseJSON(text)
	if !ok {
		return append(buf, `"unencodable value"`...)
	}
	return appendCanonicalJSON(buf, &v)
}
