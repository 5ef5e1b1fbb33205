package server

import (
	"os"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/auth/jwtauth/oidctest"
	"github.com/wardhq/ward/internal/plan"
)

// A pipeline whose JWT carries its role's approval_claims (a deployment
// environment with required reviewers, a protected ref) applies to
// production without a TOTP code, audited as a CI approval; the same
// pipeline without them, or a role without approval_claims, is asked for
// the step-up a person answers with TOTP.
func TestCIApprovalAppliesToProd(t *testing.T) {
	s := newTestServer(t)
	iss := jwtSetup(t, s)
	s.mfaPolicy("prod-apply", "rules:\n  - path: sys/ward/apply\n    capabilities: [update]\n")
	s.mfaMust(204, "POST", "/v1/auth/jwt/role/deploy-prod", s.root, mustJSON(map[string]any{
		"bound_audiences": []string{jwtAud},
		"bound_claims":    map[string]any{"repository_id": "74"},
		"approval_claims": map[string]any{"environment": "production", "ref_protected": "true"},
		"token_policies":  []string{"prod-apply"}, "environment": "prod",
	}))
	out := s.mfaMust(200, "GET", "/v1/auth/jwt/role/deploy-prod", s.root, "")
	if got := out["data"].(map[string]any)["approval_claims"]; got.(map[string]any)["environment"] != "production" {
		t.Fatalf("role read: approval_claims %v", got)
	}
	login := func(env, protected string) string {
		claims := iss.GitHub(oidctest.GitHubJob{Audience: jwtAud, Environment: env})
		claims["ref_protected"] = protected
		out := s.mfaMust(200, "POST", "/v1/auth/jwt/login", "", mustJSON(map[string]any{"role": "deploy-prod", "jwt": iss.Sign(claims)}))
		return out["auth"].(map[string]any)["client_token"].(string)
	}
	state := func(path string) string {
		return applyBody(t, &plan.State{Policies: []plan.Policy{{Name: "ci-web", Text: "rules:\n  - path: " + path + "\n    capabilities: [read]\n"}}}, nil)
	}

	// Not approved: no environment, or an unprotected ref.
	for _, tok := range []string{login("", "true"), login("production", "false")} {
		st, body := s.do("POST", "/v1/sys/ward/apply", tok, state("prod/web/*"))
		if st != 403 || !strings.Contains(mfaErrText(body), "applying changes to production") {
			t.Fatalf("an unapproved pipeline's apply to prod: %d %v", st, body)
		}
	}
	if _, err := s.v.Policy("ci-web"); err == nil {
		t.Fatal("an unapproved apply was stored")
	}

	// Approved: applied, and audited as the pipeline's approval.
	tok := login("production", "true")
	meta := s.mfaMust(200, "GET", "/v1/auth/token/lookup-self", tok, "")["data"].(map[string]any)["meta"].(map[string]any)
	if meta["ward_approval"] != "environment=production, ref_protected=true" {
		t.Fatalf("the login's meta: %v", meta)
	}
	s.mfaMust(200, "POST", "/v1/sys/ward/apply", tok, state("prod/web/*"))
	if _, err := s.v.Policy("ci-web"); err != nil {
		t.Fatal(err)
	}
	log, _ := os.ReadFile(s.audit)
	if !strings.Contains(string(log), `"mfa":"ci-approval: environment=production, ref_protected=true"`) {
		t.Fatal("the audit log does not record the apply as approved by the pipeline")
	}
	// A token cannot claim the approval for itself.
	st, _ := s.do("POST", "/v1/auth/token/create", s.root, `{"policies":["prod-apply"],"env":"prod","meta":{"ward_approval":"environment=production"}}`)
	if st != 400 {
		t.Fatalf("a token created with ward_approval: %d", st)
	}
}

// approval_claims are checked when the role is written.
func TestApprovalClaimsChecked(t *testing.T) {
	s := newTestServer(t)
	jwtSetup(t, s)
	for _, claims := range []string{`{}`, `{"environment":[]}`, `{"":"x"}`, `{"environment":{"a":1}}`} {
		st, body := s.do("POST", "/v1/auth/jwt/role/bad", s.root, `{"bound_audiences":["`+jwtAud+`"],"token_policies":["ci-prod"],"environment":"prod","approval_claims":`+claims+`}`)
		if st != 400 || !strings.Contains(mfaErrText(body), "approval_claims") {
			t.Errorf("approval_claims %s: %d %v", claims, st, body)
		}
	}
}
