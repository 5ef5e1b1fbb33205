package server

import (
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/auth/totp"
)

// stagingAdmin returns the token of a staging-bound user whose policy
// grants every global admin path, the attacker of issue 11 items 1 and 2.
func stagingAdmin(t *testing.T, s *testServer) string {
	t.Helper()
	s.mfaPolicy("staging-admin", `rules:
  - path: staging/**
    capabilities: [admin]
  - path: sys/policies/acl/*
    capabilities: [admin]
  - path: auth/userpass/users/**
    capabilities: [admin]
  - path: auth/jwt/role/*
    capabilities: [admin]
  - path: auth/jwt/config
    capabilities: [admin]
  - path: sys/seal
    capabilities: [update]
  - path: sys/rotate
    capabilities: [update]
  - path: sys/ward/snapshot
    capabilities: [read]
  - path: sys/ward/envs/**
    capabilities: [admin]
  - path: sys/ward/mfa/totp/users/*
    capabilities: [admin]
`)
	s.mfaMust(204, "POST", "/v1/auth/userpass/users/ops", s.root, mustJSON(map[string]any{"password": "correct horse", "token_policies": []string{"staging-admin"}, "environment": "staging"}))
	return s.mfaLogin("ops", "correct horse", "staging")
}

// A staging-bound token's admin rights stop at staging: no user, role or
// policy rule it writes reaches another environment, and no identity of
// another environment can be changed by it.
func TestAdminScopeHoldsToOwnEnvironment(t *testing.T) {
	s, _ := newMFAServer(t, nil)
	tok := stagingAdmin(t, s)
	s.mfaMust(200, "POST", "/v1/prod/data/app/db", s.root, `{"data":{"password":"prod-value"}}`)
	s.mfaPolicy("prod-read", "rules:\n  - path: prod/**\n    capabilities: [read]\n")
	s.mfaMust(204, "POST", "/v1/auth/userpass/users/prodops", s.root, mustJSON(map[string]any{"password": "battery staple", "token_policies": []string{"prod-read"}, "environment": "prod"}))
	s.mfaMust(204, "POST", "/v1/auth/userpass/users/anywhere", s.root, mustJSON(map[string]any{"password": "battery staple", "token_policies": []string{"prod-read"}}))

	refused := []struct{ name, method, path, body string }{
		{"a prod user", "POST", "/v1/auth/userpass/users/evil", mustJSON(map[string]any{"password": "pw-evil-123", "token_policies": []string{"prod-read"}, "environment": "prod"})},
		{"rebind a staging user to prod", "POST", "/v1/auth/userpass/users/ops", `{"environment":"prod"}`},
		{"unbind a staging user", "POST", "/v1/auth/userpass/users/ops", `{"environment":""}`},
		{"a prod user's policies", "POST", "/v1/auth/userpass/users/prodops", `{"token_policies":["staging-admin"]}`},
		{"an unbound user's password", "POST", "/v1/auth/userpass/users/anywhere/password", `{"password":"taken-over-1"}`},
		{"a prod user's password", "POST", "/v1/auth/userpass/users/prodops/password", `{"password":"taken-over-1"}`},
		{"delete a prod user", "DELETE", "/v1/auth/userpass/users/prodops", ""},
		{"reset a prod user's TOTP", "DELETE", "/v1/sys/ward/mfa/totp/users/prodops", ""},
		{"a prod JWT role", "POST", "/v1/auth/jwt/role/evil", `{"bound_audiences":["ward"],"token_policies":["prod-read"],"environment":"prod"}`},
		{"a policy granting prod", "PUT", "/v1/sys/policies/acl/staging-admin", mustJSON(map[string]any{"policy": "rules:\n  - path: prod/**\n    capabilities: [read]\n"})},
		{"a policy granting every environment", "PUT", "/v1/sys/policies/acl/wide", mustJSON(map[string]any{"policy": "rules:\n  - path: \"*/**\"\n    capabilities: [read]\n"})},
		{"a glob over environments", "PUT", "/v1/sys/policies/acl/wide", mustJSON(map[string]any{"policy": "rules:\n  - path: st*/app/*\n    capabilities: [read]\n"})},
		{"prod's rules by a policy", "PUT", "/v1/sys/policies/acl/wide", mustJSON(map[string]any{"policy": "rules:\n  - path: sys/ward/envs/prod/rules\n    capabilities: [update]\n"})},
		{"rewrite a prod policy", "PUT", "/v1/sys/policies/acl/prod-read", mustJSON(map[string]any{"policy": "rules:\n  - path: staging/**\n    capabilities: [read]\n"})},
		{"delete a prod policy", "DELETE", "/v1/sys/policies/acl/prod-read", ""},
		{"prod's environment rules", "POST", "/v1/sys/ward/envs/prod/rules", `{"required_metadata":[["owner"]]}`},
		{"delete prod", "DELETE", "/v1/sys/ward/envs/prod", ""},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			st, body := s.do(tt.method, tt.path, tok, tt.body)
			if st != 403 {
				t.Fatalf("%s %s: %d %v; want 403", tt.method, tt.path, st, body)
			}
		})
	}
	// Nothing changed: prodops still logs in with its password, to prod,
	// and the prod policy still grants prod.
	ptok := s.mfaLogin("prodops", "battery staple", "prod")
	s.mfaMust(200, "GET", "/v1/prod/data/app/db", ptok, "")
	s.mfaLogin("anywhere", "battery staple", "prod")
	if _, err := s.v.Policy("wide"); err == nil {
		t.Fatal("a refused policy was stored")
	}

	// Within staging the admin works, and a user it creates is bound to
	// staging even when the request names no environment.
	s.mfaMust(204, "PUT", "/v1/sys/policies/acl/staging-read", tok, mustJSON(map[string]any{"policy": "rules:\n  - path: staging/**\n    capabilities: [read]\n  - path: sys/policies/acl/staging-read\n    capabilities: [read]\n"}))
	s.mfaMust(204, "POST", "/v1/auth/userpass/users/dev1", tok, mustJSON(map[string]any{"password": "pw-dev1-1234", "token_policies": []string{"prod-read"}}))
	if st, body := s.do("POST", "/v1/auth/userpass/login/dev1", "", `{"password":"pw-dev1-1234","env":"prod"}`); st != 403 {
		t.Fatalf("a user created by a staging token logged in to prod: %d %v", st, body)
	}
	dtok := s.mfaLogin("dev1", "pw-dev1-1234", "staging")
	s.mfaMust(403, "GET", "/v1/prod/data/app/db", dtok, "")
	s.mfaMust(204, "POST", "/v1/auth/jwt/role/ci-staging", tok, `{"bound_audiences":["ward"],"token_policies":["staging-read"],"environment":"staging"}`)
	s.mfaMust(403, "POST", "/v1/auth/jwt/role/ci-staging", tok, `{"bound_audiences":["ward"],"token_policies":["staging-read"],"environment":"prod"}`)
	// A root-made prod role cannot be taken over by renaming into staging.
	s.mfaMust(204, "POST", "/v1/auth/jwt/role/ci-prod", s.root, `{"bound_audiences":["ward"],"token_policies":["prod-read"],"environment":"prod"}`)
	s.mfaMust(403, "POST", "/v1/auth/jwt/role/ci-prod", tok, `{"bound_audiences":["ward"],"token_policies":["staging-read"],"environment":"staging"}`)
	s.mfaMust(403, "DELETE", "/v1/auth/jwt/role/ci-prod", tok, "")
	// Root crosses environments.
	s.mfaMust(204, "PUT", "/v1/sys/policies/acl/wide", s.root, mustJSON(map[string]any{"policy": "rules:\n  - path: \"*/shared/**\"\n    capabilities: [read]\n"}))
}

