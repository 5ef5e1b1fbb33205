package audit

import (
	"slices"
	"unicode/utf8"
)

// The log's JSON is written by hand rather than with encoding/json, which
// took most of Write's time. Output is compact, members in a fixed order and
// map keys sorted, so the same entry always gives the same line.

// appendString appends s as a JSON string. Invalid UTF-8 bytes become
// U+FFFD, as with encoding/json; unlike it, <, > and & are not escaped.
func appendString(buf []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			// Valid JSON, but not valid JavaScript: escaped as encoding/json does.
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

// appendMember appends `,"name":` and the string v, unless v is empty.
func appendMember(buf []byte, name, v string) []byte {
	if v == "" {
		return buf
	}
	buf = append(buf, ',', '"')
	buf = append(buf, name...)
	buf = append(buf, '"', ':')
	return appendString(buf, v)
}

func appendStrings(buf []byte, ss []string) []byte { return appendArray(buf, ss, appendString) }

func appendStringMap(buf []byte, m map[string]string) []byte {
	return appendObject(buf, m, appendString)
}

// appendObject appends m as a JSON object with its keys sorted, each value
// written by value.
func appendObject[V any](buf []byte, m map[string]V, value func([]byte, V) []byte) []byte {
	var room [16]string // most objects are small: no allocation for their keys
	keys := room[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	buf = append(buf, '{')
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendString(buf, k)
		buf = append(buf, ':')
		buf = value(buf, m[k])
	}
	return append(buf, '}')
}

// appendArray appends s as a JSON array, each element written by value.
func appendArray[V any](buf []byte, s []V, value func([]byte, V) []byte) []byte {
	buf = append(buf, '[')
	for i, x := range s {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = value(buf, x)
	}
	return append(buf, ']')
}
