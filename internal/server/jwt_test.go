package server

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/auth/jwtauth/oidctest"
)

const jwtAud = "https://ward.example.com"

// jwtSetup configures the JWT method against a local issuer, with a staging
// role for any branch of repository 74 and a prod role for main in the
// production environment.
func jwtSetup(t *testing.T, s *testServer) *oidctest.Issuer {
	t.Helper()
	iss := oidctest.New()
	t.Cleanup(iss.Close)
	for _, p := range []struct{ name, rules string }{
		{"ci-staging", "rules:\n  - path: staging/app/*\n    capabilities: [read, create]\n  - path: auth/token/create\n    capabilities: [create]\n"},
		{"ci-prod", "rules:\n  - path: prod/app/*\n    capabilities: [read]\n"},
	} {
		if st, b := s.do("PUT", "/v1/sys/policies/acl/"+p.name, s.root, mustJSON(map[string]any{"policy": p.rules})); st != 204 {
			t.Fatalf("policy: %d %v", st, b)
		}
	}
	steps := []struct{ path, body string }{
		{"/v1/auth/jwt/config", mustJSON(map[string]any{"oidc_discovery_url": iss.URL})},
		{"/v1/auth/jwt/role/staging", mustJSON(map[string]any{
			"role_type": "jwt", "bound_audiences": jwtAud, "bound_claims_type": "glob",
			"bound_claims":   map[string]any{"repository_id": "74", "ref": "refs/heads/*"},
			"token_policies": "ci-staging", "token_ttl": "10m", "token_max_ttl": 1800, "environment": "staging",
		})},
		{"/v1/auth/jwt/role/prod", mustJSON(map[string]any{
			"bound_audiences": []string{jwtAud},
			"bound_claims":    map[string]any{"repository_id": "74", "ref": "refs/heads/main", "environment": "production"},
			"token_policies":  []string{"ci-prod"}, "environment": "prod",
		})},
	}
	for _, st := range steps {
		if code, b := s.do("POST", st.path, s.root, st.body); code != 204 {
			t.Fatalf("%s: %d %v", st.path, code, b)
		}
	}
	return iss
}

func (s *testServer) jwtLogin(role, jwt string) (int, map[string]any) {
	return s.do("POST", "/v1/auth/jwt/login", "", mustJSON(map[string]any{"role": role, "jwt": jwt}))
}

