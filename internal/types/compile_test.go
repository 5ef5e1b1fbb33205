package types

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// A canary value that breaks every kind of rule appears in no message.
func TestValidationNeverEchoesTheValue(t *testing.T) {
	const canary = "CANARY-7f3a9c-value"
	schema := `{
  "type": "object",
  "properties": {
    "pattern":  {"type": "string", "pattern": "^[0-9]+$"},
    "enum":     {"enum": ["a", "b"]},
    "const":    {"const": "fixed"},
    "uri":      {"type": "string", "format": "uri"},
    "email":    {"type": "string", "format": "email"},
    "date":     {"type": "string", "format": "date-time"},
    "host":     {"type": "string", "format": "hostname"},
    "ipv4":     {"type": "string", "format": "ipv4"},
    "cred":     {"type": "string", "format": "ward-url-with-credentials"},
    "pem":      {"type": "string", "format": "ward-pem-private-key"},
    "max":      {"type": "string", "maxLength": 3},
    "num":      {"type": "integer"},
    "not":      {"not": {"type": "string"}},
    "any":      {"anyOf": [{"type": "integer"}, {"pattern": "^x"}]},
    "one":      {"oneOf": [{"type": "integer"}, {"pattern": "^x"}]},
    "arr":      {"type": "array", "items": {"pattern": "^[0-9]+$"}, "uniqueItems": true},
    "obj":      {"type": "object", "propertyNames": {"pattern": "^[a-z]+$"}, "additionalProperties": {"pattern": "^[0-9]+$"}}
  },
  "additionalProperties": {"pattern": "^[0-9]+$"}
}`
	ty, err := Compile("canary", []byte(schema))
	if err != nil {
		t.Fatal(err)
	}
	data := map[string]any{
		"pattern": canary, "enum": canary, "const": canary, "uri": canary + " :", "email": canary,
		"date": canary, "host": canary + "..", "ipv4": canary, "cred": "x://" + canary + "@h", "pem": canary,
		"max": canary, "num": canary, "not": canary, "any": canary, "one": canary,
		"arr": []any{canary, canary}, "obj": map[string]any{"k": canary}, "extra": canary,
	}
	err = ty.Validate("prod", "app/s", data)
	if err == nil {
		t.Fatal("no error")
	}
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) < 17 {
		t.Fatalf("problems: %v", err)
	}
	if strings.Contains(err.Error(), "CANARY") || strings.Contains(fmt.Sprintf("%#v", ve), "CANARY") {
		t.Fatalf("the value leaked: %v", err)
	}
}

func TestCompileErrors(t *testing.T) {
	deep := strings.Repeat(`{"not":`, 40) + `{}` + strings.Repeat("}", 40)
	huge := `{"type": "object", "description": "` + strings.Repeat("x", MaxSchemaBytes) + `"}`
	tests := []struct {
		name, src, want string
	}{
		{"ok", `{"type": "object"}`, ""},
		{"empty", ``, `type "t": the schema is empty`},
		{"syntax", "{\n  \"type\": \"object\",\n  \"properties\": {,}\n}", `type "t", line 3: not JSON: invalid character ','`},
		{"truncated", "{\n  \"type\": \"object\"", `type "t", line 2: not JSON: the schema ends too soon`},
		{"trailing", `{"type": "object"} {}`, `type "t", line 1: not JSON: more data after the schema`},
		{"duplicate", "{\n\"type\": \"object\",\n\"type\": \"object\"}", `type "t", line 3: key "type" appears twice in one object`},
		{"not object", `["type"]`, `type "t", line 1: a schema is a JSON object`},
		{"string type", "{\n\"type\": \"string\"}", `type "t", line 2 (at /type): a secret is a JSON object, so its schema's "type" must be "object"`},
		{"old draft", "{\n\"$schema\": \"http://json-schema.org/draft-07/schema#\"}", `type "t", line 2 (at /$schema): ward reads JSON Schema draft 2020-12`},
		{"bad keyword value", "{\n\"type\": \"object\",\n\"properties\": {\n  \"port\": {\"maximum\": \"big\"}}}", `type "t", line 4 (at /properties/port/maximum): not a valid schema: got string, want number`},
		{"bad regex", "{\n\"properties\": {\n  \"id\": {\"pattern\": \"(\"}}}", `type "t", line 3 (at /properties/id/pattern): not a valid schema:`},
		{"external ref", `{"$ref": "file:///etc/passwd"}`, `type "t", line 1: cannot load "file:///etc/passwd": ward types reference only themselves`},
		{"remote ref", `{"properties": {"a": {"$ref": "https://example.com/s.json"}}}`, `cannot load "https://example.com/s.json"`},
		{"sensitive not bool", "{\n\"properties\": {\"a\": {\"x-ward-sensitive\": \"no\"}}}", `type "t", line 2 (at /properties/a/x-ward-sensitive): "x-ward-sensitive" must be true or false`},
		{"tls pair shape", `{"x-ward-tls-pair": {"certificate": "c"}}`, `"x-ward-tls-pair" must be {"certificate": "FIELD", "private_key": "FIELD"}`},
		{"deep", deep, `type "t", line 1: the schema nests deeper than 32 levels`},
		{"huge", huge, fmt.Sprintf(`type "t": the schema is %d bytes; the limit is %d`, len(huge), MaxSchemaBytes)},
		{"file base", `{"$id": "file:///etc/", "properties": {"a": {"$ref": "passwd"}}}`, `cannot load "file:///etc/passwd"`},
		{"deep arrays", strings.Repeat("[", 40) + strings.Repeat("]", 40), `nests deeper than 32 levels`},
		{"local ref", `{"$defs": {"p": {"type": "integer"}}, "properties": {"port": {"$ref": "#/$defs/p"}}}`, ""},
	}
	for _, tt := range tests {
		_, err := Compile("t", []byte(tt.src))
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s:\n got %v\nwant …%s…", tt.name, err, tt.want)
		}
	}
	if _, err := Compile("Bad Name", []byte(`{}`)); !errors.Is(err, ErrBadName) {
		t.Errorf("bad name: %v", err)
	}
}

