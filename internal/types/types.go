// Package types is ward's registry language for the shape of a secret: a
// type is a JSON Schema (draft 2020-12) that every version of a secret of
// that type must satisfy. Most callers need two calls:
//
//	t, err := types.Compile("postgres", src)         // a schema, checked and compiled
//	err = t.Validate("prod", "payments/db", data)     // *ValidationError naming env, path, field and rule
//
// A validation error never carries a value: its messages are built from the
// schema (rules, limits, patterns, enums) and the field names alone, so they
// may go into HTTP responses, logs and audit entries.
//
// Schemas are untrusted input: Compile refuses one larger than MaxSchemaBytes
// or nested deeper than MaxSchemaDepth, never loads a "$ref" from outside the
// schema itself, and names the line of what it refuses.
//
// ward adds two keywords: "x-ward-sensitive": false on a property marks a
// field that may be given as a literal on the command line (every field is
// sensitive by default), and "x-ward-tls-pair" on an object names the
// certificate and private key fields that must belong together. It also adds
// formats for PEM certificate chains, PEM private keys, SSH private keys and
// URLs that carry credentials (see formats.go). Builtins returns the schemas
// ward ships.
package types

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/wardhq/ward/internal/lazyre"
)

// Limits on a schema's source.
const (
	MaxSchemaBytes = 64 << 10 // 64 KiB
	MaxSchemaDepth = 32       // objects and arrays nested in each other
)

// ErrBadName is wrapped by the error for a name that cannot be a type.
var ErrBadName = errors.New("invalid type name")

var nameRE = lazyre.New(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// ValidName checks a type name: lowercase letters, digits, '-' and '_',
// starting with a letter or digit, 1 to 64 characters.
func ValidName(name string) error {
	if nameRE().MatchString(name) {
		return nil
	}
	if name == "" {
		return fmt.Errorf("%w: the name is empty", ErrBadName)
	}
	return fmt.Errorf("%w %.70q: use lowercase letters, digits, '-' and '_', starting with a letter or digit, at most 64 characters", ErrBadName, name)
}

// Type is a compiled schema. It is immutable and safe for concurrent use.
type Type struct {
	name   string
	src    []byte
	url    string
	doc    map[string]any // the decoded schema, for messages and x-ward-sensitive
	schema *jsonschema.Schema
}

// Name returns the type's name.
func (t *Type) Name() string { return t.name }

// Source returns the schema as it was given. The caller must not modify it.
func (t *Type) Source() []byte { return t.src }

// Sensitive reports whether field is sensitive: true unless the schema's
// property for it says "x-ward-sensitive": false.
func (t *Type) Sensitive(field string) bool {
	props, _ := t.doc["properties"].(map[string]any)
	p, _ := props[field].(map[string]any)
	if v, ok := p["x-ward-sensitive"].(bool); ok {
		return v
	}
	return true
}

// Fields lists the top-level properties the schema declares, in no order.
func (t *Type) Fields() []string {
	props, _ := t.doc["properties"].(map[string]any)
	out := make([]string, 0, len(props))
	for k := range props {
		out = append(out, k)
	}
	return out
}

// CompileError says why a schema was refused. Line is 1-based, 0 when the
// problem has no one place.
type CompileError struct {
	Type    string
	Line    int
	Pointer string // JSON pointer into the schema, "" when unknown
	Reason  string
}

func (e *CompileError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "type %q", e.Type)
	if e.Line > 0 {
		fmt.Fprintf(&b, ", line %d", e.Line)
	}
	if e.Pointer != "" {
		fmt.Fprintf(&b, " (at %s)", e.Pointer)
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}

// Compile checks src and compiles it as the schema of type name. The
// schema must be one JSON object, at most MaxSchemaBytes long and
// MaxSchemaDepth deep, in draft 2020-12 (a "$schema" naming another draft is
// refused), describe a JSON object, and reference nothing outside itself.
// Errors are *CompileError (or wrap ErrBadName).
func Compile(name string, src []byte) (*Type, error) {
	if err := ValidName(name); err != nil {
		return nil, err
	}
	bad := func(line int, ptr, format string, args ...any) error {
		return &CompileError{Type: name, Line: line, Pointer: ptr, Reason: fmt.Sprintf(format, args...)}
	}
	if len(src) > MaxSchemaBytes {
		return nil, bad(0, "", "the schema is %d bytes; the limit is %d", len(src), MaxSchemaBytes)
	}
	if len(bytes.TrimSpace(src)) == 0 {
		return nil, bad(0, "", "the schema is empty; give a JSON object like {\"type\": \"object\", \"properties\": {...}}")
	}
	lines, err := scan(src)
	if err != nil {
		var se *scanError
		if errors.As(err, &se) {
			return nil, bad(lineAt(src, se.offset), "", "%s", se.msg)
		}
		return nil, bad(0, "", "%v", err)
	}
	var doc any
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, bad(0, "", "not JSON: %v", err)
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, bad(1, "", "a schema is a JSON object, like {\"type\": \"object\", \"properties\": {...}}")
	}
	if s, ok := obj["$schema"]; ok {
		if s != draft2020 && s != draft2020+"#" {
			return nil, bad(lines["/$schema"], "/$schema", "ward reads JSON Schema draft 2020-12; set \"$schema\" to %q or leave it out", draft2020)
		}
	}
	if t, ok := obj["type"]; ok && t != "object" {
		return nil, bad(lines["/type"], "/type", "a secret is a JSON object, so its schema's \"type\" must be \"object\"")
	}
	if err := checkWardKeywords(obj, "", lines, bad); err != nil {
		return nil, err
	}
	url := "https://types.ward.invalid/" + name + ".schema.json"
	c := newCompiler()
	if err := c.AddResource(url, doc); err != nil {
		return nil, bad(0, "", "%v", err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		return nil, compileError(name, url, err, lines)
	}
	return &Type{name: name, src: bytes.Clone(src), url: url, doc: obj, schema: sch}, nil
}

const draft2020 = "https://json-schema.org/draft/2020-12/schema"

func newCompiler() *jsonschema.Compiler {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(noLoader{})
	c.AssertFormat()
	c.AssertVocabs()
	for _, f := range wardFormats {
		c.RegisterFormat(f)
	}
	c.RegisterVocabulary(tlsPairVocab)
	return c
}

// noLoader refuses every URL: a schema references only itself (and the
// metaschemas, which the library carries).
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, errors.New("ward types reference only themselves; inline the schema or use \"$defs\" and \"#/$defs/NAME\"")
}

