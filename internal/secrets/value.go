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
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		object  bool
		wantKey bool
		keys    map[string]struct{}
	}
	var stack []frame
	first := true
	for {
		offset := dec.InputOffset()
		tok, err := dec.Token()
		if err == io.EOF {
			if len(stack) > 0 || first {
				return invalidValue("unexpected end of JSON")
			}
			return nil
		}
		if err != nil {
			var se *json.SyntaxError
			if errors.As(err, &se) {
				return invalidValue("invalid JSON at byte offset %d", se.Offset)
			}
			return invalidValue("invalid JSON after byte offset %d", offset)
		}
		if first {
			if d, ok := tok.(json.Delim); !ok || d != '{' {
				return invalidValue("the value must be a JSON object, like {\"key\": \"value\"}")
			}
		} else if len(stack) == 0 {
			return invalidValue("trailing data after the JSON object at byte offset %d", offset)
		}
		first = false
		if n := len(stack); n > 0 && stack[n-1].object {
			top := &stack[n-1]
			if top.wantKey {
				if k, ok := tok.(string); ok {
					if _, dup := top.keys[k]; dup {
						return invalidValue("duplicate key in an object at byte offset %d", offset)
					}
					top.keys[k] = struct{}{}
					top.wantKey = false
					continue
				}
			} else {
				top.wantKey = true
			}
		}
		switch tok {
		case json.Delim('{'):
			if len(stack) >= MaxDepth {
				return invalidValue("nested deeper than %d levels at byte offset %d", MaxDepth, offset)
			}
			stack = append(stack, frame{object: true, wantKey: true, keys: map[string]struct{}{}})
		case json.Delim('['):
			if len(stack) >= MaxDepth {
				return invalidValue("nested deeper than %d levels at byte offset %d", MaxDepth, offset)
			}
			stack = append(stack, frame{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
	}
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
