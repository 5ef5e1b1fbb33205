package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/auth/jwtauth/oidctest"
)

// ward auth jwt sets up CI login over the server's HTTP API: the config,
// a role from the GitHub preset (shown first with --dry-run), and a job of
// the bound repository logs in while one of another repository does not.
func TestAuthJWTGitHubPreset(t *testing.T) {
	t.Parallel()
	root := testServer(t)
	iss := oidctest.New()
	t.Cleanup(iss.Close)
	env := []string{"WARD_ADDR=" + root.Address(), "WARD_TOKEN=" + root.Token(), "WARD_CONFIG_DIR=" + t.TempDir()}
	ward := func(t *testing.T, want int, args ...string) (string, string) {
		t.Helper()
		var out, errb bytes.Buffer
		if code := runCLI(args, nil, &out, &errb, env...); code != want {
			t.Fatalf("ward %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, out.String(), errb.String())
		}
		return out.String(), errb.String()
	}

	// The presets' issuers, without a server that could reach them.
	out, _ := ward(t, 0, "auth", "jwt", "config", "write", "--preset", "github", "--dry-run", "--format", "json")
	var cfg map[string]string
	if err := json.Unmarshal([]byte(out), &cfg); err != nil || cfg["bound_issuer"] != "https://token.actions.githubusercontent.com" ||
		cfg["jwks_url"] != "https://token.actions.githubusercontent.com/.well-known/jwks" {
		t.Fatalf("github preset: %v %s", err, out)
	}
	out, _ = ward(t, 0, "auth", "jwt", "config", "write", "--preset", "gitlab", "--gitlab-url", "https://gitlab.example.com/", "--dry-run")
	if !strings.Contains(out, "issuer  https://gitlab.example.com\n") || !strings.Contains(out, "keys    https://gitlab.example.com/oauth/discovery/keys") {
		t.Fatalf("gitlab preset:\n%s", out)
	}

	ward(t, 0, "auth", "jwt", "config", "write", "--oidc-discovery-url", iss.URL)
	out, _ = ward(t, 0, "auth", "jwt", "config", "read", "--format", "json")
	if !strings.Contains(out, iss.URL) {
		t.Fatalf("config read: %s", out)
	}

	roleArgs := []string{"auth", "jwt", "role", "write", "ci-staging", "--preset", "github", "--repo", "acme/api", "--ref", "main", "--env", "staging", "--policy", "ci", "--ttl", "10m"}
	out, _ = ward(t, 0, append(roleArgs, "--dry-run")...)
	words := strings.Join(strings.Fields(out), " ")
	for _, want := range []string{
		"role ci-staging not written (dry run) accepts a CI token",
		"issued by " + iss.URL,
		"for audience ward",
		"whose claim ref = refs/heads/main and repository = acme/api",
		"not older than 1h (the server's default)",
		"and gives it a ward token for environment staging with policies ci for 10m0s, renewable up to 1h (the server's default)",
	} {
		if !strings.Contains(words, want) {
			t.Errorf("dry run lacks %q:\n%s", want, out)
		}
	}
	out, _ = ward(t, 0, "auth", "jwt", "role", "list", "--format", "json")
	if strings.TrimSpace(out) != "[]" {
		t.Fatalf("the dry run wrote the role: %s", out)
	}

	ward(t, 0, roleArgs...)
	out, _ = ward(t, 0, "auth", "jwt", "role", "read", "ci-staging", "--format", "json")
	if !strings.Contains(out, `"repository": "acme/api"`) || !strings.Contains(out, `"token_ttl": 600`) {
		t.Fatalf("role read: %s", out)
	}

	dir := t.TempDir()
	for _, job := range []struct {
		repo string
		code int
	}{{"acme/api", 0}, {"acme/other", 1}} {
		jwtFile := filepath.Join(dir, strings.ReplaceAll(job.repo, "/", "-"))
		os.WriteFile(jwtFile, []byte(iss.Sign(iss.GitHub(oidctest.GitHubJob{Audience: "ward", Repository: job.repo}))), 0o600)
		ward(t, job.code, "login", "--ci", "--role", "ci-staging", "--jwt-file", jwtFile)
	}
	if _, err := root.JWTRole(context.Background(), "ci-staging"); err != nil {
		t.Fatal(err)
	}
	ward(t, 0, "auth", "jwt", "role", "delete", "ci-staging")
	_, errOut := ward(t, 1, "auth", "jwt", "role", "read", "ci-staging")
	if !strings.Contains(errOut, `no role "ci-staging"`) {
		t.Fatalf("read of a deleted role: %s", errOut)
	}
}

func TestAuthJWTRoleUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--env", "staging", "--policy", "ci"}, "the role binds no claim"},
		{[]string{"--preset", "github", "--env", "staging", "--policy", "ci"}, "--preset github needs --repo"},
		{[]string{"--repo", "acme/api", "--env", "staging", "--policy", "ci"}, "go with --preset"},
		{[]string{"--preset", "github", "--repo", "a/b", "--protected", "--env", "staging", "--policy", "ci"}, "--protected goes with --preset gitlab"},
		{[]string{"--preset", "bitbucket", "--repo", "a/b", "--env", "staging", "--policy", "ci"}, `unknown --preset "bitbucket"`},
		{[]string{"--claim", "sub", "--env", "staging", "--policy", "ci"}, `--claim "sub" is not CLAIM=VALUE`},
		{[]string{"--claim", "sub=x", "--policy", "ci"}, "missing --env"},
		{[]string{"--claim", "sub=x", "--env", "staging"}, "missing --policy"},
	} {
		var out, errb bytes.Buffer
		code := runCLI(append([]string{"auth", "jwt", "role", "write", "r", "--dry-run"}, tc.args...), nil, &out, &errb)
		if code != exitUsage || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tc.args, code, errb.String(), tc.want)
		}
	}
}
