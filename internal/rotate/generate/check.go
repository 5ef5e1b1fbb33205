package generate

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/wardhq/ward/internal/synth"
	"github.com/wardhq/ward/internal/types"
)

// ErrCannotGenerate is wrapped by the *TypeError of a type whose
// x-ward-generate marks cannot be honoured.
var ErrCannotGenerate = errors.New("the type's generator cannot satisfy its schema")

// TypeError says why CheckType refused a type. It names the field and the
// rule, never a value.
type TypeError struct {
	Type   string
	Field  string // "" when the problem is not one field's
	Reason string
}

func (e *TypeError) Error() string {
	where := ""
	if e.Field != "" {
		where = fmt.Sprintf(", field %q", e.Field)
	}
	return fmt.Sprintf("type %q%s: %s: %s", e.Type, where, ErrCannotGenerate, e.Reason)
}

func (e *TypeError) Unwrap() error { return ErrCannotGenerate }

// checkSamples is how many values CheckType makes and validates.
const checkSamples = 16

// CheckType is what the type-write path calls before it stores a custom
// type (after types.Compile accepted it). A type without x-ward-generate
// passes: its secrets will need a person to rotate them. A type with it
// passes only if every mark is `true` on a top-level string property and
// checkSamples values made by its generator satisfy the schema. Errors are
// a *TypeError wrapping ErrCannotGenerate, or the *types.CompileError of a
// schema that does not compile.
func (g *Generator) CheckType(name string, src []byte) error {
	typ, err := types.Compile(name, src)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(src, &doc); err != nil {
		return err
	}
	if err := checkMarks(name, doc); err != nil {
		return err
	}
	fields := Fields(typ)
	if len(fields) == 0 || types.IsBuiltin(name) {
		return nil
	}
	// Other fields come from a synthetic value: the check is that the
	// generated fields fit any valid rest.
	sy := synth.New(synth.Config{Now: g.cfg.Now})
	schema := func(string) ([]byte, error) { return src, nil }
	for range checkSamples {
		rest, err := sy.Value(name, schema)
		if err != nil {
			return &TypeError{Type: name, Reason: "no value of the type at all can be made: " + publicReason(err)}
		}
		if _, err := g.Next(typ, dropFields(rest, fields)); err != nil {
			return &TypeError{Type: name, Field: failedField(err, fields), Reason: publicReason(err)}
		}
	}
	return nil
}

// checkMarks checks a schema's x-ward-generate marks: each is true or
// false, on a top-level property whose type is "string", and nowhere else.
func checkMarks(typeName string, doc map[string]any) error {
	for k, c := range doc {
		if k == Keyword {
			return &TypeError{Type: typeName, Reason: `"x-ward-generate" at the top of the schema: it belongs on a top-level property, {"properties": {"NAME": {"type": "string", "x-ward-generate": true}}}`}
		}
		if k != "properties" {
			if err := noMarks(typeName, c, "/"+k); err != nil {
				return err
			}
			continue
		}
		props, _ := c.(map[string]any)
		for name, p := range props {
			pm, _ := p.(map[string]any)
			for pk, pc := range pm {
				if pk != Keyword {
					if err := noMarks(typeName, pc, "/properties/"+name+"/"+pk); err != nil {
						return err
					}
					continue
				}
				if b, ok := pc.(bool); !ok {
					return &TypeError{Type: typeName, Field: name, Reason: `"x-ward-generate" must be true or false`}
				} else if b && pm["type"] != "string" {
					return &TypeError{Type: typeName, Field: name, Reason: `only a property with "type": "string" can be generated`}
				}
			}
		}
	}
	return nil
}

// noMarks refuses any x-ward-generate inside v.
func noMarks(typeName string, v any, ptr string) error {
	switch v := v.(type) {
	case map[string]any:
		if _, ok := v[Keyword]; ok {
			return &TypeError{Type: typeName, Reason: fmt.Sprintf(`"x-ward-generate" at %s: it belongs on a top-level property, {"properties": {"NAME": {"type": "string", "x-ward-generate": true}}}`, ptr)}
		}
		for k, c := range v {
			if err := noMarks(typeName, c, ptr+"/"+k); err != nil {
				return err
			}
		}
	case []any:
		for i, c := range v {
			if err := noMarks(typeName, c, fmt.Sprintf("%s/%d", ptr, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func dropFields(m map[string]any, fields []string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if !slices.Contains(fields, k) {
			out[k] = v
		}
	}
	return out
}

// publicReason is an error's text when it is made of public parts only:
// the validator's and synth's errors name fields and rules, never values.
func publicReason(err error) string { return err.Error() }

// failedField names the generated field a validation error is about, if
// one.
func failedField(err error, fields []string) string {
	var ve *types.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			if slices.Contains(fields, p.Field) {
				return p.Field
			}
		}
	}
	return ""
}
