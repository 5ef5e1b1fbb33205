package e2e

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/auth/jwtauth/oidctest"
)

// ciWard runs the CLI as a CI job would: against s, with no WARD_TOKEN,
// its own config directory (where ward login --ci writes the token), and
// the CI platform's variables in env.
func ciWard(t *testing.T, s *devServer, home string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, wardBin, args...)
	cmd.Env = append(os.Environ(), "WARD_ADDR="+s.Addr, "WARD_TOKEN=", "WARD_CONFIG_DIR="+home,
		"ACTIONS_ID_TOKEN_REQUEST_URL=", "ACTIONS_ID_TOKEN_REQUEST_TOKEN=", "WARD_ID_TOKEN=", "GITHUB_ACTIONS=", "GITLAB_CI=")
	cmd.Env = append(cmd.Env, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running ward %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// TestJWTLoginCI: the real binary with a local OIDC issuer. A GitHub
// Actions job and a GitLab CI job log in with ward login --ci, read their
// staging secrets and nothing in prod; revoking the token ends access at
// once; the audit log names the pipeline run that read each secret.
func TestJWTLoginCI(t *testing.T) {
	s := startDev(t, "")
	iss := oidctest.New()
	defer iss.Close()
	ctx := context.Background()

	// Policies as code, secrets in both environments.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ci-staging.yaml"), []byte("rules:\n  - path: staging/app/*\n    capabilities: [read]\n  - path: auth/token/create\n    capabilities: [create]\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "ci-prod.yaml"), []byte("rules:\n  - path: prod/app/*\n    capabilities: [read]\n"), 0o600)
	s.mustWard("", "policy", "write", "ci-staging", "-f", filepath.Join(dir, "ci-staging.yaml"))
	s.mustWard("", "policy", "write", "ci-prod", "-f", filepath.Join(dir, "ci-prod.yaml"))
	s.mustWard(`{"password":"staging-db-pw"}`, "kv", "put", "--env", "staging", "app/db")
	s.mustWard(`{"password":"prod-db-pw"}`, "kv", "put", "--env", "prod", "app/db")

	// The JWT method, configured as Vault clients configure it.
	root := vaultClient(t, s, s.Token)
	for path, body := range map[string]map[string]any{
		"auth/jwt/config": {"oidc_discovery_url": iss.URL},
		"auth/jwt/role/staging": {"bound_audiences": "ward", "bound_claims_type": "glob",
			"bound_claims":   map[string]any{"repository_id": "74", "ref": "refs/heads/*"},
			"token_policies": "ci-staging", "token_ttl": "10m", "environment": "staging"},
		"auth/jwt/role/prod": {"bound_audiences": []string{"ward"},
			"bound_claims":   map[string]any{"repository_id": "74", "ref": "refs/heads/main", "environment": "production"},
			"token_policies": []string{"ci-prod"}, "environment": "prod"},
		"auth/jwt/role/gitlab-staging": {"bound_audiences": "https://ward.example.com",
			"bound_claims":   map[string]any{"project_id": "22", "ref_protected": "true"},
			"token_policies": "ci-staging", "environment": "staging"},
	} {
		if _, err := root.Logical().Write(path, body); err != nil {
			t.Fatalf("write %s: %v", path, err)
		}
	}

	// GitHub Actions' token service, as the runner sees it.
	audiences := make(chan string, 10)
	gh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "bearer runner-request-token" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		aud := r.URL.Query().Get("audience")
		audiences <- aud
		jwt := iss.Sign(iss.GitHub(oidctest.GitHubJob{Audience: aud, Ref: "refs/heads/feature-x", RunID: "424242"}))
		w.Write([]byte(`{"count":1,"value":"` + jwt + `"}`))
	}))
	defer gh.Close()
	ghEnv := []string{"GITHUB_ACTIONS=true", "ACTIONS_ID_TOKEN_REQUEST_URL=" + gh.URL + "/token?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN=runner-request-token"}

	home := t.TempDir()
	out, errOut, code := ciWard(t, s, home, ghEnv, "login", "--ci", "--role", "staging")
	if code != 0 {
		t.Fatalf("ward login --ci (GitHub): exit %d\n%s\n%s", code, out, errOut)
	}
	if aud := <-audiences; aud != "ward" || !strings.Contains(out, "staging") || !strings.Contains(out, "424242") {
		t.Fatalf("login output (audience %q):\n%s", aud, out)
	}
	fi, err := os.Stat(filepath.Join(home, "token"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v %v", fi, err)
	}
	tokBytes, _ := os.ReadFile(filepath.Join(home, "token"))
	ciToken := strings.TrimSpace(string(tokBytes))
	if strings.Contains(out+errOut, ciToken) {
		t.Fatal("ward login printed the token")
	}

	// The job reads its staging secret, and nothing in prod.
	if out, errOut, code := ciWard(t, s, home, nil, "kv", "get", "--env", "staging", "app/db"); code != 0 || !strings.Contains(out, "staging-db-pw") {
		t.Fatalf("staging read: %d\n%s\n%s", code, out, errOut)
	}
	if _, errOut, code := ciWard(t, s, home, nil, "kv", "get", "--env", "prod", "app/db"); code == 0 || !strings.Contains(errOut, "permission denied") {
		t.Fatalf("prod read with the staging job's token: %d\n%s", code, errOut)
	}
	// The same job cannot get a prod token: its ref and environment do not match.
	if out, errOut, code := ciWard(t, s, t.TempDir(), ghEnv, "login", "--ci", "--role", "prod"); code == 0 || !strings.Contains(errOut, "invalid JWT") {
		t.Fatalf("staging job on the prod role: %d\n%s\n%s", code, out, errOut)
	}

	// Revoking the parent ends access for it and its child at once.
	child, err := vaultClient(t, s, ciToken).Auth().Token().Create(nil)
	if err != nil {
		t.Fatalf("child token: %v", err)
	}
	if _, errOut, code := ciWard(t, s, home, nil, "token", "revoke", "--self"); code != 0 {
		t.Fatalf("revoke: %s", errOut)
	}
	for _, tok := range []string{ciToken, child.Auth.ClientToken} {
		if _, err := vaultClient(t, s, tok).KVv2("staging").Get(ctx, "app/db"); err == nil {
			t.Fatal("a revoked CI token still reads")
		}
	}

	// GitLab CI: the token comes in WARD_ID_TOKEN.
	glJWT := iss.Sign(iss.GitLab(oidctest.GitLabJob{Audience: "https://ward.example.com", PipelineID: "777"}))
	glHome := t.TempDir()
	if out, errOut, code := ciWard(t, s, glHome, []string{"GITLAB_CI=true", "WARD_ID_TOKEN=" + glJWT}, "login", "--ci", "--role", "gitlab-staging", "--format", "json"); code != 0 {
		t.Fatalf("ward login --ci (GitLab): %d\n%s\n%s", code, out, errOut)
	}
	if out, _, code := ciWard(t, s, glHome, nil, "kv", "get", "--env", "staging", "app/db"); code != 0 || !strings.Contains(out, "staging-db-pw") {
		t.Fatalf("GitLab job's staging read: %d", code)
	}
	// An unprotected ref gets nothing.
	unprotected := iss.Sign(iss.GitLab(oidctest.GitLabJob{Audience: "https://ward.example.com", Ref: "feature", RefProtected: "false"}))
	if _, errOut, code := ciWard(t, s, t.TempDir(), []string{"WARD_ID_TOKEN=" + unprotected}, "login", "--ci", "--role", "gitlab-staging"); code == 0 || !strings.Contains(errOut, "ref_protected") {
		t.Fatalf("unprotected ref: %d %s", code, errOut)
	}

	// Vault's own client logs in unchanged.
	sec, err := vaultClient(t, s, "").Logical().Write("auth/jwt/login", map[string]any{"role": "gitlab-staging", "jwt": glJWT})
	if err != nil || sec.Auth == nil || sec.Auth.ClientToken == "" || sec.Auth.Metadata["ci_run_id"] != "777" {
		t.Fatalf("vault client login: %+v %v", sec, err)
	}

	// The audit log answers which pipeline runs read the secret.
	out, errOut, code = ciWard(t, s, home, nil, "audit", "query", "--log", filepath.Join(s.Data, "audit.log"), "--path", "staging/app/db", "--format", "json")
	if code != 0 {
		t.Fatalf("audit query: %d %s", code, errOut)
	}
	var hits []struct {
		Status int
		Meta   map[string]string
	}
	decodeJSON(t, out, &hits)
	runs := map[string]bool{}
	for _, h := range hits {
		if h.Status == 200 {
			runs[h.Meta["ci_platform"]+":"+h.Meta["ci_run_id"]] = true
		}
	}
	if !runs["github:424242"] || !runs["gitlab:777"] {
		t.Fatalf("audit query does not name both pipeline runs: %v\n%s", runs, out)
	}
	log, _ := os.ReadFile(filepath.Join(s.Data, "audit.log"))
	if bytes.Contains(log, []byte(glJWT)) || bytes.Contains(log, []byte(ciToken)) || bytes.Contains(log, []byte("staging-db-pw")) {
		t.Fatal("the audit log holds a JWT, a token or a secret value in the clear")
	}
	if strings.Contains(s.Logs(), glJWT[len(glJWT)-30:]) {
		t.Fatal("the server logged a JWT")
	}
}
