package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
)

// TestImportFromVault: ward import vault reads a KV v2 tree through the
// Vault API, here served by another ward server (ward speaks Vault's API,
// so this is the same client path a HashiCorp Vault or OpenBao source
// takes), into one environment: a dry run writes nothing, the import copies
// current values and custom metadata, a second run changes nothing, and no
// value is ever printed.
func TestImportFromVault(t *testing.T) {
	src, dst := startDev(t, ""), startDev(t, "")
	src.mustWard(`{"password":"import-canary-db","port":5432}`, "kv", "put", "--env", "staging", "payments/db")
	src.mustWard("", "kv", "metadata", "put", "--env", "staging", "payments/db", "owner=payments", "rotate_every=90d")
	src.mustWard(`{"secret_key":"import-canary-stripe"}`, "kv", "put", "--env", "staging", "payments/cards/stripe")
	src.mustWard(`{"gone":"import-canary-deleted"}`, "kv", "put", "--env", "staging", "payments/old")
	src.mustWard("", "kv", "delete", "--env", "staging", "payments/old")
	src.mustWard(`{"other":"not-imported"}`, "kv", "put", "--env", "staging", "shared/sentry")
	t.Setenv("VAULT_TOKEN", src.Token)
	args := []string{"import", "vault", "--env", "prod", "--from-addr", src.Addr, "--mount", "staging", "--prefix", "payments", "--format", "json"}

	type summary struct {
		Created, Updated, Unchanged, Failed int
		DryRun                              bool `json:"dry_run"`
		Results                             []struct{ Path, Action string }
	}
	run := func(extra ...string) summary {
		t.Helper()
		out, errOut, code := dst.ward(dst.Token, "", append(args, extra...)...)
		if code != 0 {
			t.Fatalf("ward import: exit %d\n%s\n%s", code, out, errOut)
		}
		for _, canary := range []string{"import-canary-db", "import-canary-stripe", "import-canary-deleted"} {
			if strings.Contains(out+errOut, canary) {
				t.Fatalf("ward import printed a value:\n%s\n%s", out, errOut)
			}
		}
		if !strings.Contains(errOut, "staging/payments/old: skipped") {
			t.Errorf("the deleted secret was not reported as skipped:\n%s", errOut)
		}
		var s summary
		decodeJSON(t, out, &s)
		return s
	}

	if s := run("--dry-run"); !s.DryRun || s.Created != 2 || len(s.Results) != 2 {
		t.Fatalf("dry run: %+v", s)
	}
	if _, _, code := dst.ward(dst.Token, "", "kv", "get", "--env", "prod", "payments/db"); code == 0 {
		t.Fatal("the dry run wrote a secret")
	}
	if s := run(); s.Created != 2 || s.Failed != 0 {
		t.Fatalf("import: %+v", s)
	}
	var got struct {
		Data     map[string]any `json:"data"`
		Metadata struct {
			Version int `json:"version"`
		} `json:"metadata"`
	}
	decodeJSON(t, dst.mustWard("", "kv", "get", "--env", "prod", "payments/db", "--format", "json"), &got)
	if got.Data["password"] != "import-canary-db" || got.Data["port"] != float64(5432) || got.Metadata.Version != 1 {
		t.Fatalf("imported secret: %+v", got)
	}
	if md := dst.mustWard("", "kv", "metadata", "get", "--env", "prod", "payments/db"); !strings.Contains(md, "payments") || !strings.Contains(md, "90d") {
		t.Fatalf("custom metadata not imported:\n%s", md)
	}
	if _, _, code := dst.ward(dst.Token, "", "kv", "get", "--env", "prod", "payments/cards/stripe"); code != 0 {
		t.Fatal("a secret in a sub-folder was not imported")
	}
	if _, _, code := dst.ward(dst.Token, "", "kv", "get", "--env", "prod", "shared/sentry"); code == 0 {
		t.Fatal("a secret outside --prefix was imported")
	}

	// Again: nothing changes, no new version.
	if s := run(); s.Unchanged != 2 || s.Created+s.Updated != 0 {
		t.Fatalf("second import: %+v", s)
	}
	decodeJSON(t, dst.mustWard("", "kv", "get", "--env", "prod", "payments/db", "--format", "json"), &got)
	if got.Metadata.Version != 1 {
		t.Fatalf("a second import made version %d", got.Metadata.Version)
	}

	// A source token that may not read: a clear error, nothing written.
	t.Setenv("VAULT_TOKEN", "not-a-token")
	_, errOut, code := dst.ward(dst.Token, "", "import", "vault", "--env", "dev", "--from-addr", src.Addr, "--mount", "staging")
	if code == 0 || !strings.Contains(errOut, "permission denied") || !strings.Contains(errOut, "hint:") {
		t.Fatalf("bad source token: exit %d\n%s", code, errOut)
	}
}

