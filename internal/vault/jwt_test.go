package vault

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/auth/jwtauth"
	"github.com/wardhq/ward/internal/auth/jwtauth/oidctest"
	"github.com/wardhq/ward/internal/storage/memory"
)

// The JWT config and roles persist through the barrier, encrypted, and
// come back after a seal and an unseal.
func TestJWTPersists(t *testing.T) {
	ctx := context.Background()
	raw := memory.New()
	v, res := openTestVault(t, Config{Storage: raw}, "staging")
	iss := oidctest.New()
	defer iss.Close()
	if _, _, err := v.JWTLogin(ctx, "ci", "x"); !errors.Is(err, ErrJWTNotConfigured) {
		t.Fatalf("login before config: %v", err)
	}
	if err := v.PutJWTConfig(ctx, jwtauth.Config{JWKSURL: iss.JWKSURL(), BoundIssuer: iss.URL}); err != nil {
		t.Fatal(err)
	}
	role := jwtauth.Role{BoundAudiences: []string{"ward"}, BoundClaims: map[string]any{"repository_id": "74-unique-marker", "big": json.Number("123456789012345678")}, TokenPolicies: []string{"ci"}, Environment: "staging"}
	if err := v.PutJWTRole(ctx, "ci", role); err != nil {
		t.Fatal(err)
	}
	if err := v.PutJWTRole(ctx, "bad", jwtauth.Role{TokenPolicies: []string{"ci"}, Environment: "staging"}); err == nil {
		t.Fatal("a role without bound_audiences was stored")
	}
	// At rest, nothing of the role or config is in the clear.
	n := 0
	var walk func(prefix string)
	walk = func(prefix string) {
		keys, _ := raw.List(ctx, prefix)
		for _, k := range keys {
			if strings.HasSuffix(k, "/") {
				walk(prefix + k)
				continue
			}
			n++
			e, err := raw.Get(ctx, prefix+k)
			if err == nil && (bytes.Contains(e.Value, []byte("74-unique-marker")) || bytes.Contains(e.Value, []byte(iss.JWKSURL()))) {
				t.Fatalf("storage key %q holds the role or config in the clear", prefix+k)
			}
		}
	}
	walk("")
	if n < 5 {
		t.Fatalf("walked only %d keys", n)
	}
	v.Seal()
	if _, err := v.Unseal(ctx, res.Shares[0]); err != nil {
		t.Fatal(err)
	}
	cfg, err := v.JWTConfig()
	if err != nil || cfg.BoundIssuer != iss.URL {
		t.Fatalf("config after unseal: %v %v", cfg, err)
	}
	got, err := v.JWTRole("ci")
	if err != nil || got.BoundClaims["repository_id"] != "74-unique-marker" || got.EnvironmentID == "" {
		t.Fatalf("role after unseal: %+v %v", got, err)
	}
	claims := mutateAud(iss.GitHub(oidctest.GitHubJob{RepositoryID: "74-unique-marker"}), "ward")
	claims["big"] = json.Number("123456789012345678")
	jwt := iss.Sign(claims)
	secret, tok, err := v.JWTLogin(ctx, "ci", jwt)
	if err != nil || secret == "" || tok.Env != "staging" || tok.Parent != "" || tok.Meta["ci_repository_id"] != "74-unique-marker" {
		t.Fatalf("login after unseal: %+v %v", tok, err)
	}
	// A number one off, which float64 would confuse with it, is refused.
	claims["big"] = json.Number("123456789012345679")
	if _, _, err := v.JWTLogin(ctx, "ci", iss.Sign(claims)); !errors.Is(err, jwtauth.ErrInvalidToken) {
		t.Fatalf("a bound number one off: %v", err)
	}
	if names, _ := v.JWTRoles(); len(names) != 1 {
		t.Fatalf("roles: %v", names)
	}
	if err := v.DeleteJWTRole(ctx, "ci"); err != nil {
		t.Fatal(err)
	}
	if _, err := v.JWTRole("ci"); !errors.Is(err, ErrJWTRoleNotFound) {
		t.Fatalf("deleted role: %v", err)
	}
}

func mutateAud(c map[string]any, aud string) map[string]any { c["aud"] = aud; return c }
