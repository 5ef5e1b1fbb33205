package jsonstrict

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// checkStrings scans every string literal of body, keys and values, for
// bytes that are not UTF-8 and for \u escapes of UTF-16 surrogates that do
// not form a pair. encoding/json turns both into U+FFFD without an error;
// Check refuses them. The scan is byte by byte and only looks inside string
// literals; the syntax around them is checked by the decoder.
func checkStrings(body []byte) error {
	for i := 0; i < len(body); i++ {
		if body[i] != '"' {
			continue
		}
		end, err := checkString(body, i+1)
		if err != nil {
			return err
		}
		i = end
	}
	return nil
}

// checkString checks the string literal whose content starts at body[i] and
// returns the offset of its closing quote (or len(body) if it has none: the
// decoder reports that).
func checkString(body []byte, i int) (int, error) {
	for i < len(body) {
		c := body[i]
		switch {
		case c == '"':
			return i, nil
		case c == '\\':
			if i+1 < len(body) && body[i+1] == 'u' {
				n, err := checkEscape(body, i)
				if err != nil {
					return 0, err
				}
				i += n
				continue
			}
			i += 2
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(body[i:])
			if r == utf8.RuneError && size <= 1 {
				return 0, fmt.Errorf("invalid JSON: a string holds bytes that are not UTF-8 at offset %d; hint: send text as UTF-8, or binary data base64-encoded", i)
			}
			i += size
		}
	}
	return i, nil
}

// checkEscape checks the \uXXXX escape at body[i] and, for a high
// surrogate, the low one that must follow. It returns the bytes consumed.
func checkEscape(body []byte, i int) (int, error) {
	r, ok := hex4(body, i+2)
	if !ok {
		return 2, nil // malformed: the decoder says where
	}
	switch {
	case r >= 0xdc00 && r <= 0xdfff:
		return 0, loneSurrogate(i)
	case r >= 0xd800 && r <= 0xdbff:
		if i+11 < len(body) && body[i+6] == '\\' && body[i+7] == 'u' {
			if lo, ok := hex4(body, i+8); ok && lo >= 0xdc00 && lo <= 0xdfff {
				return 12, nil
			}
		}
		return 0, loneSurrogate(i)
	}
	return 6, nil
}

func loneSurrogate(offset int) error {
	return fmt.Errorf("invalid JSON: a string holds a lone UTF-16 surrogate (\\ud800-\\udfff without its pair) at offset %d; hint: escape characters beyond U+FFFF as a surrogate pair, or send them as UTF-8", offset)
}

// hex4 decodes the four hex digits at body[i:i+4].
func hex4(body []byte, i int) (rune, bool) {
	if i+4 > len(body) {
		return 0, false
	}
	var r rune
	for _, c := range body[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// checkKey refuses an object key holding a control character. The key is
// not quoted in the error: it is not a name, so it may be anything.
func checkKey(key string, offset int64) error {
	for i := 0; i < len(key); i++ {
		if c := key[i]; c < 0x20 || c == 0x7f {
			return fmt.Errorf("invalid JSON: an object key holds a control character (byte 0x%02x) before offset %d; hint: keys are names, use printable characters", c, offset)
		}
	}
	return nil
}

// foldKey maps every key to one representative of the keys equal to it
// without regard to case (strings.EqualFold's simple folding, which is how
// encoding/json matches struct fields): each rune becomes the smallest rune
// of its folding orbit.
func foldKey(key string) string {
	ascii := true
	for i := 0; i < len(key); i++ {
		if key[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToUpper(key) // the least of an ASCII letter's orbit is its upper case
	}
	var b strings.Builder
	for _, r := range key {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b.WriteRune(least)
	}
	return b.String()
}
