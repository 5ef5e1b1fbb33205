package types

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

var printer = message.NewPrinter(language.English)

// Problem is one rule a secret breaks. Its fields are public: the field name
// (a JSON pointer-like path below the secret, "" for the secret as a whole),
// the schema keyword broken and a message built from the schema alone.
type Problem struct {
	Field   string `json:"field"`
	Rule    string `json:"rule"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	if p.Field == "" {
		return p.Message
	}
	return fmt.Sprintf("field %q: %s", p.Field, p.Message)
}

// ValidationError is a secret that does not conform to its type. Its text
// names the environment, path, fields and rules, never a value:
//
//	prod/payments/db: field "port": must be an integer between 1 and 65535
type ValidationError struct {
	Type     string
	Env      string
	Path     string
	Problems []Problem // at least one, sorted by field
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return fmt.Sprintf("%s/%s: %s", e.Env, e.Path, strings.Join(parts, "; "))
}

// Validate checks data, a secret's fields, against t. env and path only
// name the secret in the error, a *ValidationError.
func (t *Type) Validate(env, path string, data map[string]any) error {
	return t.validate(env, path, normalize(data))
}

// validate checks data whose numbers are json.Number.
func (t *Type) validate(env, path string, data any) error {
	err := t.schema.Validate(data)
	if err == nil {
		return nil
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return &ValidationError{Type: t.name, Env: env, Path: path, Problems: []Problem{{Rule: "schema", Message: "does not conform"}}}
	}
	var probs []Problem
	t.collect(ve, &probs)
	if len(probs) == 0 {
		probs = []Problem{{Rule: "schema", Message: "does not conform"}}
	}
	sort.SliceStable(probs, func(i, j int) bool { return probs[i].Field < probs[j].Field })
	return &ValidationError{Type: t.name, Env: env, Path: path, Problems: dedupe(probs)}
}

// ValidateJSON is Validate for a secret's JSON text.
func (t *Type) ValidateJSON(env, path string, raw []byte) error {
	v, err := decodeJSON(raw)
	if err != nil {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		err = dec.Decode(&v)
	}
	data, ok := v.(map[string]any)
	if err != nil || !ok {
		return &ValidationError{Type: t.name, Env: env, Path: path, Problems: []Problem{{Rule: "type", Message: "must be a JSON object"}}}
	}
	return t.validate(env, path, data)
}

// normalize turns float64 numbers into json.Number, so integers compare
// exactly whichever way data was decoded.
func normalize(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, c := range v {
			out[k] = normalize(c)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, c := range v {
			out[i] = normalize(c)
		}
		return out
	case float64:
		return json.Number(big.NewFloat(v).Text('g', -1))
	}
	return v
}

func dedupe(ps []Problem) []Problem {
	out := ps[:0]
	seen := map[Problem]bool{}
	for _, p := range ps {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// collect walks the library's error tree and describes its leaves. The
// library's own messages may quote the value, so none is passed through:
// every message here is built from the schema and the field names.
func (t *Type) collect(ve *jsonschema.ValidationError, out *[]Problem) {
	switch ve.ErrorKind.(type) {
	case *kind.OneOf, *kind.AnyOf:
		// The alternatives' own failures would read as contradictions.
	default:
		if len(ve.Causes) > 0 {
			for _, c := range ve.Causes {
				t.collect(c, out)
			}
			return
		}
	}
	field := strings.Join(ve.InstanceLocation, "/")
	sub := t.subschema(ve.SchemaURL)
	add := func(field, rule, msg string) { *out = append(*out, Problem{Field: field, Rule: rule, Message: msg}) }
	switch k := ve.ErrorKind.(type) {
	case *kind.Required:
		for _, m := range k.Missing {
			add(join(field, m), "required", "is required")
		}
	case *kind.DependentRequired:
		for _, m := range k.Missing {
			add(join(field, m), "dependentRequired", fmt.Sprintf("is required when %q is set", k.Prop))
		}
	case *kind.Dependency:
		for _, m := range k.Missing {
			add(join(field, m), "dependencies", fmt.Sprintf("is required when %q is set", k.Prop))
		}
	case *kind.AdditionalProperties:
		for _, p := range k.Properties {
			add(join(field, p), "additionalProperties", fmt.Sprintf("is not a field of type %s", t.name))
		}
	case *kind.FalseSchema:
		add(field, "false", fmt.Sprintf("is not allowed by type %s", t.name))
	case *kind.Type:
		add(field, "type", t.describeType(sub, k.Want))
	case *kind.Minimum, *kind.Maximum, *kind.ExclusiveMinimum, *kind.ExclusiveMaximum:
		add(field, ve.ErrorKind.KeywordPath()[0], numberRange(sub, k))
	case *kind.MultipleOf:
		add(field, "multipleOf", fmt.Sprintf("must be a multiple of %s", ratString(k.Want)))
	case *kind.MinLength:
		add(field, "minLength", lengthRange(sub, "minLength"))
	case *kind.MaxLength:
		add(field, "maxLength", lengthRange(sub, "maxLength"))
	case *kind.Pattern:
		add(field, "pattern", fmt.Sprintf("must match the pattern %s", k.Want))
	case *kind.Enum:
		add(field, "enum", "must be one of "+listValues(k.Want))
	case *kind.Const:
		add(field, "const", "must be "+listValues([]any{k.Want}))
	case *kind.Format:
		msg := fmt.Sprintf("must be a valid %s", k.Want)
		if d, ok := formatDescriptions[k.Want]; ok {
			msg = "must be " + d
			if pe, ok := k.Err.(publicError); ok {
				msg += ": " + pe.public()
			}
		}
		add(field, "format", msg)
	case *kind.MinItems:
		add(field, "minItems", fmt.Sprintf("must have at least %d items", k.Want))
	case *kind.MaxItems:
		add(field, "maxItems", fmt.Sprintf("must have at most %d items", k.Want))
	case *kind.UniqueItems:
		add(field, "uniqueItems", "must not repeat an item")
	case *kind.MinProperties:
		add(field, "minProperties", fmt.Sprintf("must have at least %d fields", k.Want))
	case *kind.MaxProperties:
		add(field, "maxProperties", fmt.Sprintf("must have at most %d fields", k.Want))
	case *kind.PropertyNames:
		add(join(field, k.Property), "propertyNames", "is not an allowed field name")
	case *kind.OneOf:
		if len(k.Subschemas) > 1 {
			add(field, "oneOf", "must match exactly one of the alternatives, not several")
		} else {
			add(field, "oneOf", "must match one of the alternatives")
		}
	case *kind.AnyOf:
		add(field, "anyOf", "must match at least one of the alternatives")
	case *kind.Not:
		add(field, "not", "must not match the excluded form")
	case *kind.ContentEncoding:
		add(field, "contentEncoding", fmt.Sprintf("must be %s encoded", k.Want))
	case *kind.ContentMediaType:
		add(field, "contentMediaType", fmt.Sprintf("must be of media type %s", k.Want))
	case *tlsPairMismatch:
		add(k.keyField, "x-ward-tls-pair", fmt.Sprintf("must be the private key of the certificate in %q", k.certField))
	default:
		rule := strings.Join(ve.ErrorKind.KeywordPath(), "/")
		add(field, rule, fmt.Sprintf("breaks the rule %q", rule))
	}
}

func join(field, name string) string {
	if field == "" {
		return name
	}
	return field + "/" + name
}

// subschema finds the schema object an error location names, in t's own
// document; nil when it lies elsewhere.
func (t *Type) subschema(loc string) map[string]any {
	base, frag, _ := strings.Cut(loc, "#")
	if base != t.url {
		return nil
	}
	var cur any = t.doc
	if frag != "" {
		for _, tok := range strings.Split(strings.TrimPrefix(frag, "/"), "/") {
			tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
			switch c := cur.(type) {
			case map[string]any:
				cur = c[tok]
			case []any:
				var i int
				if _, err := fmt.Sscan(tok, &i); err != nil || i < 0 || i >= len(c) {
					return nil
				}
				cur = c[i]
			default:
				return nil
			}
		}
	}
	m, _ := cur.(map[string]any)
	return m
}

var article = map[string]string{"integer": "an integer", "object": "an object", "array": "an array", "string": "a string", "number": "a number", "boolean": "true or false", "null": "null"}

func (t *Type) describeType(sub map[string]any, want []string) string {
	if len(want) == 1 && (want[0] == "integer" || want[0] == "number") && sub != nil {
		return numberRange(sub, nil)
	}
	names := make([]string, len(want))
	for i, w := range want {
		names[i] = article[w]
		if names[i] == "" {
			names[i] = w
		}
	}
	return "must be " + strings.Join(names, " or ")
}

// numberRange describes a numeric field's whole rule from its schema:
// "must be an integer between 1 and 65535".
func numberRange(sub map[string]any, k any) string {
	noun := "a number"
	if ty, _ := sub["type"].(string); ty == "integer" {
		noun = "an integer"
	}
	num := func(key string) (string, bool) {
		switch v := sub[key].(type) {
		case json.Number:
			return v.String(), true
		case float64:
			return fmt.Sprint(v), true
		}
		return "", false
	}
	lo, hasLo := num("minimum")
	hi, hasHi := num("maximum")
	xlo, hasXlo := num("exclusiveMinimum")
	xhi, hasXhi := num("exclusiveMaximum")
	switch {
	case hasLo && hasHi:
		return fmt.Sprintf("must be %s between %s and %s", noun, lo, hi)
	case hasXlo && hasXhi:
		return fmt.Sprintf("must be %s greater than %s and less than %s", noun, xlo, xhi)
	case hasLo:
		return fmt.Sprintf("must be %s of at least %s", noun, lo)
	case hasHi:
		return fmt.Sprintf("must be %s of at most %s", noun, hi)
	case hasXlo:
		return fmt.Sprintf("must be %s greater than %s", noun, xlo)
	case hasXhi:
		return fmt.Sprintf("must be %s less than %s", noun, xhi)
	}
	switch k := k.(type) {
	case *kind.Minimum:
		return fmt.Sprintf("must be at least %s", ratString(k.Want))
	case *kind.Maximum:
		return fmt.Sprintf("must be at most %s", ratString(k.Want))
	case *kind.ExclusiveMinimum:
		return fmt.Sprintf("must be greater than %s", ratString(k.Want))
	case *kind.ExclusiveMaximum:
		return fmt.Sprintf("must be less than %s", ratString(k.Want))
	}
	return "must be " + noun
}

func ratString(r *big.Rat) string {
	if r == nil {
		return "?"
	}
	if r.IsInt() {
		return r.Num().String()
	}
	return r.FloatString(6)
}

// lengthRange describes a string field's length rule from its schema.
func lengthRange(sub map[string]any, rule string) string {
	lo, hasLo := sub["minLength"].(json.Number)
	hi, hasHi := sub["maxLength"].(json.Number)
	switch {
	case hasLo && hasHi:
		return fmt.Sprintf("must be %s to %s characters long", lo, hi)
	case hasLo:
		return fmt.Sprintf("must be at least %s characters long", lo)
	case hasHi:
		return fmt.Sprintf("must be at most %s characters long", hi)
	}
	if rule == "minLength" {
		return "is too short"
	}
	return "is too long"
}

// listValues quotes the values a schema permits (they come from the
// schema, not from the secret).
func listValues(vs []any) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		b, err := json.Marshal(v)
		if err != nil {
			b = []byte("?")
		}
		if len(b) > 64 {
			b = append(b[:61:61], "..."...)
		}
		parts[i] = string(b)
	}
	return strings.Join(parts, ", ")
}
