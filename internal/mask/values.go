package mask

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// MinLen is the shortest value that is masked. Shorter values are skipped:
// masking "ab" would destroy the log without protecting anything.
const MinLen = 4

// commonWords are values too common to mask and too weak to be secrets.
var commonWords = map[string]bool{
	"true": true, "false": true, "null": true, "none": true, "nil": true,
	"yes": true, "no": true, "on": true, "off": true,
	"password": true, "passwd": true, "secret": true, "changeme": true,
	"admin": true, "root": true, "test": true, "example": true,
	"default": true, "localhost": true, "undefined": true, "empty": true,
	"user": true, "guest": true, "public": true, "private": true, "token": true,
}

// Skip reasons.
const (
	ReasonTooShort   = "shorter than 4 bytes"
	ReasonCommonWord = "a common word"
)

// Skipped names a value that is not masked and why. It never holds the value.
type Skipped struct {
	Name   string // the secret's name, with a JSON path for a leaf
	Reason string // ReasonTooShort or ReasonCommonWord
	// Also names the other secrets and fields that hold the same value.
	Also []string
}

func (s Skipped) warning() string {
	also := ""
	if len(s.Also) > 0 {
		also = " (also the value of " + strings.Join(s.Also, ", ") + ")"
	}
	return fmt.Sprintf("value of %s%s is not masked: it is %s and should not be a secret\n"+
		"hint: if it is not secret, mark the field \"x-ward-sensitive\": false in its type, and ward neither masks it nor warns", s.Name, also, s.Reason)
}

// skips gathers the values not masked, one entry per distinct value.
type skips struct {
	list []Skipped
	seen map[string]int // value -> index in list
}

func (k *skips) add(name string, v []byte, reason string) {
	if i, ok := k.seen[string(v)]; ok {
		if s := &k.list[i]; s.Name != name && !slices.Contains(s.Also, name) {
			s.Also = append(s.Also, name)
		}
		return
	}
	if k.seen == nil {
		k.seen = map[string]int{}
	}
	k.seen[string(v)] = len(k.list)
	k.list = append(k.list, Skipped{Name: name, Reason: reason})
}

// value is one string to mask in its forms, with the name that replaces it.
type value struct {
	name string
	b    []byte
	// encodedOnly leaves out the raw and shell-quoted forms: for a
	// multi-line value, whose lines are masked one by one so that line
	// breaks and public PEM armour stay readable.
	encodedOnly bool
	// public are lines of the value that are not secret (PEM armour): no
	// pattern that lies within one of them is masked.
	public []string
}

// expand turns a secret into the values to mask: each string leaf of a JSON
// value, each line of a multi-line value and the value itself, in that order
// (the first value to claim a pattern names it). Values that are too short or
// too common are added to sk; public ones are left out.
func expand(s Secret, public map[string]bool, sk *skips) (vals []value) {
	add := func(name string, b []byte, report bool) {
		switch {
		case public[string(b)]:
		case len(b) < MinLen:
			if report {
				sk.add(name, b, ReasonTooShort)
			}
		case commonWords[strings.ToLower(string(b))]:
			if report {
				sk.add(name, b, ReasonCommonWord)
			}
		default:
			vals = append(vals, value{name: name, b: b})
		}
	}
	var pem []string
	lines := 0 // lines masked on their own
	if bytes.ContainsAny(s.Value, "\r\n") {
		for line := range bytes.Lines(s.Value) {
			line = bytes.TrimRight(line, "\r\n")
			if bytes.HasPrefix(line, []byte("-----")) {
				pem = append(pem, string(line)) // PEM armour
				continue
			}
			n := len(vals)
			add(s.Name, line, false)
			lines += len(vals) - n
		}
	}
	if v := bytes.TrimSpace(s.Value); len(v) > 0 && (v[0] == '{' || v[0] == '[') {
		var doc any
		dec := json.NewDecoder(bytes.NewReader(v))
		dec.UseNumber()
		if dec.Decode(&doc) == nil {
			walkJSON(s.Name, doc, func(name, leaf string) {
				if !public[leaf] {
					vals = append(vals, expand(Secret{Name: name, Value: []byte(leaf)}, public, sk)...)
				}
			})
		}
	}
	add(s.Name, s.Value, true)
	if lines > 0 && len(vals) > 0 && string(vals[len(vals)-1].b) == string(s.Value) {
		vals[len(vals)-1].encodedOnly = true
		vals[len(vals)-1].public = pem
	}
	return vals
}

// walkJSON calls leaf for every string leaf of doc, named by its path below
// name ("payments/db.password", "list.0").
func walkJSON(name string, doc any, leaf func(name, s string)) {
	switch d := doc.(type) {
	case string:
		leaf(name, d)
	case map[string]any:
		for k, v := range d {
			walkJSON(name+"."+k, v, leaf)
		}
	case []any:
		for i, v := range d {
			walkJSON(fmt.Sprintf("%s.%d", name, i), v, leaf)
		}
	}
}
