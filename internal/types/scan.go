package types

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// scanError is a problem in a schema's JSON text at a byte offset.
type scanError struct {
	offset int64
	msg    string
}

func (e *scanError) Error() string { return e.msg }

// scan walks src as untrusted JSON before anything decodes it: one value,
// no repeated key, at most MaxSchemaDepth deep. It returns the line of every
// member and element, by JSON pointer ("" is the whole document).
func scan(src []byte) (map[string]int, error) {
	s := &scanner{src: src, dec: json.NewDecoder(bytes.NewReader(src)), lines: map[string]int{}}
	s.dec.UseNumber()
	s.lines[""] = 1
	if err := s.value("", 0); err != nil {
		return nil, err
	}
	if _, err := s.dec.Token(); err != io.EOF {
		return nil, &scanError{s.dec.InputOffset(), "not JSON: more data after the schema"}
	}
	return s.lines, nil
}

type scanner struct {
	src   []byte
	dec   *json.Decoder
	lines map[string]int
}

func (s *scanner) value(ptr string, depth int) error {
	tok, err := s.dec.Token()
	if err != nil {
		return s.syntax(err)
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	if depth+1 > MaxSchemaDepth {
		return &scanError{s.dec.InputOffset(), fmt.Sprintf("the schema nests deeper than %d levels", MaxSchemaDepth)}
	}
	switch delim {
	case '{':
		seen := map[string]bool{}
		for s.dec.More() {
			tok, err := s.dec.Token()
			if err != nil {
				return s.syntax(err)
			}
			key, _ := tok.(string)
			if seen[key] {
				return &scanError{s.dec.InputOffset(), fmt.Sprintf("key %.64q appears twice in one object", key)}
			}
			seen[key] = true
			p := ptr + "/" + escapePointer(key)
			s.lines[p] = lineAt(s.src, s.dec.InputOffset())
			if err := s.value(p, depth+1); err != nil {
				return err
			}
		}
	case '[':
		for i := 0; s.dec.More(); i++ {
			p := fmt.Sprintf("%s/%d", ptr, i)
			s.lines[p] = lineAt(s.src, s.dec.InputOffset()+1)
			if err := s.value(p, depth+1); err != nil {
				return err
			}
		}
	}
	if _, err := s.dec.Token(); err != nil {
		return s.syntax(err)
	}
	return nil
}

func (s *scanner) syntax(err error) error {
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return &scanError{int64(len(s.src)), "not JSON: the schema ends too soon (an object or string is not closed)"}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &scanError{se.Offset, "not JSON: " + se.Error()}
	}
	return &scanError{s.dec.InputOffset(), "not JSON"}
}

// lineAt is the 1-based line of byte offset off in src.
func lineAt(src []byte, off int64) int {
	if off > int64(len(src)) {
		off = int64(len(src))
	}
	if off < 0 {
		off = 0
	}
	return 1 + bytes.Count(src[:off], []byte{'\n'})
}
