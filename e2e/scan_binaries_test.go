package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// toolPath finds a toolchain command on PATH or in ~/.cargo/bin.
func toolPath(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if home, err := os.UserHomeDir(); err == nil {
		if p := filepath.Join(home, ".cargo", "bin", name); fileExists(p) {
			return p
		}
	}
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// scanFindings runs ward scan --format json on path and returns the rules
// it reported.
func scanFindings(t *testing.T, path string) []string {
	t.Helper()
	out, err := exec.Command(wardBin, "scan", "--format", "json", path).Output()
	if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() != 1) {
		t.Fatalf("ward scan %s: %v", path, err)
	}
	var findings []struct {
		Rule string `json:"rule"`
	}
	if err := json.Unmarshal(out, &findings); err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	var rules []string
	for _, f := range findings {
		rules = append(rules, f.Rule)
	}
	return rules
}

func hasRule(rules []string, id string) bool {
	for _, r := range rules {
		if r == id {
			return true
		}
	}
	return false
}

// Secrets baked into build artifacts are found: a Go binary with one set
// by -ldflags -X, a Rust binary with one from env!() and one from
// include_str!().
func TestScanBuiltBinaries(t *testing.T) {
	const goKey = "sk_live_GoLdflagsX7PqR2sT9uVwYz"
	const rustKey = "sk_live_RustEnvMacro4KbNm8PqZx"
	const rustFile = "AIzaRustIncludeStr0123456789abcdefABCDE"
	dir := t.TempDir()

	t.Run("go -ldflags -X", func(t *testing.T) {
		src := filepath.Join(dir, "goapp")
		os.MkdirAll(src, 0o755)
		os.WriteFile(filepath.Join(src, "go.mod"), []byte("module goapp\n\ngo 1.22\n"), 0o644)
		os.WriteFile(filepath.Join(src, "main.go"), []byte("package main\n\nvar stripeKey string\n\nfunc main() { println(len(stripeKey)) }\n"), 0o644)
		bin := filepath.Join(dir, "goapp.bin")
		cmd := exec.Command("go", "build", "-o", bin, "-ldflags", "-X main.stripeKey="+goKey, ".")
		cmd.Dir = src
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
		if rules := scanFindings(t, bin); !hasRule(rules, "stripe-key") {
			t.Fatalf("the -X secret in the Go binary was not found: %v", rules)
		}
	})

	t.Run("rust env! and include_str!", func(t *testing.T) {
		rustc := toolPath("rustc")
		if rustc == "" {
			t.Skip("no rustc: make test installs one where the machine can")
		}
		os.WriteFile(filepath.Join(dir, "key.txt"), []byte(rustFile), 0o644)
		src := filepath.Join(dir, "main.rs")
		os.WriteFile(src, []byte(`const KEY: &str = env!("WARD_TEST_KEY");
const FILE: &str = include_str!("key.txt");
fn main() { if std::env::args().count() > 9 { println!("{} {}", KEY, FILE); } }
`), 0o644)
		bin := filepath.Join(dir, "rustapp")
		cmd := exec.Command(rustc, "-O", "-o", bin, src)
		cmd.Env = append(os.Environ(), "WARD_TEST_KEY="+rustKey)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("rustc: %v\n%s", err, out)
		}
		rules := scanFindings(t, bin)
		if !hasRule(rules, "stripe-key") || !hasRule(rules, "google-api-key") {
			t.Fatalf("the env!() and include_str!() secrets in the Rust binary were not both found: %v", rules)
		}
	})
}
