// Package jsonstrict checks JSON that may be hostile before anything decodes
// it: exactly one value, no object that repeats a key, a bounded depth, and
// nothing after the value. Its errors name the problem and a byte offset,
// never the content, because the input may carry a secret.
//
//	if err := jsonstrict.Check(body, jsonstrict.DefaultMaxDepth); err != nil { ... }
//	err := jsonstrict.Decode(body, &v)   // Check, then decode with exact numbers
//
// Where encoding/json would pick one reading of an ambiguous body silently,
// Check refuses the body instead, so that what ward stores, what it applies
// and what its audit log records are the same thing:
//
//   - two keys of one object that are equal, or equal but for case
//     ("data" and "Data"): encoding/json matches struct fields without regard
//     to case and lets the last one win;
//   - a key holding a control character (NUL, newline, ...): keys are names;
//   - a string holding invalid UTF-8 or a lone UTF-16 surrogate ("\ud800"):
//     encoding/json replaces either with U+FFFD without a word.
package jsonstrict

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxDepth is how deeply objects and arrays may nest by default.
const DefaultMaxDepth = 32

// ErrEmpty is returned by Check for input with no JSON value at all.
var ErrEmpty = errors.New("request body is empty")

// Check reports whether body is exactly one JSON value, with no object that
// repeats a key (even in another case) or has a key with a control
// character, no string with invalid UTF-8 or a lone surrogate, nesting no
// deeper than maxDepth, and nothing after the value but whitespace.
func Check(body []byte, maxDepth int) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return ErrEmpty
	}
	if err := checkStrings(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := checkValue(dec, 0, maxDepth); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("invalid JSON: unexpected data after the value at offset %d", dec.InputOffset())
	}
	return nil
}

func checkValue(dec *json.Decoder, depth, maxDepth int) error {
	tok, err := dec.Token()
	if err != nil {
		return jsonSyntaxError(dec, err)
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	if depth+1 > maxDepth {
		return fmt.Errorf("invalid JSON: nested deeper than %d levels", maxDepth)
	}
	switch delim {
	case '{':
		seen := make(map[string]string) // folded key → key
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return jsonSyntaxError(dec, err)
			}
			key, _ := tok.(string)
			if err := checkKey(key, dec.InputOffset()); err != nil {
				return err
			}
			folded := foldKey(key)
			if first, dup := seen[folded]; dup {
				if first == key {
					return fmt.Errorf("invalid JSON: duplicate key %q at offset %d", truncateKey(key), dec.InputOffset())
				}
				return fmt.Errorf("invalid JSON: keys %q and %q differ only in case, at offset %d; hint: keep one of them, since ward matches names without regard to case",
					truncateKey(first), truncateKey(key), dec.InputOffset())
			}
			seen[folded] = key
			if err := checkValue(dec, depth+1, maxDepth); err != nil {
				return err
			}
		}
	case '[':
		for dec.More() {
			if err := checkValue(dec, depth+1, maxDepth); err != nil {
				return err
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing delimiter
		return jsonSyntaxError(dec, err)
	}
	return nil
}

// truncateKey shortens an object key quoted in an error. Keys are names, not
// values, but a hostile body could put anything there.
func truncateKey(k string) string {
	const max = 64
	if len(k) > max {
		return k[:max] + "..."
	}
	return k
}

func jsonSyntaxError(dec *json.Decoder, err error) error {
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("invalid JSON: unexpected end of body")
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON: syntax error at offset %d", se.Offset)
	}
	return fmt.Errorf("invalid JSON at offset %d", dec.InputOffset())
}

// Decode checks body with Check at DefaultMaxDepth and decodes it into v,
// keeping numbers exact (json.Number) where v holds interface values.
func Decode(body []byte, v any) error {
	if err := Check(body, DefaultMaxDepth); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("invalid request: field %q must be %s, not %s", te.Field, te.Type, te.Value)
		}
		return fmt.Errorf("invalid request body")
	}
	return nil
}
