package types

import (
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// errDecode is returned by decodeJSON for input it does not take; the
// caller falls back to encoding/json, whose errors are better.
var errDecode = errors.New("types: not decodable")

// maxDecodeDepth bounds decodeJSON's recursion.
const maxDecodeDepth = 128

// decodeJSON decodes one JSON value as encoding/json does with UseNumber:
// objects to map[string]any, arrays to []any, numbers to json.Number. It is
// a fast path for the secret values every typed write validates (which the
// KV engine has already checked); anything unusual (invalid UTF-8, a
// malformed token, trailing data, deep nesting) is errDecode.
func decodeJSON(b []byte) (any, error) {
	d := decoder{b: b}
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	d.space()
	if d.i != len(d.b) {
		return nil, errDecode
	}
	return v, nil
}

type decoder struct {
	b []byte
	i int
}

func (d *decoder) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\r', '\n':
			d.i++
		default:
			return
		}
	}
}

func (d *decoder) value(depth int) (any, error) {
	d.space()
	if d.i >= len(d.b) {
		return nil, errDecode
	}
	switch c := d.b[d.i]; {
	case c == '{':
		if depth >= maxDecodeDepth {
			return nil, errDecode
		}
		return d.object(depth + 1)
	case c == '[':
		if depth >= maxDecodeDepth {
			return nil, errDecode
		}
		return d.array(depth + 1)
	case c == '"':
		return d.str()
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	case c == 't':
		return d.literal("true", true)
	case c == 'f':
		return d.literal("false", false)
	case c == 'n':
		return d.literal("null", nil)
	}
	return nil, errDecode
}

func (d *decoder) literal(word string, v any) (any, error) {
	if len(d.b)-d.i < len(word) || string(d.b[d.i:d.i+len(word)]) != word {
		return nil, errDecode
	}
	d.i += len(word)
	return v, nil
}

func (d *decoder) object(depth int) (any, error) {
	d.i++ // {
	m := map[string]any{}
	d.space()
	if d.i < len(d.b) && d.b[d.i] == '}' {
		d.i++
		return m, nil
	}
	for {
		d.space()
		if d.i >= len(d.b) || d.b[d.i] != '"' {
			return nil, errDecode
		}
		k, err := d.str()
		if err != nil {
			return nil, err
		}
		d.space()
		if d.i >= len(d.b) || d.b[d.i] != ':' {
			return nil, errDecode
		}
		d.i++
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		m[k] = v // a repeated key: the last wins, as in encoding/json
		d.space()
		if d.i >= len(d.b) {
			return nil, errDecode
		}
		switch d.b[d.i] {
		case ',':
			d.i++
		case '}':
			d.i++
			return m, nil
		default:
			return nil, errDecode
		}
	}
}

func (d *decoder) array(depth int) (any, error) {
	d.i++ // [
	a := []any{}
	d.space()
	if d.i < len(d.b) && d.b[d.i] == ']' {
		d.i++
		return a, nil
	}
	for {
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		a = append(a, v)
		d.space()
		if d.i >= len(d.b) {
			return nil, errDecode
		}
		switch d.b[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			return a, nil
		default:
			return nil, errDecode
		}
	}
}

// str decodes a string; one with escapes goes through encoding/json.
func (d *decoder) str() (string, error) {
	start := d.i
	d.i++ // "
	escaped := false
	for d.i < len(d.b) {
		switch c := d.b[d.i]; {
		case c == '"':
			d.i++
			tok := d.b[start:d.i]
			if escaped {
				var s string
				if err := json.Unmarshal(tok, &s); err != nil {
					return "", errDecode
				}
				return s, nil
			}
			body := tok[1 : len(tok)-1]
			if !utf8.Valid(body) {
				return "", errDecode // encoding/json would replace; let it
			}
			return string(body), nil
		case c == '\\':
			escaped = true
			d.i += 2
		case c < 0x20:
			return "", errDecode
		default:
			d.i++
		}
	}
	return "", errDecode
}

// number takes a JSON number token as json.Number, checking its grammar.
func (d *decoder) number() (any, error) {
	start := d.i
	if d.b[d.i] == '-' {
		d.i++
	}
	digits := func() int {
		n := 0
		for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
			d.i++
			n++
		}
		return n
	}
	if d.i < len(d.b) && d.b[d.i] == '0' {
		d.i++
	} else if digits() == 0 {
		return nil, errDecode
	}
	if d.i < len(d.b) && d.b[d.i] == '.' {
		d.i++
		if digits() == 0 {
			return nil, errDecode
		}
	}
	if d.i < len(d.b) && (d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		d.i++
		if d.i < len(d.b) && (d.b[d.i] == '+' || d.b[d.i] == '-') {
			d.i++
		}
		if digits() == 0 {
			return nil, errDecode
		}
	}
	return json.Number(d.b[start:d.i]), nil
}
