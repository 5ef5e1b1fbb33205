package mask

import (
	"bytes"
	"unicode/utf8"
)

// A view is a canonical reading of the stream in which a whole class of
// encodings of a value collapses into the value itself, so that the class is
// masked by matching the plain forms, not by listing its members. Where a
// trigger byte occurs, the text around it (the region: the rest of its line,
// at most reach bytes each side of the trigger, triggers closer than that
// chained) is decoded into a scratch buffer that remembers where each byte
// came from; the tiers run over the decoded text, and each match is mapped
// back to the bytes it was decoded from, which are replaced.
//
//   - percent: %XX escapes, either case, whichever characters were escaped
//     (url.QueryEscape, url.PathEscape, url.UserPassword, Python's quote and
//     quote_plus with any safe set, %20 or + for a space): two readings,
//     one with "+" as it is and one with "+" as a space;
//   - backslash: \c as c, \n \r \t \b \f as control characters, \xHH and
//     \uXXXX (a UTF-16 surrogate pair as one character) as what they
//     encode: JSON strings, printf %q, declare -p, $'...' quoting;
//   - ansi: terminal control sequences (CSI such as colours, OSC, two-byte
//     escapes) removed, so a value cut into coloured pieces is whole again;
//   - nul: NUL bytes removed, so ASCII text in UTF-16 (LE or BE) or UTF-32
//     reads as ASCII.
type view struct {
	name    string
	trigger byte
	// live reports whether the trigger at b[t] may begin an escape (nil:
	// always); a region needs one live trigger.
	live func(b []byte, t int) bool
	// decode appends the decoding of src to d. At the end of src an
	// incomplete escape decodes to nothing when partial is set (the rest
	// may still come), and as itself otherwise.
	decode func(d *decoded, src []byte, base int, partial bool)
}

// decoded is a view's reading of a region: dec[i] came from the source
// bytes [from[i], to[i]).
type decoded struct {
	dec      []byte
	from, to []int32
}

// add appends one decoded byte. The caller has made room (grow): a
// decoding is never longer than its source.
func (d *decoded) add(c byte, from, to int) {
	n := len(d.dec)
	d.dec = d.dec[:n+1]
	d.from = d.from[:n+1]
	d.to = d.to[:n+1]
	d.dec[n], d.from[n], d.to[n] = c, int32(from), int32(to)
}

// start empties d and makes room for the decoding of n source bytes.
func (d *decoded) start(n int) {
	if cap(d.dec) < n {
		d.dec, d.from, d.to = make([]byte, 0, n), make([]int32, 0, n), make([]int32, 0, n)
	}
	d.dec, d.from, d.to = d.dec[:0], d.from[:0], d.to[:0]
}

// viewReach bounds how far from a trigger a region extends: 6 source bytes
// per decoded byte (\uXXXX) over a window of WindowLen decoded bytes, and
// room for control sequences between the characters of a coloured value.
const viewReach = 8 * WindowLen

var views = []view{
	{name: "percent", trigger: '%', live: percentLive, decode: func(d *decoded, src []byte, base int, partial bool) {
		decodePercent(d, src, base, partial, false)
	}},
	{name: "percent-plus", trigger: '%', live: percentLive, decode: func(d *decoded, src []byte, base int, partial bool) {
		decodePercent(d, src, base, partial, true)
	}},
	{name: "backslash", trigger: '\\', decode: decodeBackslash},
	{name: "ansi", trigger: 0x1b, decode: decodeANSI},
	{name: "nul", trigger: 0, decode: decodeNUL},
}

// percentLive: "%" and two hex digits, or "%" and what is left of b, which
// more bytes may complete.
func percentLive(b []byte, t int) bool {
	return allHex(b[t+1 : min(len(b), t+3)])
}

