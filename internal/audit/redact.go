package audit

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// How Data is redacted. Every leaf becomes the HMAC of its JSON text, 78
// bytes however short the leaf: without a bound, an array of 200,000 zeros
// (400 KB) would become a 15.8 MB line, and a loop of reads by a read-only
// token would fill the disk. So every object or array whose redacted form
// would take more than redactRatio times the bytes of its own JSON text (and
// more than redactFloor bytes) is written as one HMAC of its whole JSON
// text instead, prefixed hmacJSONPrefix so that the line says so. By
// induction, Data's redacted form is at most redactRatio times Data's JSON
// text, or redactFloor bytes: an entry grows with the request (or the
// response) it records, never faster.
const (
	redactRatio = 4
	redactFloor = 1024
	// hmacJSONPrefix starts the HMAC of a whole object or array: of its
	// JSON text, compact, with object keys sorted and numbers as they
	// were sent.
	hmacJSONPrefix = "hmac-sha256-json:"
)

// Sizes, in bytes of the line, of what redaction writes.
const (
	hmacLen      = len(`""`) + len(hmacPrefix) + 64
	collapsedLen = len(`""`) + len(hmacJSONPrefix) + 64
)

// leaf is a leaf of Data waiting to be written: its JSON text (a string's
// own text), HMAC'd by appendRedacted. Hashing waits for the write so that
// leaves of a part that is then written whole are never hashed one by one.
type leaf string

// digest is a whole object or array, already "hmac-sha256-json:<hex>".
type digest string

// redactData returns what the log writes of data: the same keys, every leaf
// a leaf, and parts too costly to write leaf by leaf as a digest. Values
// that are not JSON types go through encoding/json first, so nothing is
// ever written as it is.
func (h *hasher) redactData(data map[string]any) any {
	r, _, _ := h.redact(data)
	return r
}

// redact returns v redacted, the bytes it will take in the line (out), and
// the bytes of v's own compact JSON text, or a lower bound of them (raw).
func (h *hasher) redact(v any) (r any, out, raw int) {
	switch v := v.(type) {
	case nil:
		return nil, len("null"), len("null")
	case string:
		return leaf(v), hmacLen, quotedLen(v)
	case bool:
		s := strconv.FormatBool(v)
		return leaf(s), hmacLen, len(s)
	case float64:
		return leaf(formatFloat(v)), hmacLen, shortestFloatLen(v)
	case json.Number:
		return leaf(v.String()), hmacLen, max(len(v), 1)
	case int:
		s := strconv.Itoa(v)
		return leaf(s), hmacLen, len(s)
	case int64:
		s := strconv.FormatInt(v, 10)
		return leaf(s), hmacLen, len(s)
	case map[string]any:
		m := make(map[string]any, len(v))
		out, raw = 2+max(len(v)-1, 0), 2+max(len(v)-1, 0) // braces, commas
		for k, x := range v {
			r, o, w := h.redact(x)
			m[k] = r
			kl := quotedLen(k) + 1
			out, raw = out+kl+o, raw+kl+w
		}
		return h.bound(v, m, out, raw)
	case []any:
		s := make([]any, len(v))
		out, raw = 2+max(len(v)-1, 0), 2+max(len(v)-1, 0)
		for i, x := range v {
			r, o, w := h.redact(x)
			s[i] = r
			out, raw = out+o, raw+w
		}
		return h.bound(v, s, out, raw)
	case []string:
		return h.redact(anySlice(v))
	case map[string]string:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = x
		}
		return h.redact(m)
	case JSON:
		return h.redactJSON(v)
	}
	generic, ok := toGeneric(v)
	if !ok {
		return leaf("unencodable value"), hmacLen, 1
	}
	return h.redact(generic)
}

// bound returns the redacted container r, or one digest of the original v
// when r would take too much room for v's size.
func (h *hasher) bound(v, r any, out, raw int) (any, int, int) {
	if out <= max(redactFloor, redactRatio*raw) {
		return r, out, raw
	}
	return h.sumJSONValue(v), collapsedLen, raw
}

// sumJSON returns the digest of v's canonical JSON text.
func (h *hasher) sumJSON(v any) string { return string(h.sumJSONValue(v)) }

func (h *hasher) sumJSONValue(v any) digest {
	return digest(h.sumPrefixed(hmacJSONPrefix, appendCanonical(nil, v)))
}

// appendRedacted appends what redact returned, hashing its leaves.
func (h *hasher) appendRedacted(buf []byte, v any) []byte {
	switch v := v.(type) {
	case leaf:
		return h.appendQuotedSum(buf, string(v))
	case digest:
		return appendString(buf, string(v))
	case map[string]any:
		return appendObject(buf, v, h.appendRedacted)
	case []any:
		return appendArray(buf, v, h.appendRedacted)
	case redactedJSON:
		return h.appendRedactedText(buf, v)
	case *cachedText:
		return append(buf, v.line...)
	}
	return append(buf, "null"...)
}

// appendCanonical appends v's JSON text: compact, keys sorted, strings as
// appendString writes them, numbers as leaves are HMAC'd. This is the text
// a digest is the HMAC of.
func appendCanonical(buf []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(buf, "null"...)
	case string:
		return appendString(buf, v)
	case bool:
		return strconv.AppendBool(buf, v)
	case float64:
		return append(buf, formatFloat(v)...)
	case json.Number:
		return append(buf, v...)
	case int:
		return strconv.AppendInt(buf, int64(v), 10)
	case int64:
		return strconv.AppendInt(buf, v, 10)
	case map[string]any:
		return appendObject(buf, v, appendCanonical)
	case []any:
		return appendArray(buf, v, appendCanonical)
	case []string:
		return appendCanonical(buf, anySlice(v))
	case map[string]string:
		return appendStringMap(buf, v)
	case JSON:
		return canonicalJSON(buf, v)
	}
	generic, ok := toGeneric(v)
	if !ok {
		return append(buf, `"unencodable value"`...)
	}
	return appendCanonical(buf, generic)
}

// toGeneric turns a value of any other type into nil, strings, json.Numbers,
// bools, maps and slices, through its JSON encoding.
func toGeneric(v any) (any, bool) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, false
	}
	var generic any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&generic) != nil {
		return nil, false
	}
	return generic, true
}

func anySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// formatFloat is the text in which a float64 leaf is HMAC'd: 42, 0.5, 1e+21.
func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// shortestFloatLen is the length of the shortest JSON text of f ("1e5"
// rather than "100000"): a lower bound of what a client sent for it.
func shortestFloatLen(f float64) int {
	e := strconv.FormatFloat(f, 'e', -1, 64) // 1e+05
	mant, exp, _ := strings.Cut(e, "e")
	exp = strings.TrimLeft(strings.TrimPrefix(exp, "+"), "0")
	if strings.HasPrefix(exp, "-") {
		exp = "-" + strings.TrimLeft(exp[1:], "0")
	}
	short := len(mant) + 1 + len(exp)
	if exp == "" {
		short = len(mant)
	}
	return min(len(formatFloat(f)), short)
}

// quotedLen is len(appendString(nil, s)).
func quotedLen(s string) int {
	n := 2
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t':
				n += 2
			case c < 0x20:
				n += 6
			default:
				n++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1, r == '\u2028', r == '\u2029':
			n += 6
		default:
			n += size
		}
		i += size
	}
	return n
}