func TestJWTLogin(t *testing.T) {
	s := newTestServer(t)
	iss := jwtSetup(t, s)
	s.do("POST", "/v1/staging/data/app/db", s.root, `{"data":{"password":"staging-pw"}}`)
	s.do("POST", "/v1/prod/data/app/db", s.root, `{"data":{"password":"prod-pw"}}`)

	jwt := iss.Sign(iss.GitHub(oidctest.GitHubJob{Audience: jwtAud, Ref: "refs/heads/feature", RunID: "555"}))
	st, body := s.jwtLogin("staging", jwt)
	if st != 200 {
		t.Fatalf("login: %d %v", st, body)
	}
	a := body["auth"].(map[string]any)
	for _, k := range []string{"client_token", "accessor", "policies", "token_policies", "metadata", "lease_duration", "renewable"} {
		if _, ok := a[k]; !ok {
			t.Errorf("auth block lacks %q: %v", k, a)
		}
	}
	if ld, _ := a["lease_duration"].(float64); ld < 590 || ld > 600 || a["env"] != "staging" || mustJSON(a["token_policies"]) != `["ci-staging"]` {
		t.Errorf("auth block: %v", a)
	}
	meta := a["metadata"].(map[string]any)
	if meta["ci_run_id"] != "555" || meta["ci_repository"] != "acme/api" || meta["role"] != "staging" || meta["issuer"] != iss.URL {
		t.Errorf("metadata: %v", meta)
	}
	tok := a["client_token"].(string)

	// The token reads its staging secrets, and nothing in prod.
	if st, b := s.do("GET", "/v1/staging/data/app/db", tok, ""); st != 200 {
		t.Fatalf("staging read: %d %v", st, b)
	}
	if st, _ := s.do("GET", "/v1/prod/data/app/db", tok, ""); st != 403 {
		t.Fatalf("prod read with a staging token: %d", st)
	}
	// The staging job's token cannot log in to the prod role.
	if st, b := s.jwtLogin("prod", jwt); st != 400 || !strings.Contains(errText(b), "invalid JWT") {
		t.Fatalf("staging job on the prod role: %d %v", st, b)
	}
	// A batched fetch, as ward run makes, is audited secret by secret.
	if st, b := s.do("POST", "/v1/sys/ward/fetch/staging", tok, `{"paths":["app/db"]}`); st != 200 {
		t.Fatalf("fetch: %d %v", st, b)
	}
	// The audit log names the pipeline of the reads, and holds no JWT.
	raw, _ := os.ReadFile(s.audit)
	log := string(raw)
	if strings.Contains(log, jwt) || strings.Contains(log, tok) {
		t.Fatal("the audit log holds the JWT or the ward token in the clear")
	}
	found := 0
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		var e struct {
			Path, Type string
			Status     int
			Meta       map[string]string
		}
		json.Unmarshal([]byte(line), &e)
		if e.Path == "staging/data/app/db" && e.Type == "response" && e.Status == 200 && e.Meta["ci_run_id"] == "555" {
			found++
		}
	}
	if found != 2 {
		t.Fatalf("no audited read carries the pipeline's run id:\n%s", log)
	}

	// Revoking it ends access at once, for it and its children.
	st, cb := s.do("POST", "/v1/auth/token/create", tok, `{"policies":["ci-staging"]}`)
	if st != 200 {
		t.Fatalf("child: %d %v", st, cb)
	}
	child := cb["auth"].(map[string]any)["client_token"].(string)
	if st, _ := s.do("POST", "/v1/auth/token/revoke-self", tok, ""); st != 204 {
		t.Fatal(st)
	}
	for _, x := range []string{tok, child} {
		if st, _ := s.do("GET", "/v1/staging/data/app/db", x, ""); st != 403 {
			t.Fatalf("read after revocation: %d", st)
		}
	}

	// A prod job gets a prod token.
	prodJWT := iss.Sign(iss.GitHub(oidctest.GitHubJob{Audience: jwtAud, Environment: "production"}))
	if st, b := s.jwtLogin("prod", prodJWT); st != 200 || b["auth"].(map[string]any)["env"] != "prod" {
		t.Fatalf("prod login: %d %v", st, b)
	}
}

