package synth

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/codegen"
	"github.com/wardhq/ward/internal/types"
)

// Every built-in and example type yields values its own validator takes,
// many times over, with patterns, formats and conditionals.
func TestValuesSatisfyTheirTypes(t *testing.T) {
	g := New(Config{Rand: rand.New(rand.NewPCG(7, 9)), Now: func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }})
	src := codegen.DirTypes("../../examples/ward")
	names := types.BuiltinNames()
	files, _ := filepath.Glob("../../examples/ward/types/*.schema.json")
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".schema.json"))
	}
	seen := map[string]bool{}
	for _, name := range names {
		typ, _ := src(name)
		compiled, err := types.Compile(name, typ)
		if err != nil {
			t.Fatal(err)
		}
		for range 20 {
			v, err := g.Value(name, src)
			if err != nil {
				t.Fatalf("type %s: %v", name, err)
			}
			if err := compiled.Validate("t", name, v); err != nil {
				t.Fatalf("type %s: a synthetic value fails: %v", name, err)
			}
			if name == "jwt-signing-key" {
				seen[v["algorithm"].(string)[:2]] = true
			}
		}
	}
	if !seen["HS"] || !(seen["RS"] || seen["ES"] || seen["PS"] || seen["Ed"]) {
		t.Errorf("jwt-signing-key: both branches of its conditional should come up in 20 values: %v", seen)
	}
}

func TestValuesDiffer(t *testing.T) {
	g := New(Config{})
	a, err := g.Value("password", codegen.DirTypes(""))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := g.Value("password", codegen.DirTypes(""))
	if a["password"] == b["password"] {
		t.Error("two synthetic passwords are equal")
	}
}

func TestUnsatisfiable(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "types"), 0o755)
	os.WriteFile(filepath.Join(dir, "types", "never.schema.json"), []byte(`{"type":"object","required":["a"],"properties":{"a":{"type":"string","pattern":"^x{5}$","maxLength":3}}}`), 0o644)
	_, err := New(Config{}).Value("never", codegen.DirTypes(dir))
	if err == nil || !strings.Contains(err.Error(), "could not make a value") {
		t.Errorf("an unsatisfiable type: %v", err)
	}
}
