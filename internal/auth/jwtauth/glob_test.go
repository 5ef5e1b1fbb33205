package jwtauth

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestMatchGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"refs/heads/main", "refs/heads/main", true},
		{"refs/heads/main", "refs/heads/Main", false},
		{"refs/heads/main", "refs/heads/main ", false},
		{"refs/heads/*", "refs/heads/main", true},
		{"refs/heads/*", "refs/heads/", true},
		{"refs/heads/*", "refs/heads/feat/x", false},
		{"refs/heads/**", "refs/heads/feat/x", true},
		{"refs/tags/v*", "refs/tags/v1.2.3", true},
		{"refs/tags/v*", "refs/tags/x1", false},
		{"repo:acme/*:ref:refs/heads/main", "repo:acme/api:ref:refs/heads/main", true},
		// A repository name cannot smuggle in a ':' segment.
		{"repo:acme/*:ref:refs/heads/main", "repo:acme/x:ref:refs/heads/main:ref:refs/heads/main", false},
		{"repo:acme/*", "repo:acme/api:pull_request", false},
		{"repo:acme/**", "repo:acme/api:pull_request", true},
		{"*", "", true},
		{"*", "a:b", false},
		{"**", "a:b/c", true},
		{`a\*b`, "a*b", true},
		{`a\*b`, "axb", false},
		{"a*b*c", "abc", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "aXbY", false},
		{strings.Repeat("*", 40) + "x", strings.Repeat("a", 5000), false},
	}
	for _, tt := range tests {
		if got := matchGlob(tt.pattern, tt.s); got != tt.want {
			t.Errorf("matchGlob(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
	for _, bad := range []string{"a***", `trailing\`, strings.Repeat("a", maxGlobLen+1)} {
		if checkGlob(bad) == nil {
			t.Errorf("checkGlob(%q) accepted", bad)
		}
	}
}

func TestValueMatchesExactlyAsTyped(t *testing.T) {
	tests := []struct {
		got, want any
		ok        bool
	}{
		{"74", "74", true},
		{json.Number("74"), "74", false},
		{"74", json.Number("74"), false},
		{json.Number("74"), json.Number("74.0"), true},
		{json.Number("74"), float64(74), true},
		{"true", true, false},
		{true, true, true},
		{true, "true", false},
		{"Main", "main", false},
		{" main", "main", false},
	}
	for _, tt := range tests {
		if got := valueMatches(tt.got, tt.want, false); got != tt.ok {
			t.Errorf("valueMatches(%#v, %#v) = %v", tt.got, tt.want, got)
		}
	}
	if !claimMatches([]any{"a", "b"}, []any{"b"}, false) || claimMatches([]any{[]any{"b"}}, []any{"b"}, false) {
		t.Error("array claims")
	}
}

func TestRoleCheck(t *testing.T) {
	base := func() Role {
		return Role{BoundAudiences: []string{"ward"}, TokenPolicies: []string{"ci"}, Environment: "staging"}
	}
	tests := []struct {
		name  string
		edit  func(*Role)
		field string
	}{
		{"no bound_audiences", func(r *Role) { r.BoundAudiences = nil }, "bound_audiences"},
		{"empty audience", func(r *Role) { r.BoundAudiences = []string{""} }, "bound_audiences"},
		{"bad claims type", func(r *Role) { r.BoundClaimsType = "regex" }, "bound_claims_type"},
		{"empty bound list", func(r *Role) { r.BoundClaims = map[string]any{"ref": []any{}} }, "bound_claims"},
		{"object bound value", func(r *Role) { r.BoundClaims = map[string]any{"ref": map[string]any{}} }, "bound_claims"},
		{"bad glob", func(r *Role) { r.BoundClaimsType = "glob"; r.BoundClaims = map[string]any{"ref": "x***"} }, "bound_claims"},
		{"reserved mapping", func(r *Role) { r.ClaimMappings = map[string]string{"repository": "ci_repository"} }, "claim_mappings"},
		{"identity mapping", func(r *Role) { r.ClaimMappings = map[string]string{"actor": "ward_identity"} }, "claim_mappings"},
		{"bad mapping key", func(r *Role) { r.ClaimMappings = map[string]string{"repository": "a b"} }, "claim_mappings"},
		{"no policies", func(r *Role) { r.TokenPolicies = nil }, "token_policies"},
		{"root policy", func(r *Role) { r.TokenPolicies = []string{"root"} }, "token_policies"},
		{"Root policy", func(r *Role) { r.TokenPolicies = []string{"Root"} }, "token_policies"},
		{"policy with a space", func(r *Role) { r.TokenPolicies = []string{"ci", " ci"} }, "token_policies"},
		{"policy with NUL", func(r *Role) { r.TokenPolicies = []string{"ci\x00"} }, "token_policies"},
		{"upper-case policy", func(r *Role) { r.TokenPolicies = []string{"CI"} }, "token_policies"},
		{"no environment", func(r *Role) { r.Environment = "" }, "environment"},
		{"ttl over max", func(r *Role) { r.TokenTTL, r.TokenMaxTTL = 2, 1 }, "token_ttl"},
	}
	for _, tt := range tests {
		r := base()
		tt.edit(&r)
		err := r.Check()
		fe, ok := err.(*FieldError)
		if !ok || fe.Field != tt.field {
			t.Errorf("%s: got %v, want a FieldError on %s", tt.name, err, tt.field)
		}
	}
	r := base()
	if err := r.Check(); err != nil || r.BoundClaimsType != "string" {
		t.Errorf("good role: %v %q", err, r.BoundClaimsType)
	}
}

func TestConfigCheck(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		field string
	}{
		{"none", Config{BoundIssuer: "x"}, "oidc_discovery_url"},
		{"two", Config{OIDCDiscoveryURL: "https://a", JWKSURL: "https://a/jwks"}, "oidc_discovery_url"},
		{"bad url", Config{JWKSURL: "file:///etc/passwd", BoundIssuer: "x"}, "jwks_url"},
		{"url with credentials", Config{JWKSURL: "https://u:p@a/jwks", BoundIssuer: "x"}, "jwks_url"},
		{"bad pem", Config{JWTValidationPubkeys: []string{"nope"}, BoundIssuer: "x"}, "jwt_validation_pubkeys[0]"},
		{"no issuer", Config{JWKSURL: "https://a/jwks"}, "bound_issuer"},
	}
	for _, tt := range tests {
		err := tt.cfg.Check()
		fe, ok := err.(*FieldError)
		if !ok || fe.Field != tt.field {
			t.Errorf("%s: got %v, want a FieldError on %s", tt.name, err, tt.field)
		}
	}
	c := Config{OIDCDiscoveryURL: "https://token.actions.githubusercontent.com/"}
	if err := c.Check(); err != nil || c.BoundIssuer != "https://token.actions.githubusercontent.com" {
		t.Errorf("discovery default issuer: %v %q", err, c.BoundIssuer)
	}
}
