package scan

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
)

// Encodings the decoding passes report.
const (
	EncBase64  = "base64"
	EncHex     = "hex"
	EncPercent = "percent"
	EncJSON    = "json-escape"
)

const (
	minBase64Run = 20
	minHexRun    = 32
	maxRun       = Overlap // a run longer than this is cut; see Overlap
)

var (
	jsonEscapes = [256]byte{'n': '\n', 'r': '\r', 't': '\t', '"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f'}
	b64Class    [256]bool
	hexClass    [256]bool
)

func init() {
	for _, r := range [][2]byte{{'A', 'Z'}, {'a', 'z'}, {'0', '9'}} {
		for c := r[0]; c <= r[1]; c++ {
			b64Class[c] = true
		}
	}
	for _, c := range []byte("+/-_") {
		b64Class[c] = true
	}
	for _, c := range []byte("0123456789abcdefABCDEF") {
		hexClass[c] = true
	}
}

// encodedRuns finds runs of base64, hex, percent-encoded and JSON-escaped
// text starting before limit, and calls fn with each run's span and its
// decoding when the decoding looks like text worth scanning.
func encodedRuns(buf []byte, limit int, fn func(kind string, start, end int, decoded []byte)) {
	limit = min(limit, len(buf))
	for i := 0; i < limit; {
		if !b64Class[buf[i]] {
			i++
			continue
		}
		j := i + 1
		allHex := hexClass[buf[i]]
		for j < len(buf) && j-i < maxRun && b64Class[buf[j]] {
			allHex = allHex && hexClass[buf[j]]
			j++
		}
		end := j
		for end < len(buf) && end-j < 2 && buf[end] == '=' {
			end++
		}
		n := j - i
		switch {
		case allHex && n >= minHexRun && n%2 == 0:
			if d, err := hex.DecodeString(string(buf[i:j])); err == nil && textLike(d) {
				fn(EncHex, i, j, d)
			}
		case n >= minBase64Run:
			if d := decodeBase64(buf[i:end]); textLike(d) {
				fn(EncBase64, i, end, d)
			}
		}
		i = end
	}
	escapedRuns(buf, limit, '%', EncPercent, percentDecode, fn)
	escapedRuns(buf, limit, '\\', EncJSON, jsonUnescape, fn)
}

// escapedRuns finds each run of non-space, non-quote bytes holding the
// escape byte esc before limit, and decodes it.
func escapedRuns(buf []byte, limit int, esc byte, kind string, decode func([]byte) []byte, fn func(string, int, int, []byte)) {
	for i := 0; i < limit; {
		k := bytes.IndexByte(buf[i:limit], esc)
		if k < 0 {
			return
		}
		p := i + k
		s := p
		for s > 0 && p-s < maxRun && !runStop(buf[s-1]) {
			s--
		}
		e := p + 1
		for e < len(buf) && e-p < maxRun && !runStop(buf[e]) {
			e++
		}
		if d := decode(buf[s:e]); d != nil && len(d) >= 8 {
			fn(kind, s, e, d)
		}
		i = e
	}
}

func runStop(c byte) bool {
	return c <= ' ' || c == '"' || c == '\'' || c == '`' || c >= 0x7f
}

func decodeBase64(run []byte) []byte {
	s := string(bytes.TrimRight(run, "="))
	enc := base64.RawStdEncoding
	if bytes.ContainsAny(run, "-_") {
		if bytes.ContainsAny(run, "+/") {
			return nil
		}
		enc = base64.RawURLEncoding
	}
	d, err := enc.DecodeString(s)
	if err != nil {
		// A run may end mid-quantum: decode the longest valid prefix.
		s = s[:len(s)/4*4]
		if d, err = enc.DecodeString(s); err != nil {
			return nil
		}
	}
	return d
}

// textLike reports whether b is long enough and mostly printable ASCII: the
// decodings worth scanning again.
func textLike(b []byte) bool {
	if len(b) < 8 {
		return false
	}
	bad := 0
	for _, c := range b {
		if (c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c >= 0x7f {
			bad++
		}
	}
	return bad*10 <= len(b)
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// percentDecode decodes %XX escapes (and leaves malformed ones as they
// are); nil when there was none.
func percentDecode(b []byte) []byte {
	var out []byte
	n := 0
	for i := 0; i < len(b); i++ {
		if b[i] == '%' && i+2 < len(b) {
			h, ok1 := unhex(b[i+1])
			l, ok2 := unhex(b[i+2])
			if ok1 && ok2 {
				out = append(out, h<<4|l)
				i += 2
				n++
				continue
			}
		}
		out = append(out, b[i])
	}
	if n == 0 {
		return nil
	}
	return out
}

// jsonUnescape decodes JSON string escapes (\n \" \/ \uXXXX ...); nil when
// there was none. Code points above 0x7f are written as UTF-8.
func jsonUnescape(b []byte) []byte {
	var out []byte
	n := 0
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 >= len(b) {
			out = append(out, b[i])
			continue
		}
		c := b[i+1]
		rep := jsonEscapes[c]
		switch {
		case rep != 0:
			out = append(out, rep)
			i++
			n++
		case c == 'u' && i+5 < len(b):
			var v rune
			valid := true
			for _, d := range b[i+2 : i+6] {
				x, ok := unhex(d)
				valid = valid && ok
				v = v<<4 | rune(x)
			}
			if !valid {
				out = append(out, b[i])
				continue
			}
			out = append(out, string(v)...)
			i += 5
			n++
		default:
			out = append(out, b[i])
		}
	}
	if n == 0 {
		return nil
	}
	return out
}
