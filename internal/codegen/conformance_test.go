package codegen

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/manifest"
	"github.com/wardhq/ward/internal/types"
)

// The conformance vectors: for every built-in type and every type of the
// example (examples/ward/types), secrets that must pass and secrets that
// must fail with a named field and rule. Three validators judge each one —
// the server's (package types), the generated Go loader and the generated
// Rust loader — and all must give the vector's verdict.

type vectorFile struct {
	Type    string   `json:"type"`
	Vectors []vector `json:"vectors"`
}

type vector struct {
	Name   string          `json:"name"`
	Valid  bool            `json:"valid"`
	Field  string          `json:"field"`
	Rule   string          `json:"rule"`
	Secret json.RawMessage `json:"secret"` // the secret's JSON, byte for byte
	Text   *string         `json:"text"`   // or text that is no JSON object
}

func (v vector) raw() string {
	if v.Text != nil {
		return *v.Text
	}
	return string(v.Secret)
}

const exampleTypes = "../../examples/ward/types"

// typeSchemas returns the built-in types' and the example's schemas.
func typeSchemas(t testing.TB) map[string][]byte {
	t.Helper()
	out := types.Builtins()
	files, err := filepath.Glob(filepath.Join(exampleTypes, "*.schema.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no example types in %s: %v", exampleTypes, err)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".schema.json")] = src
	}
	return out
}