// TestImportFiles: .env files, JSON on stdin and SOPS files (decrypted by
// the real sops with an age key made for the test) import into an
// environment; values never appear in output; a malformed file changes
// nothing.
func TestImportFiles(t *testing.T) {
	s := startDev(t, "")
	dir := t.TempDir()
	env := filepath.Join(dir, ".env")
	os.WriteFile(env, []byte("# api\nexport API_TOKEN=dotenv-canary\nDB_URL=\"postgres://u:p@h/db\"\n"), 0o600)
	out := s.mustWard("", "import", "dotenv", "--env", "dev", "--path", "api/config", env)
	if !strings.Contains(out, "dev/api/config: created") || strings.Contains(out, "dotenv-canary") {
		t.Fatalf("dotenv import:\n%s", out)
	}
	if got := s.mustWard("", "kv", "get", "--env", "dev", "api/config", "--field", "API_TOKEN"); strings.TrimSpace(got) != "dotenv-canary" {
		t.Fatalf("API_TOKEN = %q", got)
	}

	// A duplicate variable: refused with its line, nothing written.
	os.WriteFile(env, []byte("A=1\nA=dotenv-canary-2\n"), 0o600)
	_, errOut, code := s.ward(s.Token, "", "import", "dotenv", "--env", "dev", "--path", "api/dup", env)
	if code == 0 || !strings.Contains(errOut, ".env:2: A is already set on line 1") || strings.Contains(errOut, "dotenv-canary-2") {
		t.Fatalf("duplicate: exit %d\n%s", code, errOut)
	}
	if _, _, code := s.ward(s.Token, "", "kv", "get", "--env", "dev", "api/dup"); code == 0 {
		t.Fatal("a refused import wrote a secret")
	}

	// JSON from stdin, as another decrypting tool would pipe it.
	out = s.mustWard(`{"payments":{"db":{"password":"json-canary"}}}`, "import", "json", "--env", "dev", "--path", "imported", "-")
	if !strings.Contains(out, "dev/imported/payments/db: created") || strings.Contains(out, "json-canary") {
		t.Fatalf("json import:\n%s", out)
	}

	if _, err := exec.LookPath("sops"); err != nil {
		if os.Getenv("WARD_TEST_SOPS_REQUIRED") == "1" {
			t.Fatal("sops is required (WARD_TEST_SOPS_REQUIRED=1) but not on PATH")
		}
		t.Skip("sops is not installed; `make test` installs it")
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "age.key")
	os.WriteFile(keyFile, []byte(id.String()+"\n"), 0o600)
	plain := filepath.Join(dir, "plain.yaml")
	os.WriteFile(plain, []byte("payments:\n  stripe:\n    secret_key: sops-canary\n"), 0o600)
	enc := exec.CommandContext(context.Background(), "sops", "--encrypt", "--age", id.Recipient().String(), plain)
	encrypted, err := enc.Output()
	if err != nil {
		t.Fatalf("sops --encrypt: %v", err)
	}
	os.Remove(plain)
	file := filepath.Join(dir, "secrets.enc.yaml")
	os.WriteFile(file, encrypted, 0o600)
	t.Setenv("SOPS_AGE_KEY_FILE", keyFile)
	out = s.mustWard("", "import", "sops", "--env", "dev", "--format", "json", file)
	var sum struct{ Created int }
	if json.Unmarshal([]byte(out), &sum); sum.Created != 1 || strings.Contains(out, "sops-canary") {
		t.Fatalf("sops import:\n%s", out)
	}
	if got := s.mustWard("", "kv", "get", "--env", "dev", "payments/stripe", "--field", "secret_key"); strings.TrimSpace(got) != "sops-canary" {
		t.Fatalf("secret_key = %q", got)
	}
}