func TestJWTLoginRefusals(t *testing.T) {
	s := newTestServer(t)
	iss := jwtSetup(t, s)
	good := iss.Sign(iss.GitHub(oidctest.GitHubJob{Audience: jwtAud}))
	tests := []struct {
		name, body string
		status     int
		want       string
	}{
		{"no role", mustJSON(map[string]any{"jwt": good}), 400, `missing "role"`},
		{"no jwt", mustJSON(map[string]any{"role": "staging"}), 400, `missing "jwt"`},
		{"unknown role", mustJSON(map[string]any{"role": "nope", "jwt": good}), 400, `role "nope" could not be found`},
		{"junk field", mustJSON(map[string]any{"role": "staging", "jwt": good, "x": 1}), 400, `unsupported field "x"`},
		{"malformed jwt", mustJSON(map[string]any{"role": "staging", "jwt": "not.a.jwt"}), 400, "invalid JWT"},
		{"alg none", mustJSON(map[string]any{"role": "staging", "jwt": oidctest.Forge(map[string]any{"alg": "none"}, iss.GitHub(oidctest.GitHubJob{Audience: jwtAud}), nil)}), 400, `alg "none"`},
		{"wrong audience", mustJSON(map[string]any{"role": "staging", "jwt": iss.Sign(iss.GitHub(oidctest.GitHubJob{}))}), 400, "aud does not contain"},
		{"body not an object", `["x"]`, 400, "JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, b := s.do("POST", "/v1/auth/jwt/login", "", tt.body)
			if st != tt.status || !strings.Contains(errText(b), tt.want) {
				t.Fatalf("got %d %v, want %d with %q", st, b, tt.status, tt.want)
			}
			if _, ok := b["auth"]; ok {
				t.Fatal("a refused login carries an auth block")
			}
		})
	}
	// Junk in every header changes nothing: still a clean login or refusal.
	st, b := s.do("POST", "/v1/auth/jwt/login", "", mustJSON(map[string]any{"role": "staging", "jwt": good}),
		"X-Vault-Token", "junk", "Authorization", "Bearer \xff\xfe", "X-Forwarded-For", "\xff", "Content-Type", "text/junk", "X-Ward-MFA", strings.Repeat("9", 4000))
	if st != 200 {
		t.Fatalf("junk headers: %d %v", st, b)
	}
	// A refused login is audited, with its reason.
	raw, _ := os.ReadFile(s.audit)
	if !strings.Contains(string(raw), `"path":"auth/jwt/login"`) || !strings.Contains(string(raw), `alg \"none\" is refused`) {
		t.Fatal("refused logins are not in the audit log")
	}
}

