package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The mixed example: a Go service and a Rust worker with one ward.yaml,
// each run under ward run against ward dev, each reading its secrets
// through the loader ward codegen generated for it. Each receives the right
// password, prints its loaded secrets (as [redacted]) and then the password
// plain, base64, hex, JSON-escaped and byte by byte; the captured output
// holds none of those forms. Each job also gets a PostgreSQL user of its
// own from staging's database engine, which is gone from pg_roles once
// ward run returns.
func TestMixedGoRustExample(t *testing.T) {
	pg := newPG(t)
	s := startDev(t, "")
	pg.configure(vaultClient(t, s, s.Token), "staging")
	// Characters that JSON escapes, and a slash.
	const pw = `Mx7"q\kz/P4wR9v2026`
	body, _ := json.Marshal(map[string]any{"password": pw, "host": "db.internal", "port": 5432, "user": "payments", "database": "payments"})
	s.mustWard(string(body), "kv", "put", "--env", "staging", "payments/db")
	manifest, _ := filepath.Abs("../examples/mixed/ward.yaml")
	programs := buildMixed(t)
	if programs["worker"] == "" {
		delete(programs, "worker")
		t.Log("no cargo: the Rust worker is not built (make test installs cargo where it can)")
	}

	forms := map[string]string{
		"plain":        pw,
		"base64":       base64.StdEncoding.EncodeToString([]byte(pw)),
		"hex":          hex.EncodeToString([]byte(pw)),
		"json (Go)":    strings.Trim(mustMarshal(pw), `"`),
		"json (plain)": strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(pw),
	}
	for component, bin := range programs {
		t.Run(component, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, wardBin, "run", "--env", "staging", "--component", component, "-f", manifest, "--", bin)
			cmd.Env = append(os.Environ(), "WARD_ADDR="+s.Addr, "WARD_TOKEN="+s.Token)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("ward run %s: %v\nstdout:\n%s\nstderr:\n%s", component, err, stdout.String(), stderr.String())
			}
			out := stdout.String() + stderr.String()
			t.Logf("%s under ward run:\n%s", component, out)
			want := fmt.Sprintf("%s: received %d bytes, fnv64 %016x", component, len(pw), fnv64(pw))
			if !strings.Contains(out, want) {
				t.Fatalf("%s did not receive the right password (want %q):\n%s", component, want, out)
			}
			for name, form := range forms {
				if strings.Contains(out, form) {
					t.Errorf("%s's output holds the password as %s", component, name)
				}
			}
			if !strings.Contains(out, "[masked:") {
				t.Errorf("no replacement in %s's output:\n%s", component, out)
			}
			if !strings.Contains(out, component+": loaded ") || !strings.Contains(out, "[redacted]") {
				t.Errorf("%s did not print its loaded secrets as [redacted]:\n%s", component, out)
			}
			for _, line := range []string{"plain", "base64", "hex", "json", "bytes"} {
				if !strings.Contains(out, component+": "+line+" ") {
					t.Errorf("%s printed no %s line:\n%s", component, line, out)
				}
			}
			if !strings.Contains(out, component+": job database user from role app: true, password 32 bytes") {
				t.Errorf("%s did not get a database user of its own:\n%s", component, out)
			}
			if left := pg.roles("v-staging-app-"); len(left) != 0 {
				t.Errorf("after ward run returned, the job's database users %v are still in pg_roles", left)
			}
			if n := strings.Count(mustRead(t, s.Data+"/audit.log"), `"operation":"lease-revoked"`); n == 0 {
				t.Errorf("no lease revocation in the audit log after %s's job", component)
			}
		})
	}
}

func mustMarshal(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// buildMixed builds the example's programs: the Go api with go build, the
// Rust worker with cargo ("" when there is no cargo).
func buildMixed(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	apiBin := filepath.Join(dir, "api")
	if out, err := exec.Command("go", "build", "-o", apiBin, "../examples/mixed/api").CombinedOutput(); err != nil {
		t.Fatalf("go build api: %v\n%s", err, out)
	}
	programs := map[string]string{"api": apiBin, "worker": ""}
	if cargo := toolPath("cargo"); cargo != "" {
		cmd := exec.Command(cargo, "build", "--offline", "--release", "--manifest-path", "../examples/mixed/worker/Cargo.toml")
		cmd.Env = append(os.Environ(), "CARGO_TARGET_DIR="+filepath.Join(dir, "target"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("cargo build worker: %v\n%s", err, out)
		}
		programs["worker"] = filepath.Join(dir, "target", "release", "worker")
	}
	return programs
}
