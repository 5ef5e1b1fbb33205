package plan

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/NAME, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -update rewrites it):\n%s", path, Unified("want", "got", string(want), got, DefaultContext))
	}
}

// TestLoad reads each directory of testdata/load and compares what Load
// says (the state as JSON, or the problems) with its golden file.
func TestLoad(t *testing.T) {
	cases, err := os.ReadDir("testdata/load")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if !c.IsDir() {
			continue
		}
		t.Run(c.Name(), func(t *testing.T) {
			st, err := Load(filepath.Join("testdata/load", c.Name()))
			golden(t, "load/"+c.Name()+".golden", describe(t, st, err))
		})
	}
}

func describe(t *testing.T, st *State, err error) string {
	t.Helper()
	if err != nil {
		var pe *Error
		if !errors.As(err, &pe) && !errors.Is(err, ErrNothingDeclared) {
			t.Fatalf("Load: %v is neither an *Error nor ErrNothingDeclared", err)
		}
		return "error:\n" + strings.ReplaceAll(err.Error(), "testdata/load/", "") + "\n"
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

// TestLoadExample keeps the documented example valid.
func TestLoadExample(t *testing.T) {
	st, err := Load("../../examples/ward")
	golden(t, "example.golden", describe(t, st, err))
	if err != nil {
		return
	}
	if err := Validate(st, builtinType); err != nil {
		t.Errorf("Validate(Load(example)) = %v", err)
	}
}

// TestLoadNeverEchoesValues checks that a value pasted into a secrets file
// appears in no problem.
func TestLoadNeverEchoesValues(t *testing.T) {
	_, err := Load("testdata/load/value-key")
	if err == nil {
		t.Fatal("Load accepted values")
	}
	if strings.Contains(err.Error(), "hunter2-canary") {
		t.Errorf("a problem quotes the value:\n%v", err)
	}
}

func TestLoadNotADirectory(t *testing.T) {
	if _, err := Load("testdata/missing"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want ErrNotExist", err)
	}
	if _, err := Load("load_test.go"); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("Load(file) = %v, want 'not a directory'", err)
	}
}

// TestLoadHugeSchema: a schema past the type registry's size limit is a
// problem at its file, not a crash or a slow compile.
func TestLoadHugeSchema(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "types"), 0o755); err != nil {
		t.Fatal(err)
	}
	huge := `{"type":"object","description":"` + strings.Repeat("x", 100<<10) + `"}`
	if err := os.WriteFile(filepath.Join(dir, "types", "huge.schema.json"), []byte(huge), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(dir)
	var pe *Error
	if !errors.As(err, &pe) || len(pe.Problems) != 1 || pe.Problems[0].File != "types/huge.schema.json" {
		t.Fatalf("Load(huge schema) = %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "types", "huge.schema.json"), []byte(strings.Repeat(" ", MaxFileSize+1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "larger than 1024 KiB") {
		t.Fatalf("Load(file over the limit) = %v", err)
	}
}