func decodePercent(d *decoded, src []byte, base int, partial, plus bool) {
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '%' && i+2 < len(src):
			h, ok1 := unhex(src[i+1])
			l, ok2 := unhex(src[i+2])
			if ok1 && ok2 {
				d.add(h<<4|l, base+i, base+i+3)
				i += 2
				continue
			}
			d.add(c, base+i, base+i+1)
		case c == '%' && partial && len(src)-i < 3 && allHex(src[i+1:]):
			return // "%" or "%X" at the end: the escape may complete
		case c == '+' && plus:
			d.add(' ', base+i, base+i+1)
		default:
			d.add(c, base+i, base+i+1)
		}
	}
}

func allHex(b []byte) bool {
	for _, c := range b {
		if _, ok := unhex(c); !ok {
			return false
		}
	}
	return true
}

// hexDigit holds the value+1 of each hex digit, 0 for other bytes.
var hexDigit = func() (t [256]byte) {
	for i, c := range "0123456789abcdef" {
		t[c] = byte(i) + 1
	}
	for i, c := range "ABCDEF" {
		t[c] = byte(i) + 11
	}
	return t
}()

func unhex(c byte) (byte, bool) { return hexDigit[c] - 1, hexDigit[c] != 0 }

var backslashControls = [256]byte{'n': '\n', 'r': '\r', 't': '\t', 'b': '\b', 'f': '\f', 'a': '\a', 'v': '\v', 'e': 0x1b}

func decodeBackslash(d *decoded, src []byte, base int, partial bool) {
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c != '\\' {
			d.add(c, base+i, base+i+1)
			continue
		}
		if i+1 == len(src) {
			if !partial {
				d.add(c, base+i, base+i+1)
			}
			return
		}
		e := src[i+1]
		switch {
		case e == 'x' || e == 'u':
			digits := 2
			if e == 'u' {
				digits = 4
			}
			if len(src)-(i+2) < digits {
				if partial && allHex(src[i+2:]) {
					return
				}
				d.add(e, base+i, base+i+2)
				i++
				continue
			}
			v, ok := hexValue(src[i+2 : i+2+digits])
			if !ok {
				d.add(e, base+i, base+i+2)
				i++
				continue
			}
			n := 2 + digits
			if e == 'x' {
				d.add(byte(v), base+i, base+i+n)
				i += n - 1
				continue
			}
			r := rune(v)
			if 0xd800 <= r && r < 0xdc00 && i+n+6 <= len(src) && src[i+n] == '\\' && src[i+n+1] == 'u' {
				if lo, ok := hexValue(src[i+n+2 : i+n+6]); ok && 0xdc00 <= lo && lo < 0xe000 {
					r = 0x10000 + (r-0xd800)<<10 + rune(lo-0xdc00)
					n += 6
				}
			}
			var u [utf8.UTFMax]byte
			k := utf8.EncodeRune(u[:], r)
			for j := range k {
				d.add(u[j], base+i, base+i+n)
			}
			i += n - 1
		case backslashControls[e] != 0:
			d.add(backslashControls[e], base+i, base+i+2)
			i++
		default:
			d.add(e, base+i, base+i+2)
			i++
		}
	}
}

func hexValue(b []byte) (uint32, bool) {
	var v uint32
	for _, c := range b {
		x, ok := unhex(c)
		if !ok {
			return 0, false
		}
		v = v<<4 | uint32(x)
	}
	return v, true
}

// decodeANSI drops terminal control sequences: CSI (ESC [ parameters
// intermediates final), OSC (ESC ] ... BEL or ESC \), and other escapes
// (ESC intermediates final).
func decodeANSI(d *decoded, src []byte, base int, partial bool) {
	for i := 0; i < len(src); i++ {
		if src[i] != 0x1b {
			d.add(src[i], base+i, base+i+1)
			continue
		}
		end := ansiEnd(src, i)
		if end < 0 { // incomplete at the end of src
			if partial {
				return
			}
			end = len(src)
		}
		i = end - 1
	}
}

