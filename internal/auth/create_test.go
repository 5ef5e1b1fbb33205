package auth_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/auth"
)

func TestCreateRules(t *testing.T) {
	no := false
	type want struct {
		rule     auth.Rule // a *DeniedError with this rule
		policy   string
		field    string // a *RequestError on this field
		policies []string
		env      string
	}
	cases := []struct {
		name   string
		parent string // "root", "staging" (policies a, b), "login" (nil)
		req    auth.CreateRequest
		want   want
	}{
		{"subset", "staging", auth.CreateRequest{Policies: []string{"b"}}, want{policies: []string{"b"}, env: "env-1"}},
		{"inherits policies", "staging", auth.CreateRequest{}, want{policies: []string{"a", "b"}, env: "env-1"}},
		{"sorted and unique", "staging", auth.CreateRequest{Policies: []string{"b", "a", "b"}}, want{policies: []string{"a", "b"}, env: "env-1"}},
		// Names that are not canonical are refused even from root, which
		// may grant any policy: "Root" is not root, " b" is not b.
		{"Root from root", "root", auth.CreateRequest{Policies: []string{"Root"}}, want{field: "policies"}},
		{"ROOT from root", "root", auth.CreateRequest{Policies: []string{"ROOT"}}, want{field: "policies"}},
		{"leading space", "staging", auth.CreateRequest{Policies: []string{" b"}}, want{field: "policies"}},
		{"inner space", "root", auth.CreateRequest{Policies: []string{"ci api"}}, want{field: "policies"}},
		{"NUL", "root", auth.CreateRequest{Policies: []string{"a\x00"}}, want{field: "policies"}},
		{"newline", "root", auth.CreateRequest{Policies: []string{"a\n"}}, want{field: "policies"}},
		{"upper case", "root", auth.CreateRequest{Policies: []string{"Deploy"}}, want{field: "policies"}},
		{"empty name", "root", auth.CreateRequest{Policies: []string{""}}, want{field: "policies"}},
		{"extra policy", "staging", auth.CreateRequest{Policies: []string{"a", "admin"}}, want{rule: auth.RulePolicySubset, policy: "admin"}},
		{"root policy from non-root", "staging", auth.CreateRequest{Policies: []string{"root"}}, want{rule: auth.RuleRootPolicy}},
		{"other env by id", "staging", auth.CreateRequest{Env: "prod", EnvID: "env-2"}, want{rule: auth.RuleEnv}},
		{"other env by name", "staging", auth.CreateRequest{Env: "prod", EnvID: "env-1"}, want{rule: auth.RuleEnv}},
		{"own env named", "staging", auth.CreateRequest{Env: "staging", EnvID: "env-1"}, want{policies: []string{"a", "b"}, env: "env-1"}},
		{"orphan from non-root", "staging", auth.CreateRequest{NoParent: true}, want{rule: auth.RuleNoParent}},
		{"empty policy name", "staging", auth.CreateRequest{Policies: []string{"a", " "}}, want{field: "policies"}},
		{"negative ttl", "staging", auth.CreateRequest{TTL: -time.Second}, want{field: "ttl"}},
		{"negative max", "staging", auth.CreateRequest{ExplicitMaxTTL: -time.Second}, want{field: "explicit_max_ttl"}},
		{"root child in an env", "root", auth.CreateRequest{Policies: []string{"deploy"}, Env: "prod", EnvID: "env-2"}, want{policies: []string{"deploy"}, env: "env-2"}},
		{"root child without env", "root", auth.CreateRequest{Policies: []string{"deploy"}}, want{field: "env"}},
		{"root child root", "root", auth.CreateRequest{}, want{policies: []string{"root"}}},
		{"root policy in an env", "root", auth.CreateRequest{Policies: []string{"root"}, Env: "prod", EnvID: "env-2"}, want{field: "policies"}},
		{"env name without id", "root", auth.CreateRequest{Policies: []string{"x"}, Env: "prod"}, want{field: "env_id"}},
		{"env id with slash", "root", auth.CreateRequest{Policies: []string{"x"}, Env: "prod", EnvID: "a/b"}, want{field: "env_id"}},
		{"orphan from root", "root", auth.CreateRequest{Policies: []string{"x"}, Env: "prod", EnvID: "env-2", NoParent: true}, want{policies: []string{"x"}, env: "env-2"}},
		{"login", "login", auth.CreateRequest{Policies: []string{"ci"}, Env: "prod", EnvID: "env-2", Renewable: &no}, want{policies: []string{"ci"}, env: "env-2"}},
		{"login without policies", "login", auth.CreateRequest{Env: "prod", EnvID: "env-2"}, want{field: "policies"}},
		{"login as root", "login", auth.CreateRequest{Policies: []string{"root"}}, want{rule: auth.RuleRootPolicy}},
		{"long display name", "root", auth.CreateRequest{Policies: []string{"x"}, Env: "p", EnvID: "e", DisplayName: string(make([]byte, 300))}, want{field: "display_name"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := setup(t, nil)
			var parent *auth.Token
			switch c.parent {
			case "root":
				parent = f.root
			case "staging":
				_, parent = f.envToken(f.root, time.Hour, "a", "b")
			}
			secret, tok, err := f.store.Create(f.ctx, parent, c.req)
			var denied *auth.DeniedError
			var bad *auth.RequestError
			switch {
			case c.want.rule != "":
				if !errors.As(err, &denied) || denied.Rule != c.want.rule || denied.Policy != c.want.policy {
					t.Fatalf("error %v, want DeniedError %s %q", err, c.want.rule, c.want.policy)
				}
				return
			case c.want.field != "":
				if !errors.As(err, &bad) || bad.Field != c.want.field {
					t.Fatalf("error %v, want RequestError on %s", err, c.want.field)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if !slices.Equal(tok.Policies, c.want.policies) || tok.EnvID != c.want.env {
				t.Errorf("policies %v env %q, want %v %q", tok.Policies, tok.EnvID, c.want.policies, c.want.env)
			}
			wantParent := parent != nil && !c.req.NoParent
			if (tok.Parent != "") != wantParent || (wantParent && tok.Parent != parent.Accessor) {
				t.Errorf("Parent %q, want a parent: %v", tok.Parent, wantParent)
			}
			if tok.Renewable != (c.req.Renewable == nil || *c.req.Renewable) {
				t.Errorf("Renewable %v", tok.Renewable)
			}
			if !f.valid(f.reopen(), secret) {
				t.Error("the new token does not pass Lookup")
			}
		})
	}
}

func TestCreateCapsTTL(t *testing.T) {
	day := 24 * time.Hour
	cases := []struct {
		name      string
		parentTTL time.Duration // 0: the root token
		elapsed   time.Duration // between the parent's creation and the child's
		req       auth.CreateRequest
		want      time.Duration
	}{
		{"default", 0, 0, auth.CreateRequest{}, 32 * day},
		{"asked", 0, 0, auth.CreateRequest{TTL: time.Hour}, time.Hour},
		{"system max", 0, 0, auth.CreateRequest{TTL: 40 * day}, 32 * day},
		{"explicit max", 0, 0, auth.CreateRequest{TTL: 2 * time.Hour, ExplicitMaxTTL: time.Hour}, time.Hour},
		{"parent's remaining life", 2 * time.Hour, 90 * time.Minute, auth.CreateRequest{TTL: time.Hour}, 30 * time.Minute},
		{"default within parent", 2 * time.Hour, 0, auth.CreateRequest{}, 2 * time.Hour},
		{"shorter than parent", 2 * time.Hour, 0, auth.CreateRequest{TTL: time.Minute}, time.Minute},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := setup(t, nil)
			parent := f.parentWithTTL(c.parentTTL)
			f.clock.Add(c.elapsed)
			_, tok := f.create(parent, inStaging(c.req))
			if tok.TTL != c.want || !tok.ExpiresAt.Equal(f.clock.Now().Add(c.want)) {
				t.Errorf("TTL %v, expires %v; want %v", tok.TTL, tok.ExpiresAt.Sub(f.clock.Now()), c.want)
			}
		})
	}
}

func TestCreateFromDeadParent(t *testing.T) {
	f := setup(t, nil)
	_, parent := f.envToken(f.root, time.Hour, "a")
	f.clock.Add(time.Hour)
	if _, _, err := f.store.Create(f.ctx, parent, auth.CreateRequest{}); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("expired parent: %v, want ErrInvalidToken", err)
	}
	_, parent = f.envToken(f.root, time.Hour, "a")
	if err := f.store.Revoke(f.ctx, parent); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.store.Create(f.ctx, parent, auth.CreateRequest{}); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("revoked parent: %v, want ErrInvalidToken", err)
	}
}

func TestCreateWithCustomConfig(t *testing.T) {
	f := setup(t, func(c *auth.Config) { c.DefaultTTL, c.MaxTTL = time.Hour, 2*time.Hour })
	_, tok := f.envToken(f.root, 0, "a")
	if tok.TTL != time.Hour {
		t.Errorf("default TTL %v", tok.TTL)
	}
	_, tok = f.envToken(f.root, 3*time.Hour, "a")
	if tok.TTL != 2*time.Hour {
		t.Errorf("capped TTL %v", tok.TTL)
	}
	if _, err := auth.NewStore(auth.Config{}); err == nil {
		t.Error("NewStore without storage")
	}
}
