package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward/client"
)

// checkManifest needs one secret per failure kind of ward check.
const checkManifest = `version: 1
components:
  api:
    language: go
    env:
      DATABASE_URL: {from: payments/db, field: url}
      DB_PASSWORD:  {from: payments/db, field: password}
      PG_HOST:      {from: payments/pg, field: host, type: postgres}
      SIGNING_KEY:  {from: payments/signing, field: password, type: jwt-signing-key}
      STRIPE_KEY:   {from: payments/stripe, field: secret_key}
      SENTRY_DSN:   {from: shared/sentry, field: dsn, optional: true}
      ROOT_KEY:     {from: admin/root, field: key}
      LEGACY_KEY:   {from: payments/legacy, field: key}
      RETIRED:      {from: payments/retired}
    files:
      tls/client.pem: {from: payments/tls, field: cert}
  worker:
    language: rust
    env:
      DB_URL: {from: payments/db, field: url}
      SENTRY_DSN: {from: shared/sentry, field: dsn, optional: true}
`

// The values all hold "s3cr3t" so that a leak anywhere shows.
func TestCheck(t *testing.T) {
	s := startDev(t, "")
	s.mustWard(`{"url":"postgres://app:s3cr3t-url@db/app","port":5432}`, "kv", "put", "--env", "staging", "payments/db")
	s.mustWard(`{"key":"s3cr3t-root"}`, "kv", "put", "--env", "staging", "admin/root")
	// Untyped, and not what the manifest's type wants.
	s.mustWard(`{"host":"db","port":"s3cr3t-port","user":"app"}`, "kv", "put", "--env", "staging", "payments/pg")
	// Typed, but not the type the manifest names.
	s.mustWard("", "kv", "metadata", "put", "--env", "staging", "payments/signing", "type=password")
	s.mustWard(`{"password":"s3cr3t-signing"}`, "kv", "put", "--env", "staging", "payments/signing")
	s.mustWard(`{"key":"s3cr3t-legacy"}`, "kv", "put", "--env", "staging", "payments/legacy")
	s.mustWard(`{"cert":"s3cr3t-cert"}`, "kv", "put", "--env", "staging", "payments/tls")
	s.mustWard(`{"old":"s3cr3t-old"}`, "kv", "put", "--env", "staging", "payments/retired")
	s.mustWard("", "kv", "delete", "--env", "staging", "payments/retired")
	root, err := client.New(client.Config{Address: s.Addr, Token: s.Token})
	if err != nil {
		t.Fatal(err)
	}
	expired := map[string]any{"custom_metadata": map[string]string{"expires_at": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)}}
	if err := root.Do(context.Background(), "POST", "staging/metadata/payments/legacy", expired, nil); err != nil {
		t.Fatal(err)
	}
	// A CI token that may read payments/* and shared/*, not admin/*.
	s.mustWard("rules:\n  - path: staging/payments/*\n    capabilities: [read]\n  - path: staging/shared/*\n    capabilities: [read]\n", "policy", "write", "ci", "-f", "-")
	var tok struct {
		ClientToken string `json:"client_token"`
	}
	decodeJSON(t, s.mustWard("", "token", "create", "--env", "staging", "--policy", "ci", "--format", "json"), &tok)
	file := filepath.Join(t.TempDir(), "ward.yaml")
	if err := os.WriteFile(file, []byte(checkManifest), 0o644); err != nil {
		t.Fatal(err)
	}
	check := func(args ...string) (string, string, int) {
		t.Helper()
		out, errOut, code := s.ward(tok.ClientToken, "", append([]string{"check", "--env", "staging", "-f", file}, args...)...)
		if strings.Contains(out+errOut, "s3cr3t") || strings.Contains(out+errOut, "5432") {
			t.Errorf("ward check %v printed a value:\n%s%s", args, out, errOut)
		}
		return out, errOut, code
	}

	out, errOut, code := check("--component", "api")
	if code != 1 {
		t.Fatalf("api: exit %d, want 1\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		`staging/payments/db: field "password" missing (needed by DB_PASSWORD) — hint: ward kv patch --env staging payments/db password=@FILE`,
		`staging/payments/pg: does not conform to type postgres: field "port": must be an integer between 1 and 65535 (needed by PG_HOST) — hint: ward kv patch --env staging payments/pg port=@FILE ('ward type read postgres' shows the rules)`,
		`staging/payments/signing: is of type password, but the manifest names type jwt-signing-key (needed by SIGNING_KEY) — hint: if the manifest is right (line 9), retype it: ward kv metadata put --env staging payments/signing type=jwt-signing-key; else change type: in the manifest`,
		"staging/payments/stripe: no secret at this path (needed by STRIPE_KEY) — hint: ward kv put --env staging payments/stripe < value.json",
		"staging/shared/sentry: no secret at this path (needed by SENTRY_DSN, optional: left unset)",
		"staging/admin/root: permission denied",
		"staging/payments/legacy: expired at ",
		"staging/payments/retired: its current version is deleted or destroyed (needed by RETIRED) — hint: ward kv history --env staging payments/retired, then ward kv undelete",
		"9 secrets checked for component api in staging: 7 failed, 1 warning",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("api: output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "payments/tls") {
		t.Errorf("a readable file secret was reported:\n%s", out)
	}

	// JSON: the same problems with their severities.
	out, _, code = check("--component", "api", "--format", "json")
	var rep struct {
		OK       bool
		Checked  int
		Problems []struct{ Secret, Field, Var, Severity, Problem, Hint string }
	}
	decodeJSON(t, out, &rep)
	sev := map[string]string{}
	for _, p := range rep.Problems {
		sev[p.Secret+" "+p.Field] = p.Severity
	}
	want := map[string]string{"payments/db password": "error", "payments/stripe ": "error", "shared/sentry ": "warning", "admin/root ": "error", "payments/legacy ": "error", "payments/retired ": "error", "payments/pg port": "error", "payments/pg database": "error", "payments/pg password": "error", "payments/signing ": "error"}
	if code != 1 || rep.OK || rep.Checked != 9 || len(sev) != len(want) {
		t.Errorf("json: exit %d, %+v", code, rep)
	}
	for k, v := range want {
		if sev[k] != v {
			t.Errorf("json: %s has severity %q, want %q", k, sev[k], v)
		}
	}

	// An optional secret missing alone is a warning: exit 0.
	out, errOut, code = check("--component", "worker")
	if code != 0 || !strings.Contains(out, "optional: left unset") || !strings.Contains(out, "2 secrets checked for component worker in staging: 0 failed, 1 warning") {
		t.Errorf("worker: exit %d\n%s%s", code, out, errOut)
	}
	// Fixed: the secret that was missing and the field are added; check passes.
	s.mustWard(`{"password":"s3cr3t-pw"}`, "kv", "patch", "--env", "staging", "payments/db")
	s.mustWard(`{"dsn":"s3cr3t-dsn"}`, "kv", "put", "--env", "staging", "shared/sentry")
	out, _, code = check("--component", "worker")
	if code != 0 || !strings.HasPrefix(out, "2 secrets checked for component worker in staging: 0 failed, 0 warnings") {
		t.Errorf("worker after the fix: exit %d\n%s", code, out)
	}

	// Usage errors: several components and none named, an unknown one.
	_, errOut, code = check()
	if code != 2 || !strings.Contains(errOut, "api, worker") {
		t.Errorf("no --component: exit %d\n%s", code, errOut)
	}
	_, errOut, code = check("--component", "web")
	if code != 2 || !strings.Contains(errOut, `no component "web"`) {
		t.Errorf("unknown component: exit %d\n%s", code, errOut)
	}

	// A token of another environment is refused as a whole.
	var prodTok struct {
		ClientToken string `json:"client_token"`
	}
	decodeJSON(t, s.mustWard("", "token", "create", "--env", "prod", "--policy", "ci", "--format", "json"), &prodTok)
	out, errOut, code = s.ward(prodTok.ClientToken, "", "check", "--env", "staging", "-f", file, "--component", "worker")
	if code != 1 || !strings.Contains(errOut, "403") || !strings.Contains(errOut, "hint:") {
		t.Errorf("prod token on staging: exit %d\n%s%s", code, out, errOut)
	}

	// The server is down: a clear error, exit 1.
	s.Stop()
	_, errOut, code = check("--component", "worker")
	if code != 1 || !strings.Contains(errOut, "cannot reach ward") || !strings.Contains(errOut, "hint: is a ward server running there?") {
		t.Errorf("server down: exit %d\n%s", code, errOut)
	}
}
