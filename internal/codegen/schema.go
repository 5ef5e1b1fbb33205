package codegen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/wardhq/ward/internal/pattern"
)

// Schema is the part of a JSON Schema a loader mirrors, checked and
// normalised. Keywords for strings apply only to strings, those for numbers
// only to numbers, as in JSON Schema.
type Schema struct {
	Types []string // allowed JSON types; nil allows any

	MinLength, MaxLength int // -1 when absent
	Pattern              string
	DFA                  *pattern.DFA
	Format               string

	Enum  []string // allowed values, all strings; nil when absent
	Const *string

	// Bounds are decimal strings as the schema writes them, "" when absent.
	Minimum, Maximum, ExclusiveMinimum, ExclusiveMaximum string

	Props     []Prop // in the schema's order
	Required  []string
	NoExtra   bool // additionalProperties: false
	If        *Schema
	Then      *Schema
	Else      *Schema
	TLSPair   *[2]string // certificate field, private key field
	Sensitive bool       // false only when "x-ward-sensitive": false
}

// Prop is one property of an object schema.
type Prop struct {
	Name   string
	Schema *Schema
}

// Prop returns the named property's schema, or nil.
func (s *Schema) Prop(name string) *Schema {
	for _, p := range s.Props {
		if p.Name == name {
			return p.Schema
		}
	}
	return nil
}

// UnsupportedError is a type a loader cannot mirror, and why.
type UnsupportedError struct {
	Type    string
	Pointer string // where in the schema, "" for the whole
	Keyword string
	Reason  string
}

func (e *UnsupportedError) Error() string {
	at := ""
	if e.Pointer != "" {
		at = " at " + e.Pointer
	}
	return fmt.Sprintf("type %s%s: keyword %q: %s", e.Type, at, e.Keyword, e.Reason)
}

// annotations carry no rule; a loader ignores them as the server does.
var annotations = map[string]bool{
	"$schema": true, "$id": true, "$comment": true, "title": true, "description": true,
	"examples": true, "default": true, "deprecated": true, "readOnly": true, "writeOnly": true,
	"x-ward-sensitive": true, "x-ward-generate": true, // rotation reads it, a loader need not
}

// Formats a loader can check. Go loaders call Go's parsers, as the server
// does; Rust loaders carry std-only ports of them (runtime/formats.rs.txt).
var goFormats = map[string]bool{
	"uri": true, "ward-pem-certificate-chain": true, "ward-pem-private-key": true,
	"ward-ssh-private-key": true, "ward-url-with-credentials": true,
}

// ParseSchema reads a type's JSON Schema into a Schema, refusing every
// keyword a loader cannot mirror.
func ParseSchema(typeName string, src []byte) (*Schema, error) {
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, &UnsupportedError{Type: typeName, Keyword: "", Reason: "not a JSON object: " + err.Error()}
	}
	p := parser{typ: typeName}
	return p.schema(doc, "", true)
}

type parser struct{ typ string }

func (p *parser) refuse(ptr, kw, format string, args ...any) error {
	return &UnsupportedError{Type: p.typ, Pointer: ptr, Keyword: kw, Reason: fmt.Sprintf(format, args...)}
}

