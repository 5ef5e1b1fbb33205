package vault

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/auth"
	"github.com/wardhq/ward/internal/auth/totp"
	"github.com/wardhq/ward/internal/auth/userpass"
	"github.com/wardhq/ward/internal/plan"
	"github.com/wardhq/ward/internal/secrets"
)

// newIdentityVault is a vault with a fake clock, cheap password hashes and
// environments staging and prod.
func newIdentityVault(t *testing.T) (*Vault, *fakeClock) {
	t.Helper()
	clock := &fakeClock{time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	v, _ := openTestVault(t, Config{Now: clock.Now,
		Userpass: userpass.Config{Params: userpass.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}}}, "staging", "prod")
	return v, clock
}

func strp(s string) *string { return &s }

// A password login: the user's token lasts DefaultUserTTL and is
// renewable, carries the user's identity, and a name that fails too often
// is locked until the window passes (by the clock, no sleeping).
func TestUserLogin(t *testing.T) {
	ctx := context.Background()
	v, clock := newIdentityVault(t)
	if err := v.PutUser(ctx, "alice", UserUpdate{Password: strp("correct horse battery"), Policies: []string{"dev"}}); err != nil {
		t.Fatal(err)
	}
	_, tok, err := v.UserLogin(ctx, "Alice", "correct horse battery", "staging")
	if err != nil {
		t.Fatal(err)
	}
	if tok.TTL != DefaultUserTTL || !tok.Renewable || tok.Env != "staging" || tok.Meta[auth.IdentityMetaKey] != "userpass/alice" {
		t.Errorf("login token: ttl %v renewable %v env %q meta %v", tok.TTL, tok.Renewable, tok.Env, tok.Meta)
	}
	if DefaultUserTTL > 12*time.Hour {
		t.Errorf("a person's token lasts %v by default; keep it to a working day", DefaultUserTTL)
	}
	if _, _, err := v.UserLogin(ctx, "alice", "correct horse battery", ""); !isRefusal(err, KindInvalid) {
		t.Errorf("login without an environment: %v", err)
	}
	for i := 0; i < 5; i++ {
		if _, _, err := v.UserLogin(ctx, "alice", "wrong", "staging"); !errors.Is(err, userpass.ErrBadLogin) {
			t.Fatalf("wrong password %d: %v", i, err)
		}
	}
	var le *userpass.LockedError
	if _, _, err := v.UserLogin(ctx, "alice", "correct horse battery", "staging"); !errors.As(err, &le) {
		t.Fatalf("after five failures: %v, want locked", err)
	}
	clock.t = clock.t.Add(16 * time.Minute)
	if _, _, err := v.UserLogin(ctx, "alice", "correct horse battery", "staging"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	// A user bound to an environment logs in there only.
	if err := v.PutUser(ctx, "alice", UserUpdate{Env: strp("staging")}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := v.UserLogin(ctx, "alice", "correct horse battery", "prod"); !isRefusal(err, KindDenied) {
		t.Errorf("login to another environment: %v", err)
	}
	if err := v.PutUser(ctx, "bob", UserUpdate{Password: strp("correct horse battery"), Policies: []string{"root"}}); !isRefusal(err, KindInvalid) {
		t.Errorf("a user with the root policy: %v", err)
	}
}

func isRefusal(err error, k Kind) bool {
	var r *Refusal
	return errors.As(err, &r) && r.Kind == k
}

// The TOTP life cycle and step-up, without HTTP: enrol, confirm (which
// uses up the step), a replayed code refused, the next step's code
// accepted once per request, a token without an identity refused.
func TestStepUpMFA(t *testing.T) {
	ctx := context.Background()
	v, clock := newIdentityVault(t)
	v.PutUser(ctx, "alice", UserUpdate{Password: strp("correct horse battery"), Policies: []string{"dev"}})
	secret, tok, err := v.UserLogin(ctx, "alice", "correct horse battery", "staging")
	if err != nil {
		t.Fatal(err)
	}
	alice := func(codes ...string) *Caller { return &Caller{Token: tok, Secret: secret, Codes: codes} }
	if err := v.RequireMFA(alice(), "test"); !isRefusal(err, KindDenied) || !strings.Contains(err.Error(), "no confirmed TOTP enrolment") {
		t.Fatalf("not enrolled: %v", err)
	}
	_, key, err := v.EnrollTOTP(ctx, alice())
	if err != nil {
		t.Fatal(err)
	}
	code := func() string {
		c, err := totp.Code(key.Secret, clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := alice()
	if _, err := v.ConfirmTOTP(ctx, c, code()); err != nil || c.MFAOutcome() != "verified" {
		t.Fatalf("confirm: %v %q", err, c.MFAOutcome())
	}
	c = alice(code())
	err = v.RequireMFA(c, "test")
	if !isRefusal(err, KindDenied) || !err.(*Refusal).Prompt || c.MFAOutcome() != "refused: replayed" {
		t.Fatalf("the confirming code again: %v %q", err, c.MFAOutcome())
	}
	clock.t = clock.t.Add(totp.Period)
	c = alice(code())
	if err := v.RequireMFA(c, "test"); err != nil || c.MFAOutcome() != "verified" {
		t.Fatalf("next step: %v", err)
	}
	if err := v.RequireMFA(c, "again"); err != nil {
		t.Fatalf("a second check in the same request: %v", err)
	}
	if err := v.RequireMFA(alice(code(), code()), "test"); !isRefusal(err, KindInvalid) {
		t.Errorf("two codes: %v", err)
	}
	// A child token carries no identity, so alice's code does not serve it.
	_, child, err := v.unsealed.tokens.Create(ctx, tok, auth.CreateRequest{})
	if err != nil {
		t.Fatal(err)
	}
	clock.t = clock.t.Add(totp.Period)
	if err := v.RequireMFA(&Caller{Token: child, Codes: []string{code()}}, "test"); !isRefusal(err, KindDenied) || !strings.Contains(err.Error(), "no identity") {
		t.Errorf("child token: %v", err)
	}
	if err := v.ResetTOTP(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if en, _ := v.Enrolment(ctx, "userpass/alice"); en.Enrolled {
		t.Error("enrolled after a reset")
	}
}

// A batched fetch authorizes, steps up and audits each secret on its own.
func TestFetch(t *testing.T) {
	ctx := context.Background()
	v, _ := newIdentityVault(t)
	env, _ := v.Env("staging")
	env.kv.Put(ctx, "app/db", []byte(`{"password":"pw-canary"}`), secrets.PutOptions{})
	env.kv.Put(ctx, "app/glass", []byte(`{"k":"v"}`), secrets.PutOptions{})
	glass := map[string]string{BreakGlassKey: "true"}
	if err := env.kv.SetMetadata(ctx, "app/glass", secrets.MetadataUpdate{CustomMetadata: glass}); err != nil {
		t.Fatal(err)
	}
	env.kv.Put(ctx, "other/x", []byte(`{"k":"v"}`), secrets.PutOptions{})
	if _, err := v.PutPolicy(ctx, "app", []byte("rules:\n  - path: staging/app/*\n    capabilities: [read]\n")); err != nil {
		t.Fatal(err)
	}
	secret, tok, err := v.unsealed.tokens.CreateLogin(ctx, auth.CreateRequest{Policies: []string{"app"}, Env: "staging", EnvID: env.ID})
	if err != nil {
		t.Fatal(err)
	}
	acl, _ := v.ACL(tok.Policies)
	c := &Caller{Token: tok, Secret: secret, ACL: acl, RequestID: "req-1"}
	got, err := v.Fetch(ctx, c, env, []string{"app/db", "other/x", "app/none", "app/glass", "../x"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{FetchOK, FetchDenied, FetchNotFound, FetchDenied, FetchError}
	for i, r := range got {
		if r.Status != want[i] {
			t.Errorf("%s: %s (%s), want %s", r.Path, r.Status, r.Error, want[i])
		}
	}
	if !strings.Contains(got[3].Error, "break-glass") || !strings.Contains(got[3].Error, "no identity") {
		t.Errorf("the break-glass secret's refusal does not say why: %s", got[3].Error)
	}
	if string(got[0].Data) != `{"password":"pw-canary"}` {
		t.Errorf("data = %s", got[0].Data)
	}
	v.Seal() // flushes the audit log
	raw, err := os.ReadFile(v.cfg.AuditPath)
	if err != nil {
		t.Fatal(err)
	}
	reads := 0
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var e struct {
			Path      string `json:"path"`
			Operation string `json:"operation"`
		}
		if json.Unmarshal([]byte(line), &e) == nil && strings.HasPrefix(e.Path, "staging/data/") && e.Operation == "read" {
			reads++
		}
	}
	if reads != 2*len(got) {
		t.Errorf("%d read entries in the audit log, want a request and a response per secret (%d)", reads, 2*len(got))
	}
	if strings.Contains(string(raw), "pw-canary") {
		t.Error("a secret value is in the audit log")
	}
	if _, err := v.Fetch(ctx, c, env, nil, nil); err == nil {
		t.Error("an empty fetch was answered")
	}
}

// An apply that changes production needs step-up MFA from a non-root
// caller (the apply-to-prod default), and nothing is applied without it.
func TestApplyAsStepsUpForProd(t *testing.T) {
	ctx := context.Background()
	v, _ := newIdentityVault(t)
	env, _ := v.Env("staging")
	_, tok, err := v.unsealed.tokens.CreateLogin(ctx, auth.CreateRequest{Policies: []string{"ops"}, Env: "staging", EnvID: env.ID})
	if err != nil {
		t.Fatal(err)
	}
	desired := &plan.State{Manages: plan.Manages{Envs: true}, Envs: []plan.Env{{Name: "prod-eu"}, {Name: "prod"}, {Name: "staging"}}}
	c := &Caller{Token: tok}
	// A staging token creates no environment: that is root's.
	_, err = v.ApplyAs(ctx, c, desired, ApplyOptions{})
	if !isRefusal(err, KindDenied) || !strings.Contains(err.Error(), "the apply changes environment prod-eu") {
		t.Fatalf("a staging apply creating prod-eu: %v", err)
	}
	// A prod token's apply that changes what prod grants steps up.
	prodEnv, _ := v.Env("prod")
	_, ptok, err := v.unsealed.tokens.CreateLogin(ctx, auth.CreateRequest{Policies: []string{"ops"}, Env: "prod", EnvID: prodEnv.ID})
	if err != nil {
		t.Fatal(err)
	}
	grant := &plan.State{Manages: plan.Manages{}, Policies: []plan.Policy{{Name: "ci-prod", Text: "rules:\n  - path: prod/app/*\n    capabilities: [read]\n"}}}
	c = &Caller{Token: ptok}
	_, err = v.ApplyAs(ctx, c, grant, ApplyOptions{})
	if !isRefusal(err, KindDenied) || !strings.Contains(err.Error(), "applying changes to production (ci-prod: +read prod/app/*)") || c.MFAOutcome() != "refused: no identity" {
		t.Fatalf("a non-root apply to prod: %v (%q)", err, c.MFAOutcome())
	}
	if _, err := v.Policy("ci-prod"); err == nil {
		t.Fatal("the refused apply stored ci-prod")
	}
	if _, err := v.Env("prod-eu"); !errors.Is(err, ErrEnvNotFound) {
		t.Fatalf("the refused apply created prod-eu: %v", err)
	}
	root := &Caller{Token: &auth.Token{Policies: []string{auth.RootPolicy}}}
	if _, err := v.ApplyAs(ctx, root, desired, ApplyOptions{}); err != nil {
		t.Fatalf("a root apply: %v", err)
	}
	if _, err := v.Env("prod-eu"); err != nil {
		t.Fatal(err)
	}
}
