package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateManifest = flag.Bool("update-manifest", false, "rewrite the golden files of testdata/manifest")

// TestManifestValidateGolden runs ward manifest validate on each manifest
// in testdata/manifest (one kind of mistake each, and a valid one) and
// compares exit status, stdout and stderr with NAME.golden.
func TestManifestValidateGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/manifest/*.yaml")
	if err != nil || len(files) < 10 {
		t.Fatalf("manifests: %v %v", files, err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			got := runGolden(t, "manifest", "validate", "-f", file)
			if name == "several" {
				got += runGolden(t, "manifest", "validate", "-f", file, "--format", "json")
			}
			if name == "valid" {
				got += runGolden(t, "manifest", "validate", "-f", file, "--format", "json")
			}
			compareGolden(t, strings.TrimSuffix(file, ".yaml")+".golden", got, *updateManifest)
		})
	}
}

// runGolden runs ward with args and formats what it did for a golden file.
func runGolden(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runCLI(args, strings.NewReader(""), &stdout, &stderr)
	return fmt.Sprintf("$ ward %s\nexit %d\n-- stdout --\n%s-- stderr --\n%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
}

func compareGolden(t *testing.T, golden, got string, update bool) {
	t.Helper()
	if update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update-manifest to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -update-manifest rewrites it):\n--- got\n%s\n--- want\n%s", golden, got, want)
	}
}

func TestManifestValidateUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := runCLI([]string{"manifest", "validate", "-f", filepath.Join(t.TempDir(), "ward.yaml")}, strings.NewReader(""), &stdout, &stderr)
	if code != exitUsage || !strings.Contains(stderr.String(), "no manifest at") || !strings.Contains(stderr.String(), "hint: write one") {
		t.Errorf("missing manifest: exit %d\n%s", code, stderr.String())
	}
	stderr.Reset()
	code = runCLI([]string{"manifest", "validate", "-f", "testdata/manifest/valid.yaml", "--format", "yaml"}, strings.NewReader(""), &stdout, &stderr)
	if code != exitUsage {
		t.Errorf("--format yaml: exit %d", code)
	}
}

// A value pasted into the manifest by mistake is never printed back.
func TestManifestValidateNeverQuotesValues(t *testing.T) {
	out := runGolden(t, "manifest", "validate", "-f", "testdata/manifest/kinds.yaml")
	if strings.Contains(out, "sk_live") {
		t.Errorf("a value in the manifest was printed:\n%s", out)
	}
}
