package sharedbench

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestDirBesideTheRepository: without -shared, the folder is found beside
// the repository, wherever that is cloned, never at a fixed path.
func TestDirBesideTheRepository(t *testing.T) {
	top := t.TempDir()
	root := filepath.Join(top, "clone", "ward")
	if err := os.MkdirAll(filepath.Join(top, "clone", "shared", "bench", "loggen"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := Dir("", root, "loggen")
	if err != nil || got != filepath.Join(top, "clone", "shared", "bench") {
		t.Errorf("Dir = %q, %v", got, err)
	}
	if _, err := Dir("", root, "corpus/gen.go"); !errors.Is(err, ErrMissing) {
		t.Errorf("a missing tool: %v, want ErrMissing", err)
	}
	if _, err := Dir("", filepath.Join(top, "elsewhere", "ward"), "loggen"); !errors.Is(err, ErrMissing) {
		t.Errorf("no shared folder beside the clone: %v, want ErrMissing", err)
	}
	if got, err := Dir(filepath.Join(top, "clone", "shared", "bench"), "/nonexistent", "loggen"); err != nil || got != filepath.Join(top, "clone", "shared", "bench") {
		t.Errorf("-shared given: %q, %v", got, err)
	}
}