// ansiEnd returns the end of the control sequence starting at src[i] (an
// ESC), or -1 when src ends inside it.
func ansiEnd(src []byte, i int) int {
	if i+1 >= len(src) {
		return -1
	}
	switch src[i+1] {
	case '[':
		for j := i + 2; j < len(src); j++ {
			if c := src[j]; c >= 0x40 && c <= 0x7e {
				return j + 1
			} else if c < 0x20 || c > 0x3f && c < 0x40 {
				return j // malformed: stop before it
			}
		}
		return -1
	case ']':
		for j := i + 2; j < len(src); j++ {
			switch {
			case src[j] == 0x07:
				return j + 1
			case src[j] == 0x1b && j+1 < len(src) && src[j+1] == '\\':
				return j + 2
			case src[j] == '\n':
				return j
			}
		}
		return -1
	}
	// ESC, intermediate bytes, a final byte: ESC ( B, ESC 7, ...
	j := i + 1
	for j < len(src) && src[j] >= 0x20 && src[j] <= 0x2f {
		j++
	}
	if j == len(src) {
		return -1
	}
	return j + 1
}

func decodeNUL(d *decoded, src []byte, base int, _ bool) {
	for i, c := range src {
		if c != 0 {
			d.add(c, base+i, base+i+1)
		}
	}
}

// viewRegions calls fn for each region of b that view v decodes and whose
// first trigger lies in b[from:to]: the text around each trigger within its
// line, at most reach bytes before the first trigger and after the last,
// triggers closer than that chained. A region may reach outside b[from:to].
//
// Regions never cross a line break, so the regions of a line do not depend
// on what comes before it: enumerating them from the start of from's line
// gives, in any part of b, the regions a walk from b[0] gives there. That is
// what lets parallel parts of a scan each decode exactly the regions one
// goroutine would.
func viewRegions(b []byte, from, to int, v *view, reach int, fn func(lo, hi int)) {
	off := bytes.LastIndexByte(b[:from], '\n') + 1
	for off < to {
		// A trigger at or after to opens a region some other part owns:
		// the search stops at to, so that a part does not read the rest
		// of the buffer for a trigger that is not there.
		k := bytes.IndexByte(b[off:to], v.trigger)
		if k < 0 {
			return
		}
		t := off + k
		if v.live != nil && !v.live(b, t) {
			off = t + 1
			continue
		}
		lo := max(0, t-reach)
		if nl := bytes.LastIndexByte(b[lo:t], '\n'); nl >= 0 {
			lo += nl + 1
		}
		hi := t + 1
		for {
			lim := min(len(b), hi+reach)
			seg := b[hi:lim]
			if nl := bytes.IndexByte(seg, '\n'); nl >= 0 {
				seg = seg[:nl]
			}
			n := bytes.IndexByte(seg, v.trigger)
			if n < 0 {
				hi += len(seg)
				break
			}
			hi += n + 1
		}
		if t >= from {
			fn(lo, hi)
		}
		off = hi
	}
}

// Reading is one view's decoding of a region of a text that holds an
// escape: Text[i] was decoded from the source bytes [From[i], To[i]).
type Reading struct {
	View     string // percent, percent-plus, backslash, ansi, nul
	Text     []byte
	From, To []int32
}

// Readings calls fn with each canonical reading of b that the views make
// (see views.go): the regions around escapes, at most reach bytes before
// the first escape of a line and after the last, decoded, where decoding
// changed something. Finding a value's fixed forms (Forms) in b and in
// these readings, with reach at least the length of the longest encoded
// value, finds everything a Matcher masks outside of folds and values
// split across lines. fn must not keep r or its slices.
func Readings(b []byte, reach int, fn func(r *Reading)) { readings(b, 0, len(b), reach, fn) }

// readings is Readings of the regions whose first escape lies in b[from:to].
func readings(b []byte, from, to, reach int, fn func(r *Reading)) {
	var d decoded
	var r Reading
	for i := 0; i < len(views); {
		// Views with the same trigger (the two percent readings) share
		// one search for it: views lists them side by side.
		j := i + 1
		for j < len(views) && views[j].trigger == views[i].trigger {
			j++
		}
		viewRegions(b, from, to, &views[i], reach, func(lo, hi int) {
			for k := i; k < j; k++ {
				v := &views[k]
				d.start(hi - lo)
				v.decode(&d, b[lo:hi], lo, false)
				if len(d.dec) == hi-lo && !changed(&d, lo) {
					continue // nothing decoded: the plain scan has seen it
				}
				r = Reading{View: v.name, Text: d.dec, From: d.from, To: d.to}
				fn(&r)
			}
		})
		i = j
	}
}

