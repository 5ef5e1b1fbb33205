package mask

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// ErrValuesFile is matched (errors.Is) by every *ValuesFileError.
var ErrValuesFile = errors.New("bad values file")

// ValuesFileError says where a values file is wrong. It never holds a value
// from the file.
type ValuesFileError struct {
	File         string
	Line, Column int    // 1-based; 0 when not known
	Reason       string // "malformed JSON", `duplicate key "db.password"`, ...
}

func (e *ValuesFileError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Reason)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Reason)
}

func (e *ValuesFileError) Is(target error) bool { return target == ErrValuesFile }

// ReadValues reads a values file: one JSON object whose string leaves are
// the values to mask, each named by its path of keys joined by "." (array
// elements by index): {"db": {"password": "..."}} gives "db.password".
// Numbers, booleans and nulls are ignored. A malformed document, a
// duplicate key or a top level that is not an object is a
// *ValuesFileError naming file (used only in messages) and the line.
func ReadValues(r io.Reader, file string) ([]Secret, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	p := &valuesParser{data: data, file: file, dec: json.NewDecoder(bytes.NewReader(data))}
	p.dec.UseNumber()
	tok, err := p.dec.Token()
	if err != nil {
		return nil, p.syntaxErr(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, p.errAt(0, "the top level must be a JSON object of values")
	}
	if err := p.object(""); err != nil {
		return nil, err
	}
	if _, err := p.dec.Token(); err != io.EOF {
		return nil, p.errAt(p.dec.InputOffset(), "text after the top-level object")
	}
	return p.out, nil
}

type valuesParser struct {
	data []byte
	file string
	dec  *json.Decoder
	out  []Secret
}

// object reads the members of an object whose '{' has been read.
func (p *valuesParser) object(path string) error {
	seen := map[string]bool{}
	for p.dec.More() {
		at := p.dec.InputOffset()
		tok, err := p.dec.Token()
		if err != nil {
			return p.syntaxErr(err)
		}
		for at < int64(len(p.data)) && bytes.IndexByte([]byte(" \t\r\n,"), p.data[at]) >= 0 {
			at++ // InputOffset is before the comma and spaces
		}
		key := tok.(string) // the decoder guarantees a string key here
		name := join(path, key)
		if name == "" {
			return p.errAt(at, "empty key: a value needs a name")
		}
		if seen[key] {
			return p.errAt(at, fmt.Sprintf("duplicate key %s", strconv.Quote(name)))
		}
		seen[key] = true
		if err := p.member(name); err != nil {
			return err
		}
	}
	_, err := p.dec.Token() // '}'
	return p.syntaxErr(err)
}

func (p *valuesParser) member(name string) error {
	tok, err := p.dec.Token()
	if err != nil {
		return p.syntaxErr(err)
	}
	switch t := tok.(type) {
	case string:
		p.out = append(p.out, Secret{Name: name, Value: []byte(t)})
	case json.Delim:
		if t == '{' {
			return p.object(name)
		}
		for i := 0; p.dec.More(); i++ { // '['
			if err := p.member(join(name, strconv.Itoa(i))); err != nil {
				return err
			}
		}
		_, err := p.dec.Token() // ']'
		return p.syntaxErr(err)
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// syntaxErr turns a decoder error into a ValuesFileError with a position
// and no text from the file (the decoder's message may quote it).
func (p *valuesParser) syntaxErr(err error) error {
	if err == nil {
		return nil
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return p.errAt(se.Offset, "malformed JSON")
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return p.errAt(int64(len(p.data)), "malformed JSON: unexpected end of file")
	}
	return p.errAt(p.dec.InputOffset(), "malformed JSON")
}

func (p *valuesParser) errAt(off int64, reason string) error {
	off = min(max(off, 0), int64(len(p.data)))
	before := p.data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return &ValuesFileError{File: p.file, Line: line, Column: col, Reason: reason}
}