func TestJWTAdminEndpoints(t *testing.T) {
	s := newTestServer(t)
	iss := jwtSetup(t, s)
	good := iss.Sign(iss.GitHub(oidctest.GitHubJob{Audience: jwtAud}))
	role := func(edit map[string]any) string {
		b := map[string]any{"bound_audiences": []string{jwtAud}, "token_policies": []string{"p"}, "environment": "staging"}
		for k, v := range edit {
			if v == nil {
				delete(b, k)
			} else {
				b[k] = v
			}
		}
		return mustJSON(b)
	}
	tests := []struct {
		name, path, body string
		want             string
	}{
		{"role without bound_audiences", "/v1/auth/jwt/role/x", role(map[string]any{"bound_audiences": nil}), "bound_audiences: required"},
		{"role with an empty audience list", "/v1/auth/jwt/role/x", role(map[string]any{"bound_audiences": ""}), "bound_audiences: required"},
		{"role without environment", "/v1/auth/jwt/role/x", role(map[string]any{"environment": nil}), "environment: required"},
		{"role in a missing environment", "/v1/auth/jwt/role/x", role(map[string]any{"environment": "qa"}), "ward env create"},
		{"role with root", "/v1/auth/jwt/role/x", role(map[string]any{"token_policies": "root"}), "never gives the root policy"},
		{"role with an unknown field", "/v1/auth/jwt/role/x", role(map[string]any{"token_bound_cidrs": "10.0.0.0/8"}), `unsupported field "token_bound_cidrs"`},
		{"oidc role", "/v1/auth/jwt/role/x", role(map[string]any{"role_type": "oidc"}), "role_type"},
		{"bad role name", "/v1/auth/jwt/role/-x", role(nil), "role name"},
		{"bad duration", "/v1/auth/jwt/role/x", role(map[string]any{"token_ttl": "soon"}), "duration"},
		{"config with two sources", "/v1/auth/jwt/config", mustJSON(map[string]any{"oidc_discovery_url": iss.URL, "jwks_url": iss.JWKSURL()}), "exactly one"},
		{"config without issuer", "/v1/auth/jwt/config", mustJSON(map[string]any{"jwks_url": iss.JWKSURL()}), "bound_issuer: required"},
		{"config with an unreachable issuer", "/v1/auth/jwt/config", mustJSON(map[string]any{"jwks_url": iss.URL + "/nope", "bound_issuer": iss.URL}), "HTTP 404"},
		{"config with a static key of the wrong kind", "/v1/auth/jwt/config", mustJSON(map[string]any{"jwt_validation_pubkeys": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "bound_issuer": iss.URL}), "jwt_validation_pubkeys[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, b := s.do("POST", tt.path, s.root, tt.body)
			if st != 400 || !strings.Contains(errText(b), tt.want) {
				t.Fatalf("got %d %v, want 400 with %q", st, b, tt.want)
			}
			// Nothing changed: no role x, and the old config still logs in.
			if st, _ := s.do("GET", "/v1/auth/jwt/role/x", s.root, ""); st != 404 {
				t.Fatalf("role x exists after a refused write: %d", st)
			}
			if st, _ := s.jwtLogin("staging", good); st != 200 {
				t.Fatalf("login after a refused write: %d", st)
			}
		})
	}
	// Reads, lists and deletes, in Vault's shapes.
	st, b := s.do("GET", "/v1/auth/jwt/role/staging", s.root, "")
	if st != 200 {
		t.Fatal(st, b)
	}
	d := b["data"].(map[string]any)
	if d["token_ttl"] != float64(600) || d["token_max_ttl"] != float64(1800) || d["bound_claims_type"] != "glob" || d["environment"] != "staging" {
		t.Errorf("role read: %v", d)
	}
	if st, b := s.do("LIST", "/v1/auth/jwt/role", s.root, ""); st != 200 || mustJSON(b["data"]) != `{"keys":["prod","staging"]}` {
		t.Errorf("list: %d %v", st, b)
	}
	if st, b := s.do("GET", "/v1/auth/jwt/config", s.root, ""); st != 200 || b["data"].(map[string]any)["bound_issuer"] != iss.URL {
		t.Errorf("config read: %d %v", st, b)
	}
	// Admin endpoints need capabilities; a CI token has none of them.
	_, lb := s.jwtLogin("staging", good)
	ci := lb["auth"].(map[string]any)["client_token"].(string)
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/v1/auth/jwt/config", ""},
		{"POST", "/v1/auth/jwt/config", mustJSON(map[string]any{"jwks_url": "https://evil.example/jwks", "bound_issuer": "x"})},
		{"POST", "/v1/auth/jwt/role/staging", role(nil)},
		{"DELETE", "/v1/auth/jwt/role/prod", ""},
		{"LIST", "/v1/auth/jwt/role", ""},
	} {
		if st, _ := s.do(c.method, c.path, ci, c.body); st != 403 {
			t.Errorf("%s %s with a CI token: %d", c.method, c.path, st)
		}
		if st, _ := s.do(c.method, c.path, "", c.body); st != 403 {
			t.Errorf("%s %s without a token: %d", c.method, c.path, st)
		}
	}
	if st, _ := s.do("DELETE", "/v1/auth/jwt/role/staging", s.root, ""); st != 204 {
		t.Fatal(st)
	}
	if st, _ := s.jwtLogin("staging", good); st != 400 {
		t.Fatalf("login to a deleted role: %d", st)
	}
}

// A role pinned to an environment that was deleted and made again gives
// no token until it is written again.
func TestJWTEnvRecreated(t *testing.T) {
	s := newTestServer(t)
	iss := jwtSetup(t, s)
	jwt := iss.Sign(iss.GitHub(oidctest.GitHubJob{Audience: jwtAud}))
	for _, step := range []struct{ method, path string }{{"DELETE", "/v1/sys/ward/envs/staging"}, {"POST", "/v1/sys/ward/envs/staging"}} {
		if st, b := s.do(step.method, step.path, s.root, "{}"); st/100 != 2 {
			t.Fatalf("%s %s: %d %v", step.method, step.path, st, b)
		}
	}
	if st, b := s.jwtLogin("staging", jwt); st != 400 || !strings.Contains(errText(b), "recreated") {
		t.Fatalf("login after the environment was recreated: %d %v", st, b)
	}
}

// errText is the error messages of an error answer, joined.
func errText(b map[string]any) string {
	var out []string
	for _, e := range b["errors"].([]any) {
		out = append(out, e.(string))
	}
	return strings.Join(out, "; ")
}