func loadVectors(t testing.TB, schemas map[string][]byte) []vectorFile {
	t.Helper()
	files, _ := filepath.Glob("testdata/vectors/*.json")
	var out []vectorFile
	seen := map[string]bool{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var vf vectorFile
		if err := json.Unmarshal(src, &vf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if schemas[vf.Type] == nil {
			t.Fatalf("%s: no type %q", f, vf.Type)
		}
		var valid, invalid int
		for _, v := range vf.Vectors {
			if v.Valid {
				valid++
			} else {
				invalid++
				if v.Rule == "" {
					t.Fatalf("%s: vector %q is invalid but names no rule", f, v.Name)
				}
			}
		}
		if valid == 0 || invalid == 0 {
			t.Fatalf("%s: a type needs valid and invalid vectors (has %d and %d)", f, valid, invalid)
		}
		seen[vf.Type] = true
		out = append(out, vf)
	}
	for name := range schemas {
		if !seen[name] {
			t.Errorf("type %s has no conformance vectors: add testdata/vectors/%s.json", name, name)
		}
	}
	return out
}

// conformanceComponent reads every type whole (optional, so that Load
// needs none of them), plus the entries the load test sets.
func conformanceComponent(typeNames []string) *manifest.Component {
	c := &manifest.Component{Name: "conformance", Language: "go"}
	for _, n := range typeNames {
		c.Env = append(c.Env, manifest.EnvVar{Name: "VEC_" + rustStatic(n), From: "conformance/" + n, Type: n, Optional: true})
	}
	c.Env = append(c.Env,
		manifest.EnvVar{Name: "DB_PASSWORD", From: "payments/db", Field: "password", Type: "postgres"},
		manifest.EnvVar{Name: "DB_PORT", From: "payments/db", Field: "port", Type: "postgres"},
		manifest.EnvVar{Name: "DB_HOST", From: "payments/db", Field: "host", Type: "postgres"},
		manifest.EnvVar{Name: "SENTRY_DSN", From: "shared/sentry", Field: "dsn", Optional: true},
		manifest.EnvVar{Name: "PIN", From: "x/pin", Field: "pin", Type: "pin-code", Optional: true}, // a type read by field only
		manifest.EnvVar{Name: "RESERVED", From: "x/reserved", Type: "secret", Optional: true},       // a type named like the loader's own
	)
	c.Files = append(c.Files, manifest.File{Path: "db/password", From: "payments/db", Field: "password", Type: "postgres"})
	return c
}

func source(schemas map[string][]byte) TypeSource {
	return func(name string) ([]byte, error) {
		switch name {
		case "pin-code":
			return []byte(`{"type":"object","properties":{"pin":{"type":"string","pattern":"^[0-9]{4}$"}}}`), nil
		case "secret":
			return []byte(`{"type":"object","properties":{"error":{"type":"string"}}}`), nil
		}
		if s, ok := schemas[name]; ok {
			return s, nil
		}
		return nil, fmt.Errorf("no type %q", name)
	}
}

func TestConformance(t *testing.T) {
	schemas := typeSchemas(t)
	files := loadVectors(t, schemas)
	all := make([]string, 0, len(files))
	for _, f := range files {
		all = append(all, f.Type)
	}
	slices.Sort(all)
	all = slices.Compact(all) // a type may have several vector files

	// The server's validator.
	t.Run("server", func(t *testing.T) {
		for _, f := range files {
			typ, err := types.Compile(f.Type, schemas[f.Type])
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range f.Vectors {
				err := typ.ValidateJSON("conformance", f.Type, []byte(v.raw()))
				var ve *types.ValidationError
				switch {
				case v.Valid && err != nil:
					t.Errorf("vector %s/%s: the server refuses a valid secret: %v", f.Type, v.Name, err)
				case !v.Valid && !errors.As(err, &ve):
					t.Errorf("vector %s/%s: the server accepts an invalid secret (want field %q rule %q)", f.Type, v.Name, v.Field, v.Rule)
				case !v.Valid && !slices.ContainsFunc(ve.Problems, func(p types.Problem) bool { return p.Field == v.Field && p.Rule == v.Rule }):
					t.Errorf("vector %s/%s: the server's problems %v lack field %q rule %q", f.Type, v.Name, ve.Problems, v.Field, v.Rule)
				}
			}
		}
	})

	// The oracle for mutated secrets: the server's verdict.
	compiled := map[string]*types.Type{}
	for _, f := range files {
		typ, err := types.Compile(f.Type, schemas[f.Type])
		if err != nil {
			t.Fatal(err)
		}
		compiled[f.Type] = typ
	}
	serverSays := func(typ, raw string) (bool, []types.Problem) {
		err := compiled[typ].ValidateJSON("conformance", typ, []byte(raw))
		var ve *types.ValidationError
		if errors.As(err, &ve) {
			return false, ve.Problems
		}
		return err == nil, nil
	}

	judgeAll := func(t *testing.T, lang string, h *harness, typeNames []string) {
		var cases []judgeCase
		var names []string
		var want []vector
		nVectors := 0
		for _, f := range files {
			if !slices.Contains(typeNames, f.Type) {
				continue
			}
			for _, v := range f.Vectors {
				cases = append(cases, judgeCase{f.Type, v.raw()})
				names = append(names, f.Type+"/"+v.Name)
				want = append(want, v)
				nVectors++
			}
		}
		for _, f := range files {
			if !slices.Contains(typeNames, f.Type) {
				continue
			}
			for _, v := range f.Vectors {
				if !v.Valid || v.Text != nil {
					continue
				}
				for i, m := range mutations(v.Secret) {
					cases = append(cases, judgeCase{f.Type, m})
					names = append(names, fmt.Sprintf("%s/%s (mutation %d: %s)", f.Type, v.Name, i, m))
					want = append(want, vector{Valid: true, Secret: json.RawMessage(m), Name: "mutation"})
				}
			}
		}
		got := h.judge(t, cases)
		for i, v := range want {
			g := got[i]
			if v.Name == "mutation" {
				ok, probs := serverSays(cases[i].typ, cases[i].raw)
				switch {
				case ok != g.ok:
					t.Errorf("%s: the server says valid=%v, the %s loader valid=%v (field %q rule %q)", names[i], ok, lang, g.ok, g.field, g.rule)
				case !ok && !slices.ContainsFunc(probs, func(p types.Problem) bool { return p.Field == g.field && p.Rule == g.rule }):
					t.Errorf("%s: the %s loader says field %q rule %q; the server's problems are %v", names[i], lang, g.field, g.rule, probs)
				}
				continue
			}
			switch {
			case v.Valid && !g.ok:
				t.Errorf("vector %s: the %s loader refuses a valid secret (field %q rule %q)", names[i], lang, g.field, g.rule)
			case !v.Valid && g.ok:
				t.Errorf("vector %s: the %s loader accepts an invalid secret (want field %q rule %q)", names[i], lang, v.Field, v.Rule)
			case !v.Valid && (g.field != v.Field || g.rule != v.Rule):
				t.Errorf("vector %s: the %s loader says field %q rule %q, want field %q rule %q", names[i], lang, g.field, g.rule, v.Field, v.Rule)
			}
		}
		t.Logf("%s loader: %d vectors and %d mutations over %d types", lang, nVectors, len(cases)-nVectors, len(typeNames))
	}

	t.Run("go", func(t *testing.T) {
		src, err := Generate(Options{Lang: Go, Component: conformanceComponent(all), Types: source(schemas)})
		if err != nil {
			t.Fatal(err)
		}
		h := buildGoHarness(t, src, all)
		judgeAll(t, "Go", h, all)
		loadChecks(t, h)
	})

	t.Run("rust", func(t *testing.T) {
		// Every type, the formats and the TLS pair included: a Rust loader
		// checks all that the server does.
		src, err := Generate(Options{Lang: Rust, Component: conformanceComponent(all), Types: source(schemas)})
		if err != nil {
			t.Fatal(err)
		}
		h := buildRustHarness(t, src, all)
		judgeAll(t, "Rust", h, all)
		loadChecks(t, h)
	})
}
