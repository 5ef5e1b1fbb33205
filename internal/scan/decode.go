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
	minHexRun    = 16      // 8 bytes: a short password, hex-encoded
	maxRun       = Overlap // a run longer than this is cut; see Overlap
	// minFoldLine is the shortest line of base64 folded across lines
	// (MIME folds at 76, PEM at 64, some tools at 20) that is joined to
	// the next.
	minFoldLine = 16
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
// decoding when the decoding looks like text worth scanning. A base64 run
// that fills its line to the end and goes on at the start of the next
// (folded at any width of at least minFoldLine) is one run across the
// lines.
func encodedRuns(buf []byte, limit int, fn func(kind string, start, end int, decoded []byte)) {
	limit = min(limit, len(buf))
	var joined []byte
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
		if end == j && j-i >= minFoldLine {
			// Folded base64, when the joined text decodes to text; else
			// the run on its own line (hex, say, before a line that
			// starts with a timestamp).
			if fe, text := foldedBase64(buf, i, j, joined[:0]); fe > j {
				joined = text
				if d := decodeBase64(text); len(text) >= minBase64Run && textLike(d) {
					fn(EncBase64, i, fe, d)
					i = fe
					continue
				}
			}
		}
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
	escapedRuns(buf, limit, '%', EncPercent, percentDecodePlus, fn)
	escapedRuns(buf, limit, '\\', EncJSON, jsonUnescape, fn)
}

// foldedBase64 joins the base64 run buf[i:j], which ends at a line break,
// with the runs that start the following lines, as long as each line but
// the last is filled to its end by at least minFoldLine characters. It
// returns the end of the last run (its padding included) and the joined
// text, appended to dst; end is j when the next line does not go on.
func foldedBase64(buf []byte, i, j int, dst []byte) (end int, text []byte) {
	text = append(dst, buf[i:j]...)
	end = j
	for len(text) < maxRun {
		k := end
		if k < len(buf) && buf[k] == '\r' {
			k++
		}
		if k >= len(buf) || buf[k] != '\n' {
			break
		}
		k++
		e := k
		for e < len(buf) && b64Class[buf[e]] {
			e++
		}
		if e == k {
			break // the next line does not start with base64
		}
		text = append(text, buf[k:e]...)
		end = e
		if e-k < minFoldLine || e < len(buf) && buf[e] != '\r' && buf[e] != '\n' {
			break // a short or unfinished line is the last
		}
	}
	// The padding, which may have been folded onto a line of its own.
	k := end
	if len(text)%4 != 0 {
		if k < len(buf) && buf[k] == '\r' {
			k++
		}
		if k+1 < len(buf) && buf[k] == '\n' && buf[k+1] == '=' {
			k++
		} else {
			k = end
		}
	}
	for k < len(buf) && len(text)%4 != 0 && buf[k] == '=' {
		text = append(text, '=')
		k++
		end = k
	}
	return end, text
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
// are); nil when there was none, or when the run writes a space as "+"
// (it has a "+" and escapes "+" itself as %2B), which percentDecodePlus
// reads.
func percentDecode(b []byte) []byte {
	if bytes.IndexByte(b, '+') >= 0 && containsFold(b, "%2b") {
		return nil
	}
	return percentDecodeAs(b, false)
}

// percentDecodePlus is percentDecode that also reads "+" as a space, as
// form encoding and url.QueryEscape write it; nil when there was no "+",
// or when the run writes a space as %20 (its "+" are pluses).
func percentDecodePlus(b []byte) []byte {
	if bytes.IndexByte(b, '+') < 0 || containsFold(b, "%20") {
		return nil
	}
	return percentDecodeAs(b, true)
}

// containsFold reports whether b contains the ASCII string s in any case.
func containsFold(b []byte, s string) bool {
	for i := 0; i+len(s) <= len(b); i++ {
		if bytes.EqualFold(b[i:i+len(s)], []byte(s)) {
			return true
		}
	}
	return false
}

func percentDecodeAs(b []byte, plus bool) []byte {
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
		if b[i] == '+' && plus {
			out = append(out, ' ')
			continue
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
