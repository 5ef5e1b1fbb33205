package sandbox

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// lookPath agrees with os/exec's LookPath, which it stands in for: the
// same program found, the same refusals with the same messages.
func TestLookPathAgreesWithExec(t *testing.T) {
	dir := t.TempDir()
	for name, mode := range map[string]os.FileMode{"prog": 0o755, "plain": 0o644, "both": 0o755} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "both"), []byte("#!/bin/sh\n"), 0o755)
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	t.Chdir(dir)
	cases := []struct{ file, path string }{
		{"prog", dir},
		{"prog", "/nonexistent:" + dir},
		{"both", other + ":" + dir},
		{"both", dir + ":" + other},
		{"plain", dir},
		{"sub", dir},
		{"missing", dir},
		{"prog", ""},
		{"prog", "."},
		{"prog", "/nonexistent:"},
		{"prog", ":" + dir},
		{"./prog", ""},
		{"./plain", dir},
		{filepath.Join(dir, "prog"), ""},
		{filepath.Join(dir, "missing"), ""},
		{"sh", os.Getenv("PATH")},
		{"a\"b\n\t\x01\x7f", dir},
	}
	for _, c := range cases {
		t.Setenv("PATH", c.path)
		want, wantErr := exec.LookPath(c.file)
		got, err := lookPath(c.file, []string{"HOME=/x", "PATH=" + c.path})
		if wantErr != nil {
			if err == nil || err.Error() != wantErr.Error() {
				t.Errorf("lookPath(%q) with PATH=%q = %q, %v; exec says %v", c.file, c.path, got, err, wantErr)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("lookPath(%q) with PATH=%q = %q, %v; exec says %q", c.file, c.path, got, err, want)
		}
	}
}

func TestChildEnvDropsTheInitsVariables(t *testing.T) {
	env := childEnv([]string{"A=1", InitEnv + "=1", HideEnv + "=2:/a", InitEnv + "X=kept", "B=" + InitEnv + "=2"})
	if got := strings.Join(env, " "); got != "A=1 "+InitEnv+"X=kept B="+InitEnv+"=2" {
		t.Fatalf("childEnv = %q", got)
	}
}