func (p *parser) schema(v any, ptr string, top bool) (*Schema, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, p.refuse(ptr, "", "a schema here must be an object (boolean schemas are not supported)")
	}
	s := &Schema{MinLength: -1, MaxLength: -1, Sensitive: true}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		val := obj[k]
		kp := ptr + "/" + k
		var err error
		switch k {
		case "type":
			s.Types, err = p.types(val, kp)
		case "minLength", "maxLength":
			var n int
			if n, err = p.count(val, kp, k); k == "minLength" {
				s.MinLength = n
			} else {
				s.MaxLength = n
			}
		case "pattern":
			str, ok := val.(string)
			if !ok {
				return nil, p.refuse(kp, k, "must be a string")
			}
			s.Pattern = str
			if s.DFA, err = pattern.Compile(str); err != nil {
				return nil, p.refuse(kp, k, "%v", err)
			}
		case "format":
			str, _ := val.(string)
			if !goFormats[str] {
				return nil, p.refuse(kp, k, "format %q is not one a loader checks (it checks uri and ward's formats)", str)
			}
			s.Format = str
		case "enum":
			arr, _ := val.([]any)
			if len(arr) == 0 {
				return nil, p.refuse(kp, k, "must be a non-empty array")
			}
			for _, e := range arr {
				str, ok := e.(string)
				if !ok {
					return nil, p.refuse(kp, k, "only enums of strings are supported")
				}
				s.Enum = append(s.Enum, str)
			}
		case "const":
			str, ok := val.(string)
			if !ok {
				return nil, p.refuse(kp, k, "only a string const is supported")
			}
			s.Const = &str
		case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum":
			n, ok := val.(json.Number)
			if !ok {
				return nil, p.refuse(kp, k, "must be a number")
			}
			if _, ok := new(big.Rat).SetString(n.String()); !ok || len(n) > 64 {
				return nil, p.refuse(kp, k, "must be a number of at most 64 characters")
			}
			switch k {
			case "minimum":
				s.Minimum = n.String()
			case "maximum":
				s.Maximum = n.String()
			case "exclusiveMinimum":
				s.ExclusiveMinimum = n.String()
			default:
				s.ExclusiveMaximum = n.String()
			}
		case "properties":
			props, ok := val.(map[string]any)
			if !ok {
				return nil, p.refuse(kp, k, "must be an object")
			}
			names := make([]string, 0, len(props))
			for n := range props {
				names = append(names, n)
			}
			slices.Sort(names)
			for _, n := range names {
				sub, err := p.schema(props[n], kp+"/"+n, false)
				if err != nil {
					return nil, err
				}
				s.Props = append(s.Props, Prop{n, sub})
			}
		case "required":
			arr, _ := val.([]any)
			for _, e := range arr {
				str, ok := e.(string)
				if !ok {
					return nil, p.refuse(kp, k, "must list strings")
				}
				s.Required = append(s.Required, str)
			}
		case "additionalProperties":
			b, ok := val.(bool)
			if !ok {
				return nil, p.refuse(kp, k, "only true or false is supported, not a schema")
			}
			s.NoExtra = !b
		case "if", "then", "else":
			var sub *Schema
			if sub, err = p.schema(val, kp, false); err == nil {
				switch k {
				case "if":
					s.If = sub
				case "then":
					s.Then = sub
				default:
					s.Else = sub
				}
			}
		case "x-ward-sensitive":
			b, _ := val.(bool)
			s.Sensitive = b
		case "x-ward-tls-pair":
			m, _ := val.(map[string]any)
			cert, _ := m["certificate"].(string)
			key, _ := m["private_key"].(string)
			if cert == "" || key == "" {
				return nil, p.refuse(kp, k, `must be {"certificate": FIELD, "private_key": FIELD}`)
			}
			s.TLSPair = &[2]string{cert, key}
		default:
			if !annotations[k] {
				return nil, p.refuse(kp, k, "ward codegen cannot mirror this keyword in a loader; it refuses rather than generate a weaker check")
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if s.If == nil && (s.Then != nil || s.Else != nil) {
		s.Then, s.Else = nil, nil // JSON Schema ignores then and else without if
	}
	if top && !slices.Equal(s.Types, []string{"object"}) {
		return nil, p.refuse(ptr+"/type", "type", `a secret's schema must say "type": "object"`)
	}
	return s, nil
}

var jsonTypes = []string{"array", "boolean", "integer", "null", "number", "object", "string"}

func (p *parser) types(v any, ptr string) ([]string, error) {
	var out []string
	switch v := v.(type) {
	case string:
		out = []string{v}
	case []any:
		for _, e := range v {
			str, _ := e.(string)
			out = append(out, str)
		}
	}
	if len(out) == 0 {
		return nil, p.refuse(ptr, "type", "must be a type name or a list of them")
	}
	for _, t := range out {
		if !slices.Contains(jsonTypes, t) {
			return nil, p.refuse(ptr, "type", "unknown type %q", t)
		}
	}
	return out, nil
}

func (p *parser) count(v any, ptr, kw string) (int, error) {
	n, ok := v.(json.Number)
	i, err := n.Int64()
	if !ok || err != nil || i < 0 || i > 1<<30 {
		return 0, p.refuse(ptr, kw, "must be a non-negative integer")
	}
	return int(i), nil
}

// Kind is the native kind of a value checked by s: "string", "integer",
// "number" or "boolean", or "" when it has none (several types, or none and
// no string enum).
func (s *Schema) Kind() string {
	if len(s.Types) == 1 {
		switch t := s.Types[0]; t {
		case "string", "integer", "number", "boolean":
			return t
		}
		return ""
	}
	if s.Types == nil && (s.Enum != nil || s.Const != nil) {
		return "string"
	}
	return ""
}

// describe is a schema's kind and rules in a few words, for comments.
func (s *Schema) describe() string {
	if k := s.Kind(); k != "" {
		return strings.TrimSuffix(k+"; "+s.Rules(), "; ")
	}
	return s.Rules()
}

// Rules is a schema's rules in a few words, for comments and docs.
func (s *Schema) Rules() string {
	var parts []string
	if s.MinLength >= 0 || s.MaxLength >= 0 {
		parts = append(parts, fmt.Sprintf("length %s..%s", intOr(s.MinLength), intOr(s.MaxLength)))
	}
	if s.Minimum != "" || s.Maximum != "" {
		parts = append(parts, fmt.Sprintf("%s..%s", orBlank(s.Minimum), orBlank(s.Maximum)))
	}
	if s.Pattern != "" {
		parts = append(parts, "pattern "+s.Pattern)
	}
	if s.Format != "" {
		parts = append(parts, "format "+s.Format)
	}
	if s.Enum != nil {
		parts = append(parts, "one of "+strings.Join(s.Enum, ", "))
	}
	return strings.Join(parts, "; ")
}

func intOr(n int) string {
	if n < 0 {
		return ""
	}
	return fmt.Sprint(n)
}

func orBlank(s string) string { return s }
