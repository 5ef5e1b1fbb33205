package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/auth/jwtauth/oidctest"
)

// TestRunAndCheckWithRole: in a GitLab CI job, ward check --role and ward
// run --role log in with the job's OIDC token themselves, fetch with that
// token, store none, and revoke it once the secrets are fetched.
func TestRunAndCheckWithRole(t *testing.T) {
	s := startDev(t, "")
	iss := oidctest.New()
	defer iss.Close()
	s.mustWard("rules:\n  - path: staging/app/*\n    capabilities: [read]\n", "policy", "write", "ci-staging", "-f", "-")
	s.mustWard(`{"password":"role-db-pw-5f1c"}`, "kv", "put", "--env", "staging", "app/db")
	root := vaultClient(t, s, s.Token)
	for path, body := range map[string]map[string]any{
		"auth/jwt/config": {"oidc_discovery_url": iss.URL},
		"auth/jwt/role/gitlab-staging": {"bound_audiences": "ward", "bound_claims": map[string]any{"project_id": "22", "ref_protected": "true"},
			"token_policies": "ci-staging", "token_ttl": "10m", "environment": "staging"},
	} {
		if _, err := root.Logical().Write(path, body); err != nil {
			t.Fatalf("write %s: %v", path, err)
		}
	}
	dir := t.TempDir()
	manifest := filepath.Join(dir, "ward.yaml")
	os.WriteFile(manifest, []byte("version: 1\ncomponents:\n  api:\n    language: go\n    env:\n      DB_PASSWORD: {from: app/db, field: password}\n"), 0o600)
	jwt := iss.Sign(iss.GitLab(oidctest.GitLabJob{Audience: "ward", PipelineID: "9191"}))
	home := t.TempDir()
	job := []string{"GITLAB_CI=true", "WARD_ID_TOKEN=" + jwt}

	out, errOut, code := ciWard(t, s, home, job, "check", "--env", "staging", "-f", manifest, "--role", "gitlab-staging")
	if code != 0 || !strings.Contains(out, "1 secret checked for component api in staging: 0 failed") {
		t.Fatalf("check --role: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = ciWard(t, s, home, job, "run", "--env", "staging", "-f", manifest, "--role", "gitlab-staging", "--",
		"sh", "-c", `[ "$DB_PASSWORD" = role-db-pw-5f1c ] && [ -z "$WARD_TOKEN" ] && echo "got $DB_PASSWORD"`)
	if code != 0 || strings.TrimSpace(out) != "got [masked:app/db.password]" {
		t.Fatalf("run --role: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(home, "token")); !os.IsNotExist(err) {
		t.Errorf("a --role command stored a token: %v", err)
	}
	// Each login's token was revoked right after its fetch.
	audit, err := os.ReadFile(filepath.Join(s.Data, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	logins, revokes := 0, 0
	for _, line := range strings.Split(string(audit), "\n") {
		if !strings.Contains(line, `"type":"response"`) || strings.Contains(line, `"error":`) {
			continue
		}
		if strings.Contains(line, `"path":"auth/jwt/login"`) {
			logins++
		}
		if strings.Contains(line, `"path":"auth/token/revoke-self"`) {
			revokes++
		}
	}
	if logins != 2 || revokes != 2 {
		t.Errorf("%d logins and %d revocations in the audit log, want 2 and 2", logins, revokes)
	}

	// A job the role refuses starts nothing.
	other := iss.Sign(iss.GitLab(oidctest.GitLabJob{Audience: "ward", ProjectID: "23"}))
	out, errOut, code = ciWard(t, s, home, []string{"GITLAB_CI=true", "WARD_ID_TOKEN=" + other}, "run", "--env", "staging", "-f", manifest, "--role", "gitlab-staging", "--", "sh", "-c", "echo started")
	if code == 0 || strings.Contains(out, "started") || !strings.Contains(errOut, "project_id") {
		t.Errorf("refused job: exit %d\n%s%s", code, out, errOut)
	}
}