func TestSensitive(t *testing.T) {
	ty := Builtin("postgres")
	for field, want := range map[string]bool{"password": true, "host": false, "port": false, "url": true, "nope": true} {
		if got := ty.Sensitive(field); got != want {
			t.Errorf("Sensitive(%q) = %v", field, got)
		}
	}
}

// FuzzCompile feeds hostile schemas to Compile and what compiles to
// Validate: neither may panic or hang.
func FuzzCompile(f *testing.F) {
	for _, src := range Builtins() {
		f.Add(src)
	}
	f.Add([]byte(`{"$ref": "#"}`))
	f.Add([]byte(`{"$defs": {"a": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}`))
	f.Add([]byte(`{"$dynamicRef": "#meta"}`))
	f.Add([]byte(`{"properties": {"a": {"pattern": "(a+)+$"}}}`))
	f.Add([]byte(`{"$id": "http://x/", "$ref": "y"}`))
	f.Add([]byte(`{"x-ward-tls-pair": {"certificate": "a", "private_key": "b"}}`))
	data := map[string]any{"a": "aaaa", "port": 1, "password": "x", "b": []any{1, "2"}}
	f.Fuzz(func(t *testing.T, src []byte) {
		ty, err := Compile("fuzz", src)
		if err != nil {
			return
		}
		ty.Validate("e", "p", data)
	})
}

// FuzzValidate feeds hostile secrets to every built-in type: no panic, and
// no long string value of the secret in the error unless the schema itself
// holds that text.
func FuzzValidate(f *testing.F) {
	f.Add([]byte(`{"host":"db","port":5432,"user":"u","password":"p","database":"d"}`))
	f.Add([]byte(`{"url":"amqp://u:p@h/v","token":"AAAAAAAAAAAAAAAAAAAAAAAA"}`))
	f.Add([]byte(`{"certificate":"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----","private_key":"x"}`))
	f.Add([]byte(`{"algorithm":"HS256","key":"leaky-value-leaky-value","extra-field-name":1}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var leaves []string
		var walk func(v any)
		walk = func(v any) {
			switch v := v.(type) {
			case map[string]any:
				for _, c := range v {
					walk(c)
				}
			case []any:
				for _, c := range v {
					walk(c)
				}
			case string:
				if len(v) >= 12 {
					leaves = append(leaves, v)
				}
			}
		}
		var data map[string]any
		if json.Unmarshal(raw, &data) != nil {
			return
		}
		walk(data)
		for _, name := range BuiltinNames() {
			ty := Builtin(name)
			err := ty.ValidateJSON("e", "p", raw)
			if err == nil {
				continue
			}
			msg := err.Error()
			for _, s := range leaves {
				if strings.Contains(msg, s) && !strings.Contains(string(ty.Source()), s) && data[s] == nil {
					t.Fatalf("type %s: the error quotes a value: %s", name, msg)
				}
			}
		}
	})
}
