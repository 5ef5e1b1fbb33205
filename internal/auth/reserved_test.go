package auth_test

import (
	"errors"
	"testing"

	"github.com/wardhq/ward/internal/auth"
)

// Only a login writes the metadata and display names ward's logins write:
// Create refuses them from every parent, root included, whatever their
// case or value, so a child token cannot pose as a CI login, a password
// login or an MFA-verified request in the audit log.
func TestCreateRefusesReservedMeta(t *testing.T) {
	cases := []struct {
		name  string
		req   auth.CreateRequest
		field string
	}{
		{"identity", auth.CreateRequest{Meta: map[string]string{"ward_identity": "userpass/alice"}}, "meta"},
		{"empty identity", auth.CreateRequest{Meta: map[string]string{"ward_identity": ""}}, "meta"},
		{"ward prefix", auth.CreateRequest{Meta: map[string]string{"ward_apply": "true"}}, "meta"},
		{"ci repository", auth.CreateRequest{Meta: map[string]string{"ci_repository": "org/app"}}, "meta"},
		{"ci ref", auth.CreateRequest{Meta: map[string]string{"ci_ref": "refs/heads/main"}}, "meta"},
		{"role", auth.CreateRequest{Meta: map[string]string{"role": "ci-prod"}}, "meta"},
		{"mfa", auth.CreateRequest{Meta: map[string]string{"mfa": "verified"}}, "meta"},
		{"username", auth.CreateRequest{Meta: map[string]string{"username": "alice"}}, "meta"},
		{"issuer", auth.CreateRequest{Meta: map[string]string{"issuer": "https://token.actions.githubusercontent.com"}}, "meta"},
		{"subject", auth.CreateRequest{Meta: map[string]string{"subject": "repo:org/app"}}, "meta"},
		{"revision", auth.CreateRequest{Meta: map[string]string{"revision_commit": "abc1234"}}, "meta"},
		{"plan digest", auth.CreateRequest{Meta: map[string]string{"plan_digest": "00"}}, "meta"},
		{"upper case", auth.CreateRequest{Meta: map[string]string{"CI_Ref": "x"}}, "meta"},
		{"spaced", auth.CreateRequest{Meta: map[string]string{" mfa ": "verified"}}, "meta"},
		{"userpass name", auth.CreateRequest{DisplayName: "userpass-alice"}, "display_name"},
		{"jwt name", auth.CreateRequest{DisplayName: "JWT-repo:org/app"}, "display_name"},
		{"root name", auth.CreateRequest{DisplayName: "root"}, "display_name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := setup(t, nil)
			_, staging := f.envToken(f.root, 0, "a")
			for parentName, parent := range map[string]*auth.Token{"root": f.root, "staging": staging} {
				req := c.req
				req.Policies, req.Env, req.EnvID = []string{"a"}, "staging", "env-1"
				_, _, err := f.store.Create(f.ctx, parent, req)
				var re *auth.RequestError
				if !errors.As(err, &re) || re.Field != c.field {
					t.Errorf("Create from %s = %v, want a RequestError on %s", parentName, err, c.field)
				}
			}
		})
	}
}

// A login writes them, and ordinary keys stay open to Create.
func TestReservedMetaForLoginsOnly(t *testing.T) {
	f := setup(t, nil)
	_, tok, err := f.store.CreateLogin(f.ctx, auth.CreateRequest{Policies: []string{"ci"}, Env: "staging", EnvID: "env-1",
		DisplayName: "jwt-repo:org/app", Meta: map[string]string{"role": "ci", "ci_ref": "refs/heads/main", auth.IdentityMetaKey: "jwt/x"}})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Meta["ci_ref"] != "refs/heads/main" {
		t.Errorf("login meta = %v", tok.Meta)
	}
	_, tok, err = f.store.Create(f.ctx, f.root, auth.CreateRequest{Policies: []string{"a"}, Env: "staging", EnvID: "env-1",
		DisplayName: "deploy-bot", Meta: map[string]string{"team": "payments", "cire": "x"}})
	if err != nil || tok.Meta["team"] != "payments" {
		t.Errorf("ordinary meta refused: %v %v", tok, err)
	}
}
