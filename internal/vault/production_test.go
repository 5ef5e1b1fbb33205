package vault

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/auth"
	"github.com/wardhq/ward/internal/plan"
)

// An environment marked production in its definition is production
// whatever its name, one marked false is not, and an unmarked one is
// judged by its name. The mark changes only by an apply, and what the
// apply-to-prod default guards follows it.
func TestProductionMark(t *testing.T) {
	ctx := context.Background()
	v, _ := newIdentityVault(t)
	yes, no := true, false
	root := &Caller{Token: &auth.Token{Policies: []string{auth.RootPolicy}}}
	desired := &plan.State{Manages: plan.Manages{Envs: true}, Envs: []plan.Env{
		{Name: "live", Production: &yes}, {Name: "prod", Production: &no}, {Name: "staging"}, {Name: "prod-eu"},
	}}
	if _, err := v.ApplyAs(ctx, root, desired, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	for env, want := range map[string]bool{"live": true, "prod": false, "staging": false, "prod-eu": true} {
		if got := v.IsProdEnv(env); got != want {
			t.Errorf("IsProdEnv(%s) = %v, want %v", env, got, want)
		}
	}
	cur, err := v.CurrentState(ctx, desired)
	if err != nil {
		t.Fatal(err)
	}
	if e := cur.Env("live"); e == nil || e.Production == nil || !*e.Production {
		t.Errorf("the current state lost live's mark: %+v", e)
	}
	if changes, _, err := v.Plan(ctx, desired, ApplyOptions{}); err != nil || len(changes) != 0 {
		t.Errorf("a second plan of the same state: %+v, %v", changes, err)
	}

	// The rules endpoint keeps the mark, and refuses to change it.
	if err := v.SetEnvRules(ctx, "live", EnvRules{RequiredMetadata: [][]string{{"owner"}}}); err != nil {
		t.Fatal(err)
	}
	if !v.IsProdEnv("live") {
		t.Error("a rules write without production unmarked live")
	}
	if err := v.SetEnvRules(ctx, "live", EnvRules{Production: &no}); !errors.Is(err, ErrProductionByApply) {
		t.Errorf("a rules write unmarking live: %v, want ErrProductionByApply", err)
	}
	if err := v.SetEnvRules(ctx, "staging", EnvRules{Production: &yes}); !errors.Is(err, ErrProductionByApply) || v.IsProdEnv("staging") {
		t.Errorf("a rules write marking staging: %v", err)
	}

	// A grant in live needs step-up; one in prod, marked not production, does not.
	grant := func(env string) error {
		e, _ := v.Env(env)
		_, tok, err := v.unsealed.tokens.CreateLogin(ctx, auth.CreateRequest{Policies: []string{"ops"}, Env: env, EnvID: e.ID})
		if err != nil {
			t.Fatal(err)
		}
		st := &plan.State{Policies: []plan.Policy{{Name: "ci-" + env, Text: "rules:\n  - path: " + env + "/app/*\n    capabilities: [read]\n"}}}
		_, err = v.ApplyAs(ctx, &Caller{Token: tok}, st, ApplyOptions{})
		return err
	}
	if err := grant("live"); !isRefusal(err, KindDenied) || !strings.Contains(err.Error(), "applying changes to production (ci-live: +read live/app/*)") {
		t.Errorf("a grant in live, marked production: %v", err)
	}
	if err := grant("prod"); err != nil {
		t.Errorf("a grant in prod, marked not production: %v", err)
	}

	// Unmarking, back to the name: prod is production again.
	desired.Envs[1].Production = nil
	if _, err := v.ApplyAs(ctx, root, desired, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if !v.IsProdEnv("prod") {
		t.Error("prod, unmarked, is not production")
	}
}

// Marking or unmarking an environment is a change to production: judged
// before and after the apply.
func TestTouchesProdBeforeOrAfter(t *testing.T) {
	v, _ := newIdentityVault(t)
	yes, no := true, false
	for _, tc := range []struct {
		env  string
		mark *bool
		want bool
	}{
		{"staging", &yes, true}, // marking it
		{"prod", &no, true},     // unmarking it: prod by name now
		{"staging", nil, false},
		{"staging", &no, false},
	} {
		desired := &plan.State{Manages: plan.Manages{Envs: true}, Envs: []plan.Env{{Name: tc.env, Production: tc.mark}}}
		changes := []plan.Change{{Kind: plan.KindEnv, Name: tc.env, Action: plan.Update}}
		if got := touchesProd(changes, v.prodBeforeOrAfter(desired)) != ""; got != tc.want {
			t.Errorf("%s marked %v: touches production %v, want %v", tc.env, tc.mark, got, tc.want)
		}
	}
}