// checkWardKeywords checks that every "x-ward-sensitive" is a boolean.
func checkWardKeywords(v any, ptr string, lines map[string]int, bad func(int, string, string, ...any) error) error {
	switch v := v.(type) {
	case map[string]any:
		for k, c := range v {
			p := ptr + "/" + escapePointer(k)
			if k == "x-ward-sensitive" {
				if _, ok := c.(bool); !ok {
					return bad(lines[p], p, "\"x-ward-sensitive\" must be true or false")
				}
			}
			if err := checkWardKeywords(c, p, lines, bad); err != nil {
				return err
			}
		}
	case []any:
		for i, c := range v {
			if err := checkWardKeywords(c, fmt.Sprintf("%s/%d", ptr, i), lines, bad); err != nil {
				return err
			}
		}
	}
	return nil
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// compileError turns the library's error into a *CompileError with a line.
func compileError(name, url string, err error, lines map[string]int) error {
	ce := &CompileError{Type: name, Reason: err.Error()}
	var sve *jsonschema.SchemaValidationError
	var rx *jsonschema.InvalidRegexError
	var load *jsonschema.LoadURLError
	switch {
	case errors.As(err, &sve):
		var ve *jsonschema.ValidationError
		if errors.As(sve.Err, &ve) {
			leaf := firstLeaf(ve)
			ce.Pointer = pointer(leaf.InstanceLocation)
			ce.Reason = "not a valid schema: " + leaf.ErrorKind.LocalizedString(printer)
		}
	case errors.As(err, &rx):
		ce.Pointer = fragment(rx.URL)
		ce.Reason = fmt.Sprintf("invalid regular expression %q: %v", rx.Regex, rx.Err)
	case errors.As(err, &load):
		ce.Reason = fmt.Sprintf("cannot load %q: ward types reference only themselves; inline it or use \"$defs\" and \"#/$defs/NAME\"", load.URL)
	default:
		ce.Reason = strings.ReplaceAll(err.Error(), url, "the schema")
	}
	ce.Line = lines[ce.Pointer]
	return ce
}

func firstLeaf(ve *jsonschema.ValidationError) *jsonschema.ValidationError {
	for len(ve.Causes) > 0 {
		ve = ve.Causes[0]
	}
	return ve
}

func pointer(loc []string) string {
	var b strings.Builder
	for _, s := range loc {
		b.WriteByte('/')
		b.WriteString(escapePointer(s))
	}
	return b.String()
}

func fragment(url string) string {
	_, f, _ := strings.Cut(url, "#")
	return f
}

// FieldKind returns the JSON type the schema declares for a top-level
// field ("string", "integer", "number", "boolean", "object", "array"), or
// "" when it declares none or several.
func (t *Type) FieldKind(field string) string {
	props, _ := t.doc["properties"].(map[string]any)
	p, _ := props[field].(map[string]any)
	k, _ := p["type"].(string)
	return k
}
