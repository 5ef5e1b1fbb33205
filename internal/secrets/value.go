package secrets

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"unicode/utf8"
)

// MaxDepth is how deeply arrays and objects may nest in a value.
const MaxDepth = 64

// CheckValue reports whether data is an acceptable secret value: valid
// UTF-8 JSON whose top level is an object, without duplicate keys, trailing
// data or nesting deeper than MaxDepth, and at most maxSize bytes (0: no
// limit). Errors wrap ErrInvalidValue or ErrTooLarge and never quote data.
func CheckValue(data []byte, maxSize int) error {
	if maxSize > 0 && len(data) > maxSize {
		return tooLarge(len(data), maxSize)
	}
	if !utf8.Valid(data) {
		return invalidValue("not valid UTF-8")
	}
	if !json.Valid(data) {
		return syntaxError(data)
	}
	return checkStructure(data)
}

// syntaxError explains why json.Valid refused data, by byte offset.
func syntaxError(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	var v json.RawMessage
	err := dec.Decode(&v)
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return invalidValue("invalid JSON at byte offset %d", se.Offset)
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		return invalidValue("unexpected end of JSON")
	case err != nil:
		return invalidValue("invalid JSON")
	}
	return invalidValue("trailing data after the JSON value at byte offset %d", dec.InputOffset())
}

// checkStructure checks a document json.Valid accepted for what a value
// may not have: a top level other than an object, duplicate keys, too deep
// nesting.
func checkStructure(data []byte) error {
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return invalidValue("the value must be a JSON object, like {\"key\": \"value\"}")
	}
	type frame struct {
		object  bool
		wantKey bool
		keySet
	}
	var buf [16]frame
	stack := buf[:0]
	for i := 0; i < len(data); {
		switch c := data[i]; c {
		case '{', '[':
			if len(stack) >= MaxDepth {
				return invalidValue("nested deeper than %d levels at byte offset %d", MaxDepth, i)
			}
			stack = append(stack, frame{object: c == '{', wantKey: c == '{'})
			i++
		case '}', ']':
			stack = stack[:len(stack)-1]
			i++
		case ',':
			if top := &stack[len(stack)-1]; top.object {
				top.wantKey = true
			}
			i++
		case '"':
			end, escaped := stringEnd(data, i)
			if top := &stack[len(stack)-1]; top.wantKey {
				top.wantKey = false
				key := string(data[i+1 : end-1])
				if escaped {
					if err := json.Unmarshal(data[i:end], &key); err != nil {
						return invalidValue("invalid JSON string at byte offset %d", i)
					}
				}
				if top.hasKey(key) {
					return invalidValue("duplicate key in an object at byte offset %d", i)
				}
			}
			i = end
		default:
			i++
		}
	}
	return nil
}

// keySet holds the keys of one object: a slice while there are few.
type keySet struct {
	keys  []string
	index map[string]struct{}
}

// stringEnd returns the index just past the string literal starting at the
// quote at data[i], and whether it holds an escape.
func stringEnd(data []byte, i int) (end int, escaped bool) {
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			return j + 1, escaped
		}
	}
	return len(data), escaped
}

func tooLarge(n, max int) error {
	return &sizeError{n: n, max: max}
}

type sizeError struct{ n, max int }

func (e *sizeError) Error() string {
	return "secrets: value too large: " + itoa(e.n) + " bytes, at most " + itoa(e.max) + " are allowed; split the secret or store a reference to the data"
}

func (e *sizeError) Unwrap() error { return ErrTooLarge }

// canonicalValue checks data and returns it compacted: insignificant
// whitespace removed, everything else (numbers, strings, key order) as given.
func canonicalValue(data []byte, maxSize int) ([]byte, error) {
	if err := CheckValue(data, maxSize); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Grow(len(data))
	if err := json.Compact(&buf, data); err != nil {
		return nil, invalidValue("invalid JSON")
	}
	return buf.Bytes(), nil
}

// hasKey reports whether the object already has key, and records it.
func (f *keySet) hasKey(key string) bool {
	if f.index != nil {
		if _, ok := f.index[key]; ok {
			return true
		}
		f.index[key] = struct{}{}
		return false
	}
	for _, k := range f.keys {
		if k == key {
			return true
		}
	}
	f.keys = append(f.keys, key)
	if len(f.keys) > 16 {
		f.index = make(map[string]struct{}, 2*len(f.keys))
		for _, k := range f.keys {
			f.index[k] = struct{}{}
		}
		f.keys = nil
	}
	return false
}
