package e2e

import (
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// ward mask --env takes the values to mask from the vault, as ward.yaml
// declares them.
func TestMaskFromVault(t *testing.T) {
	s := startDev(t, "")
	const pw, key = "db-pw-9f8e7d6c5b", "sk_live_abcdef0123456789"
	s.mustWard(`{"password":"`+pw+`","host":"db.internal"}`, "kv", "put", "--env", "staging", "payments/db")
	s.mustWard(`{"secret_key":"`+key+`"}`, "kv", "put", "--env", "staging", "payments/stripe")
	dir := t.TempDir()
	manifest := filepath.Join(dir, "ward.yaml")
	os.WriteFile(manifest, []byte(`version: 1
components:
  api:
    language: go
    env:
      DB_PASSWORD: {from: payments/db, field: password}
      STRIPE_KEY: {from: payments/stripe, field: secret_key}
      SENTRY_DSN: {from: shared/sentry, field: dsn, optional: true}
`), 0o600)
	log := "connect " + pw + "\nkey=" + base64.StdEncoding.EncodeToString([]byte(key)) + "\nhost db.internal ok\n"
	cmd := exec.Command(wardBin, "mask", "--env", "staging", "-f", manifest)
	cmd.Env = append(os.Environ(), "WARD_ADDR="+s.Addr, "WARD_TOKEN="+s.Token)
	cmd.Stdin = strings.NewReader(log)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("ward mask --env: %v\n%s", err, errOut.String())
	}
	got := out.String()
	if strings.Contains(got, pw) || strings.Contains(got, base64.StdEncoding.EncodeToString([]byte(key))) {
		t.Fatalf("a value survived masking:\n%s", got)
	}
	if !strings.Contains(got, "[masked:payments/db.password]") || !strings.Contains(got, "[masked:payments/stripe.secret_key]") {
		t.Fatalf("replacements missing:\n%s", got)
	}
	if !strings.Contains(errOut.String(), "staging/shared/sentry cannot be masked") {
		t.Fatalf("no warning about the secret that could not be fetched:\n%s", errOut.String())
	}
}
