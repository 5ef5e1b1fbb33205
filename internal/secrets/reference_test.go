package secrets

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// referenceCheck is a slow, obviously correct CheckValue built on
// json.Decoder tokens, for the fuzzer to compare against.
func referenceCheck(data []byte) bool {
	if !utf8.Valid(data) || !json.Valid(data) {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return false
	}
	return referenceObject(dec, 1)
}

// referenceObject reads the rest of an object whose '{' was read.
func referenceObject(dec *json.Decoder, depth int) bool {
	if depth > MaxDepth {
		return false
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		key := tok.(string)
		if seen[key] {
			return false
		}
		seen[key] = true
		if !referenceValue(dec, depth) {
			return false
		}
	}
	_, err := dec.Token()
	return err == nil
}

func referenceValue(dec *json.Decoder, depth int) bool {
	tok, err := dec.Token()
	if err != nil {
		return false
	}
	switch tok {
	case json.Delim('{'):
		return referenceObject(dec, depth+1)
	case json.Delim('['):
		if depth+1 > MaxDepth {
			return false
		}
		for dec.More() {
			if !referenceValue(dec, depth+1) {
				return false
			}
		}
		_, err := dec.Token()
		return err == nil
	}
	return true
}