// Whole-vault operations need a root token, whatever a policy grants.
func TestWholeVaultOperationsNeedRoot(t *testing.T) {
	s, _ := newMFAServer(t, nil)
	tok := stagingAdmin(t, s)
	for _, op := range []struct{ method, path, body string }{
		{"POST", "/v1/sys/seal", ""},
		{"POST", "/v1/sys/rotate", ""},
		{"GET", "/v1/sys/ward/snapshot", ""},
		{"POST", "/v1/sys/ward/envs/qa", ""},
		{"POST", "/v1/auth/jwt/config", `{"bound_issuer":"https://evil.example","jwks_url":"https://evil.example/jwks"}`},
	} {
		st, body := s.do(op.method, op.path, tok, op.body)
		if st != 403 || !strings.Contains(mfaErrText(body), "needs a root token") {
			t.Errorf("%s %s: %d %v; want 403 needing root", op.method, op.path, st, body)
		}
	}
	if s.v.Sealed() {
		t.Fatal("a staging token sealed the vault")
	}
	if _, err := s.v.Env("qa"); err == nil {
		t.Fatal("a staging token created an environment")
	}
	s.mfaMust(204, "POST", "/v1/sys/seal", s.root, "")
	if !s.v.Sealed() {
		t.Fatal("root could not seal")
	}
}