// The example roles in examples/jwt-roles are accepted as written, and the
// prod ones refuse every run the README says they refuse.
func TestJWTExampleRoles(t *testing.T) {
	s := newTestServer(t)
	iss := jwtSetup(t, s)
	for _, name := range []string{"github-staging", "github-prod", "gitlab-prod"} {
		b, err := os.ReadFile("../../examples/jwt-roles/" + name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		if st, body := s.do("POST", "/v1/auth/jwt/role/"+name, s.root, string(b)); st != 204 {
			t.Fatalf("%s: %d %v", name, st, body)
		}
	}
	gh := func(edit func(*oidctest.GitHubJob)) string {
		j := oidctest.GitHubJob{Audience: jwtAud, Repository: "acme/payments", RepositoryID: "123456789", RepositoryOwnerID: "987654", Environment: "production"}
		edit(&j)
		return iss.Sign(iss.GitHub(j))
	}
	gl := func(edit func(*oidctest.GitLabJob)) string {
		j := oidctest.GitLabJob{Audience: jwtAud, ProjectPath: "acme/payments", ProjectID: "4242", NamespaceID: "77", Environment: "production"}
		edit(&j)
		return iss.Sign(iss.GitLab(j))
	}
	tests := []struct {
		name, role, jwt string
		ok              bool
	}{
		{"github main in production", "github-prod", gh(func(*oidctest.GitHubJob) {}), true},
		{"github pull request", "github-prod", gh(func(j *oidctest.GitHubJob) {
			j.EventName, j.Ref, j.Environment = "pull_request", "refs/pull/7/merge", ""
		}), false},
		{"github pull request in production", "github-prod", gh(func(j *oidctest.GitHubJob) { j.EventName, j.Ref = "pull_request", "refs/pull/7/merge" }), false},
		{"github other branch", "github-prod", gh(func(j *oidctest.GitHubJob) { j.Ref = "refs/heads/release" }), false},
		{"github recreated repository", "github-prod", gh(func(j *oidctest.GitHubJob) { j.RepositoryID = "123456790" }), false},
		{"github new owner", "github-prod", gh(func(j *oidctest.GitHubJob) { j.RepositoryOwnerID = "1" }), false},
		{"github staging environment", "github-prod", gh(func(j *oidctest.GitHubJob) { j.Environment = "staging" }), false},
		{"github pull_request_target", "github-prod", gh(func(j *oidctest.GitHubJob) { j.EventName = "pull_request_target" }), false},
		{"github other audience", "github-prod", gh(func(j *oidctest.GitHubJob) { j.Audience = "sts.amazonaws.com" }), false},
		{"github staging any branch", "github-staging", gh(func(j *oidctest.GitHubJob) { j.Ref, j.Environment = "refs/heads/feature", "" }), true},
		{"github staging pull request", "github-staging", gh(func(j *oidctest.GitHubJob) { j.Ref, j.Environment = "refs/pull/7/merge", "" }), true},
		{"github staging nested branch", "github-staging", gh(func(j *oidctest.GitHubJob) { j.Ref, j.Environment = "refs/heads/feat/x", "" }), false},
		{"gitlab protected main in production", "gitlab-prod", gl(func(*oidctest.GitLabJob) {}), true},
		{"gitlab unprotected", "gitlab-prod", gl(func(j *oidctest.GitLabJob) { j.RefProtected = "false" }), false},
		{"gitlab other project", "gitlab-prod", gl(func(j *oidctest.GitLabJob) { j.ProjectID = "4243" }), false},
		{"gitlab other branch", "gitlab-prod", gl(func(j *oidctest.GitLabJob) { j.Ref = "dev" }), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, b := s.jwtLogin(tt.role, tt.jwt)
			if (st == 200) != tt.ok {
				t.Fatalf("got %d %v, want ok=%v", st, b, tt.ok)
			}
		})
	}
}
