package policy

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrBadPath is wrapped by every *PathError: the request path is not
// canonical and must be refused (HTTP 400), never matched.
var ErrBadPath = errors.New("bad path")

// MaxPathLen bounds the escaped path CanonicalPath accepts, in bytes.
const MaxPathLen = 2048

// PathError says why CanonicalPath refused a path. It names the segment and
// a fixed reason, never the bytes of the path: a malformed path may carry
// anything, a secret pasted by mistake included.
type PathError struct {
	Index  int    // 1-based index of the offending segment; 0 for the path as a whole
	Reason string // a fixed description, like `"." or ".." segment`
}

func (e *PathError) Error() string {
	if e.Index == 0 {
		return fmt.Sprintf("bad path: %s", e.Reason)
	}
	return fmt.Sprintf("bad path: segment %d: %s; paths are canonical, with segments of letters, digits and %s", e.Index, e.Reason, safePunct)
}

func (e *PathError) Unwrap() error { return ErrBadPath }

// The reasons a path is refused.
const (
	reasonEmpty     = "empty path"
	reasonTooLong   = "longer than 2048 bytes"
	reasonEmptySeg  = "empty segment (a leading \"/\" or \"//\"); only one trailing \"/\" is allowed"
	reasonEscape    = "invalid percent-escape"
	reasonEncSep    = "encoded separator (%2F or %5C)"
	reasonBackslash = "backslash"
	reasonControl   = "NUL or control character"
	reasonUTF8      = "invalid UTF-8"
	reasonNonASCII  = "non-ASCII character (look-alike characters could name another path)"
	reasonUnsafe    = "character outside the safe set"
	reasonDots      = "\".\" or \"..\" segment"
	reasonGlob      = "\"**\" must be a whole segment"
	reasonPercent   = "\"%\": write rule paths decoded, without percent-escapes"
)

// safePunct is the punctuation allowed in path segments besides letters and
// digits.
const safePunct = "-._~@+=,:"

// safeByte marks the bytes allowed in a path segment.
var safeByte = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(safePunct, byte(c)) >= 0
	}
	return t
}()

// CanonicalPath checks a request path and returns it decoded. escaped is the
// URL-escaped path after /v1/, as r.URL.EscapedPath() gives it.
//
// A canonical path is one or more segments separated by "/", with one
// optional trailing "/" (a list request names a directory that way). Each
// segment, once percent-decoded, is made of ASCII letters, digits and the
// characters -._~@+=,: and is neither "." nor "..". Anything else is
// refused with a *PathError wrapping ErrBadPath: empty segments, "." and
// ".." (also when percent-encoded), %2F and %5C, backslashes, NUL and other
// control characters, invalid percent-escapes, invalid UTF-8 and every
// non-ASCII character. The result contains no "%", so CanonicalPath of a
// result returns it unchanged.
func CanonicalPath(escaped string) (string, error) {
	switch {
	case escaped == "":
		return "", &PathError{Reason: reasonEmpty}
	case len(escaped) > MaxPathLen:
		return "", &PathError{Reason: reasonTooLong}
	}
	var b *strings.Builder
	if strings.IndexByte(escaped, '%') >= 0 {
		b = &strings.Builder{}
		b.Grow(len(escaped))
	}
	rest, index := escaped, 0
	for {
		index++
		seg, tail, more := strings.Cut(rest, "/")
		if seg == "" && !(index > 1 && !more) {
			return "", &PathError{Index: index, Reason: reasonEmptySeg}
		}
		dec, reason := decodeSegment(seg, b != nil)
		if reason != "" {
			return "", &PathError{Index: index, Reason: reason}
		}
		if b != nil {
			b.WriteString(dec)
			if more {
				b.WriteByte('/')
			}
		}
		if !more {
			break
		}
		rest = tail
	}
	if b == nil {
		return escaped, nil
	}
	return b.String(), nil
}

// decodeSegment percent-decodes one segment and checks it, returning the
// reason it is refused or "". Without decode, seg must hold no escapes and
// is returned as it is.
func decodeSegment(seg string, decode bool) (string, string) {
	out := seg
	if decode && strings.IndexByte(seg, '%') >= 0 {
		buf := make([]byte, 0, len(seg))
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if c != '%' {
				buf = append(buf, c)
				continue
			}
			if i+2 >= len(seg) || !isHex(seg[i+1]) || !isHex(seg[i+2]) {
				return "", reasonEscape
			}
			c = unhex(seg[i+1])<<4 | unhex(seg[i+2])
			if c == '/' || c == '\\' {
				return "", reasonEncSep
			}
			buf = append(buf, c)
			i += 2
		}
		out = string(buf)
	}
	return out, segmentProblem(out, false)
}

// segmentProblem checks one decoded segment of a request path, or of a rule
// path when glob is set, and returns why it is refused or "".
func segmentProblem(seg string, glob bool) string {
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		switch {
		case safeByte[c]:
		case c == '*' && glob:
		case c == '%' && glob:
			return reasonPercent
		case c == '\\':
			return reasonBackslash
		case c < 0x20 || c == 0x7f:
			return reasonControl
		case c >= 0x80:
			if !utf8.ValidString(seg) {
				return reasonUTF8
			}
			return reasonNonASCII
		default:
			return reasonUnsafe
		}
	}
	if seg == "." || seg == ".." {
		return reasonDots
	}
	if glob && seg != "**" && strings.Contains(seg, "**") {
		return reasonGlob
	}
	return ""
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