// A direct policy write that changes what production grants needs the
// step-up an apply to production needs; a change elsewhere does not.
func TestPolicyWriteToProdStepsUp(t *testing.T) {
	s, clk := newMFAServer(t, nil)
	_, secret := mfaEnrolledUser(t, s, clk, "rules:\n  - path: sys/policies/acl/*\n    capabilities: [update, delete]\n")
	tok := s.mfaLogin("alice", "correct horse", "prod")
	grant := mustJSON(map[string]any{"policy": "rules:\n  - path: prod/app/*\n    capabilities: [read]\n"})
	st, body, h := s.mfaDoH("PUT", "/v1/sys/policies/acl/ci-prod", tok, grant)
	if st != 403 || h.Get(MFARequiredHeader) != "required" || !strings.Contains(mfaErrText(body), "ci-prod: +read prod/app/*") {
		t.Fatalf("a prod grant without a code: %d %v", st, body)
	}
	if _, err := s.v.Policy("ci-prod"); err == nil {
		t.Fatal("the refused write stored the policy")
	}
	clk.advance(totp.Period)
	s.mfaMust(204, "PUT", "/v1/sys/policies/acl/ci-prod", tok, grant, MFAHeader, totpCode(t, secret, clk.now()))
	// Deleting it changes what prod grants too.
	s.mfaMust(403, "DELETE", "/v1/sys/policies/acl/ci-prod", tok, "")
	clk.advance(totp.Period)
	s.mfaMust(204, "DELETE", "/v1/sys/policies/acl/ci-prod", tok, "", MFAHeader, totpCode(t, secret, clk.now()))
	// A policy of system paths only changes nothing in prod: no code.
	s.mfaMust(204, "PUT", "/v1/sys/policies/acl/lister", tok, mustJSON(map[string]any{"policy": "rules:\n  - path: sys/policies/acl/\n    capabilities: [list]\n"}))
}

// Deleting its own environment is an environment's business, under the
// delete-environment step-up; deleting another is not.
func TestEnvDeleteOwnOnlyWithMFA(t *testing.T) {
	s, clk := newMFAServer(t, nil)
	_, secret := mfaEnrolledUser(t, s, clk, "rules:\n  - path: sys/ward/envs/*\n    capabilities: [delete]\n")
	tok := s.mfaLogin("alice", "correct horse", "staging")
	s.mfaMust(403, "DELETE", "/v1/sys/ward/envs/prod", tok, "")
	st, body, h := s.mfaDoH("DELETE", "/v1/sys/ward/envs/staging", tok, "")
	if st != 403 || h.Get(MFARequiredHeader) != "required" {
		t.Fatalf("deleting staging without a code: %d %v", st, body)
	}
	clk.advance(totp.Period)
	s.mfaMust(204, "DELETE", "/v1/sys/ward/envs/staging", tok, "", MFAHeader, totpCode(t, secret, clk.now()))
	if _, err := s.v.Env("prod"); err != nil {
		t.Fatal(err)
	}
}