// viewFind appends the matches that the views find in the regions of b
// whose first escape lies in b[from:to].
func (m *Matcher) viewFind(b []byte, from, to int, ms []match) []match {
	if len(m.tiers) == 0 && m.window == nil {
		return ms
	}
	readings(b, from, to, viewReach, func(r *Reading) {
		n := len(ms)
		// Only matches through a decoded byte (an escape read, or bytes
		// dropped before it) are new: the plain scan found the others.
		// Such a match has all its bytes, or WindowLen of them, within
		// maxLen-1 bytes of one.
		lo, hi := -1, -1
		for i := range r.Text {
			if r.To[i]-r.From[i] == 1 && (i == 0 || r.From[i] == r.To[i-1]) {
				continue
			}
			a, z := max(0, i-(m.maxLen-1)), min(len(r.Text), i+m.maxLen)
			if lo >= 0 && a <= hi {
				hi = z
				continue
			}
			if lo >= 0 {
				ms = m.scanAround(r.Text, lo, hi, ms)
			}
			lo, hi = a, z
		}
		if lo >= 0 {
			ms = m.scanAround(r.Text, lo, hi, ms)
		}
		for k := n; k < len(ms); k++ {
			ms[k].start, ms[k].end = int(r.From[ms[k].start]), int(r.To[ms[k].end-1])
		}
	})
	return ms
}

// scanAround appends the matches of the tiers in b[lo:hi] and the window
// runs with WindowLen bytes there, extended over all of b.
func (m *Matcher) scanAround(b []byte, lo, hi int, ms []match) []match {
	for _, t := range m.tiers {
		n := len(ms)
		ms = t.scan(b[lo:hi], ms)
		for k := n; k < len(ms); k++ {
			ms[k].start += lo
			ms[k].end += lo
		}
	}
	if m.window != nil {
		ms = m.window.scanRange(b, lo, hi, ms)
	}
	return ms
}

// changed reports whether a decoding that kept the length changed a byte
// (a "+" read as a space).
func changed(d *decoded, lo int) bool {
	for i, f := range d.from {
		if int(f) != lo+i || d.to[i] != f+1 {
			return true
		}
	}
	return false
}

// viewHold returns where the earliest view match that more bytes could
// complete starts in b: a decoded tail of the region that ends b which is
// a prefix of a pattern, or an escape cut off by the end of b after its
// first byte ("%4", not "%"). It returns len(b) if there is none.
func (m *Matcher) viewHold(b []byte) int {
	const reach = viewReach
	hold := len(b)
	var d decoded
	for i := range views {
		v := &views[i]
		lo := max(0, len(b)-reach)
		t := bytes.LastIndexByte(b[lo:], v.trigger)
		if t < 0 {
			continue
		}
		t += lo
		if bytes.IndexByte(b[t:], '\n') >= 0 {
			continue // the region ends with its line
		}
		lo = max(0, t-reach)
		if nl := bytes.LastIndexByte(b[lo:t], '\n'); nl >= 0 {
			lo += nl + 1
		}
		d.start(len(b) - lo)
		v.decode(&d, b[lo:], lo, true)
		end := lo
		if n := len(d.to); n > 0 {
			end = int(d.to[n-1])
		}
		if end < len(b)-1 {
			// An escape cut off at the end after its first byte, which
			// alone tells nothing about what it encodes.
			hold = min(hold, end)
		}
		for p := max(0, len(d.dec)-m.maxLen+1); p < len(d.dec); p++ {
			if m.isPrefix(d.dec[p:]) {
				hold = min(hold, int(d.from[p]))
				break
			}
		}
	}
	return hold
}
