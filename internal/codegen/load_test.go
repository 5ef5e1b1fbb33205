package codegen

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// loadChecks runs a harness's Load, built from conformanceComponent: the
// values arrive, sensitive ones print as [redacted], and errors name the
// source, field and rule but never the value.
func loadChecks(t *testing.T, h *harness) {
	const pw = "Zq9!unusual-secret-2026"
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "db"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "db", "password"), []byte(pw), 0o600); err != nil {
		t.Fatal(err)
	}
	good := []string{"DB_PASSWORD=" + pw, "DB_PORT=5432", "DB_HOST=db.internal", "WARD_SECRETS_DIR=" + dir, "WARD_MISSING=SENTRY_DSN"}
	out := h.load(t, good...)
	if strings.Contains(out, pw) || strings.Contains(out, "unusual-secret") {
		t.Errorf("a loaded secret printed in the clear:\n%s", out)
	}
	for _, want := range []string{"[redacted]", "db.internal", "5432", "revealed length 23"} {
		if !strings.Contains(out, want) {
			t.Errorf("Load's output lacks %q:\n%s", want, out)
		}
	}

	bad := []string{"DB_PASSWORD=", "DB_PORT=70000", "DB_HOST=bad host value!", "SENTRY_DSN=https://k@sentry"}
	out = h.load(t, bad...)
	for _, want := range []string{
		"$DB_PASSWORD", "minLength", "$DB_PORT", "maximum", "$DB_HOST", "pattern",
		"$WARD_SECRETS_DIR/db/password", "required",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("Load's error lacks %q:\n%s", want, out)
		}
	}
	for _, value := range []string{"70000", "bad host value", "k@sentry"} {
		if strings.Contains(out, value) {
			t.Errorf("Load's error quotes the value %q:\n%s", value, out)
		}
	}
}
