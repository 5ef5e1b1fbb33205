package codegen

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/manifest"
	"github.com/wardhq/ward/internal/types"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func builtinSource(extra map[string]string) TypeSource {
	return func(name string) ([]byte, error) {
		if s, ok := extra[name]; ok {
			return []byte(s), nil
		}
		if s, ok := types.Builtins()[name]; ok {
			return s, nil
		}
		return nil, errors.New("no such type")
	}
}

func component(env ...manifest.EnvVar) *manifest.Component {
	return &manifest.Component{Name: "api", Language: "go", Env: env}
}

func TestRefusals(t *testing.T) {
	for _, tc := range []struct {
		name    string
		lang    Lang
		schema  string
		field   string
		keyword string
		reason  string
	}{
		{"allOf", Go, `{"type":"object","properties":{"a":{"type":"string"}},"allOf":[{"required":["a"]}]}`, "", "allOf", "cannot mirror"},
		{"a $ref", Go, `{"type":"object","properties":{"a":{"$ref":"#/$defs/x"}},"$defs":{"x":{"type":"string"}}}`, "", "$defs", "cannot mirror"},
		{"multipleOf", Go, `{"type":"object","properties":{"n":{"type":"integer","minimum":0,"maximum":9,"multipleOf":2}}}`, "", "multipleOf", "cannot mirror"},
		{"a word boundary", Go, `{"type":"object","properties":{"a":{"type":"string","pattern":"\\bx"}}}`, "", "pattern", "word boundaries"},
		{"an unbounded integer", Go, `{"type":"object","properties":{"n":{"type":"integer"}}}`, "", "type", "within 64 bits"},
		{"an array field", Go, `{"type":"object","properties":{"a":{"type":"array"}}}`, "", "type", "native type"},
		{"an enum of numbers", Go, `{"type":"object","properties":{"a":{"enum":[1,2]}}}`, "", "enum", "strings"},
		{"an unknown format", Go, `{"type":"object","properties":{"a":{"type":"string","format":"email"}}}`, "", "format", "email"},
		{"an unknown format in Rust", Rust, `{"type":"object","properties":{"a":{"type":"string","format":"email"}}}`, "", "format", "email"},
		{"an unknown format in Rust, read by field", Rust, `{"type":"object","properties":{"a":{"type":"string","format":"hostname"}}}`, "a", "format", "hostname"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := component(manifest.EnvVar{Name: "X", From: "x", Field: tc.field, Type: "custom"})
			_, err := Generate(Options{Lang: tc.lang, Component: c, Types: builtinSource(map[string]string{"custom": tc.schema})})
			var ue *UnsupportedError
			if !errors.As(err, &ue) {
				t.Fatalf("Generate = %v, want an *UnsupportedError", err)
			}
			if ue.Keyword != tc.keyword || !strings.Contains(ue.Reason, tc.reason) || ue.Type != "custom" {
				t.Errorf("refused with keyword %q, reason %q; want keyword %q and a reason that says %q", ue.Keyword, ue.Reason, tc.keyword, tc.reason)
			}
			if !strings.Contains(err.Error(), tc.keyword) {
				t.Errorf("the error does not name the keyword: %v", err)
			}
		})
	}
}

func TestManifestMistakes(t *testing.T) {
	_, err := Generate(Options{Lang: Go, Component: component(manifest.EnvVar{Name: "X", From: "payments/db", Field: "passwd", Type: "postgres"}), Types: builtinSource(nil)})
	if !errors.Is(err, ErrNoField) || !strings.Contains(err.Error(), "passwd") {
		t.Errorf("a field the type lacks: %v", err)
	}
	_, err = Generate(Options{Lang: Go, Component: component(manifest.EnvVar{Name: "X", From: "x", Type: "nosuch"}), Types: builtinSource(nil)})
	if err == nil {
		t.Error("a type that does not exist was accepted")
	}
	c := component(manifest.EnvVar{Name: "DB_PASSWORD_FILE", From: "payments/db", Field: "password"})
	c.Files = []manifest.File{{Path: "db/password", From: "payments/db", Field: "password"}}
	if _, err = Generate(Options{Lang: Go, Component: c, Types: builtinSource(nil)}); err == nil || !strings.Contains(err.Error(), "DBPasswordFile") {
		t.Errorf("two entries with one identifier: %v", err)
	}
}

// TestGolden pins what codegen writes for the example manifest's shape.
func TestGolden(t *testing.T) {
	m, err := manifest.Load("testdata/golden/ward.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		lang Lang
		comp string
		file string
	}{{Go, "api", "api.go.golden"}, {Rust, "worker", "worker.rs.golden"}} {
		c, err := m.Component(tc.comp)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Generate(Options{Lang: tc.lang, Component: c, Types: builtinSource(nil), Manifest: "ward.yaml"})
		if err != nil {
			t.Fatal(err)
		}
		again, _ := Generate(Options{Lang: tc.lang, Component: c, Types: builtinSource(nil), Manifest: "ward.yaml"})
		if !bytes.Equal(got, again) {
			t.Errorf("%s: two runs wrote different code", tc.file)
		}
		path := filepath.Join("testdata", "golden", tc.file)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what codegen writes; run go test -run TestGolden -update and review the diff", path)
		}
	}
}

// TestExampleLoadersCurrent fails when examples/mixed's generated loaders
// differ from what codegen writes now: regenerate them with the commands
// in examples/mixed/ward.yaml.
func TestExampleLoadersCurrent(t *testing.T) {
	const root = "../../"
	m, err := manifest.Load(root + "examples/mixed/ward.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		lang       Lang
		comp, file string
	}{{Go, "api", "examples/mixed/api/secrets/secrets.go"}, {Rust, "worker", "examples/mixed/worker/src/secrets.rs"}} {
		c, _ := m.Component(tc.comp)
		got, err := Generate(Options{Lang: tc.lang, Component: c, Types: DirTypes(root + "examples/ward"), Package: "secrets", Manifest: "examples/mixed/ward.yaml"})
		if err != nil {
			t.Fatal(err)
		}
		have, err := os.ReadFile(root + tc.file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, have) {
			t.Errorf("%s is stale: run ward codegen --lang %s --component %s -f examples/mixed/ward.yaml --types examples/ward -o %s", tc.file, tc.lang, tc.comp, filepath.Dir(tc.file))
		}
	}
}
