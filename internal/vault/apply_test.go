package vault

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wardhq/ward/internal/plan"
	"github.com/wardhq/ward/internal/secrets"
	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/storage/memory"
)

// failingStore fails every Transaction while fail is set.
type failingStore struct {
	storage.Backend
	fail atomic.Bool
}

func (f *failingStore) Transaction(ctx context.Context, ops []storage.Op) error {
	if f.fail.Load() {
		return errors.New("injected failure")
	}
	return f.Backend.Transaction(ctx, ops)
}

func newApplyVault(t *testing.T) (*Vault, *failingStore) {
	t.Helper()
	st := &failingStore{Backend: memory.New()}
	v, _ := openTestVault(t, Config{Storage: st})
	return v, st
}

const applyPolicy = "rules:\n  - path: qa/app/*\n    capabilities: [read]\n"

// desiredState declares an environment qa that requires an owner, a
// policy, a type and a secret of that type.
func desiredState() *plan.State {
	return &plan.State{
		Manages:  plan.Manages{Envs: true, Policies: true, Types: true},
		Envs:     []plan.Env{{Name: "qa", RequiredMetadata: [][]string{{"owner"}}, Source: plan.Source{File: "environments.yaml", Line: 2}}},
		Policies: []plan.Policy{{Name: "ci-app", Text: applyPolicy, Source: plan.Source{File: "policies/ci-app.yaml"}}},
		Types: []plan.Type{{Name: "app-key", Schema: `{"type":"object","required":["key"],"properties":{"key":{"type":"string","minLength":8}}}`,
			Source: plan.Source{File: "types/app-key.schema.json"}}},
		Secrets: []plan.Secret{{Env: "qa", Path: "app/key", Metadata: map[string]string{"owner": "team-app", "type": "app-key"},
			Source: plan.Source{File: "secrets/app.yaml", Line: 2}}},
	}
}

func TestApply(t *testing.T) {
	ctx := context.Background()
	v, _ := newApplyVault(t)
	changes, err := v.Apply(ctx, desiredState(), ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 4 {
		t.Fatalf("Apply made %d changes, want 4: %+v", len(changes), changes)
	}
	env, err := v.Env("qa")
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := v.EnvRules("qa"); len(r.RequiredMetadata) != 1 {
		t.Errorf("qa's rules = %+v", r)
	}
	if p, err := v.Policy("ci-app"); err != nil || string(p.Raw) != applyPolicy {
		t.Errorf("Policy(ci-app) = %v, %v", p, err)
	}
	if acl, _ := v.ACL([]string{"ci-app"}); !acl.Check("qa/app/key", "read").Allowed {
		t.Error("the ACL cache still holds the state before the apply")
	}
	if _, err := v.Type("app-key"); err != nil {
		t.Error(err)
	}
	md, err := env.kv.Metadata(ctx, "app/key")
	if err != nil || md.CustomMetadata["owner"] != "team-app" || md.CurrentVersion != 0 {
		t.Fatalf("app/key's metadata = %+v, %v", md, err)
	}
	again, digest, err := v.Plan(ctx, desiredState(), ApplyOptions{})
	if err != nil || len(again) != 0 {
		t.Fatalf("Plan after Apply = %+v, %v; want no changes", again, err)
	}
	if digest != plan.Digest(nil) {
		t.Errorf("digest of no changes = %s", digest)
	}
	// The environment's data key works: the secret can be written.
	if _, err := env.kv.Put(ctx, "app/key", []byte(`{"key":"0123456789"}`), putNoCAS); err != nil {
		t.Fatal(err)
	}
}

// snapshot is what a test compares before and after a refused apply.
func snapshot(t *testing.T, v *Vault) string {
	t.Helper()
	cur, err := v.CurrentState(context.Background(), desiredState())
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, c := range plan.Diff(&plan.State{}, cur, plan.Options{}) {
		b.WriteString(c.Kind + " " + c.Name + " " + c.Diff + "\n")
		for _, f := range c.Fields {
			b.WriteString(f.Field + "=" + f.New + "\n")
		}
	}
	keys, _ := v.cfg.Storage.List(context.Background(), "core/env/")
	b.WriteString("env keys: " + strings.Join(keys, ",") + "\n")
	return b.String()
}

// TestApplyAllOrNothing: a state with one bad part, or a store that fails
// the transaction, changes nothing, new environment keys included.
func TestApplyAllOrNothing(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		edit    func(*plan.State)
		fail    bool
		wantErr string
	}{
		{"missing required metadata", func(s *plan.State) { delete(s.Secrets[0].Metadata, "owner") },
			false, "secrets/app.yaml:2: secret qa/app/key lacks metadata environment qa requires: owner"},
		{"bad policy", func(s *plan.State) { s.Policies[0].Text = "rules:\n  - path: qa/x\n    capabilities: [reed]\n" },
			false, `policies/ci-app.yaml:3:20: unknown capability "reed"`},
		{"reserved environment", func(s *plan.State) {
			s.Envs = append(s.Envs, plan.Env{Name: "metrics", Source: plan.Source{File: "environments.yaml", Line: 5}})
		}, false, `environments.yaml:5: invalid environment name "metrics"`},
		{"unknown type", func(s *plan.State) { s.Secrets[0].Metadata["type"] = "nope" },
			false, `unknown type "nope"`},
		{"store fails", func(*plan.State) {}, true, "injected failure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, st := newApplyVault(t)
			// Something applied before, which must survive.
			if _, err := v.PutPolicy(ctx, "keep", []byte(applyPolicy)); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, v)
			s := desiredState()
			tt.edit(s)
			st.fail.Store(tt.fail)
			_, err := v.Apply(ctx, s, ApplyOptions{})
			st.fail.Store(false)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Apply = %v, want an error containing %q", err, tt.wantErr)
			}
			if after := snapshot(t, v); after != before {
				t.Errorf("a refused apply changed the vault:\nbefore:\n%s\nafter:\n%s", before, after)
			}
			if _, err := v.Env("qa"); !errors.Is(err, ErrEnvNotFound) {
				t.Errorf("Env(qa) after a refused apply: %v", err)
			}
		})
	}
}

func TestApplyValueMustConform(t *testing.T) {
	ctx := context.Background()
	v, _ := newApplyVault(t)
	env, err := v.CreateEnv(ctx, "qa")
	if err != nil {
		t.Fatal(err)
	}
	const canary = "short-canary"
	if _, err := env.kv.Put(ctx, "app/key", []byte(`{"key":7,"x":"`+canary+`"}`), putNoCAS); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, v)
	if _, _, err := v.Plan(ctx, desiredState(), ApplyOptions{}); err == nil || !strings.Contains(err.Error(), "does not conform") {
		t.Errorf("Plan = %v, want the problem apply will find", err)
	}
	_, err = v.Apply(ctx, desiredState(), ApplyOptions{})
	var pe *plan.Error
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), `secrets/app.yaml:2: the current value does not conform to type "app-key"`) {
		t.Fatalf("Apply = %v, want a problem at the declaration", err)
	}
	if strings.Contains(err.Error(), canary) {
		t.Errorf("the error quotes the value: %v", err)
	}
	if after := snapshot(t, v); after != before {
		t.Errorf("a refused apply changed the vault:\n%s\n%s", before, after)
	}
}

func TestApplyPrune(t *testing.T) {
	ctx := context.Background()
	v, _ := newApplyVault(t)
	if _, err := v.Apply(ctx, desiredState(), ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	full, err := v.CreateEnv(ctx, "full")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := full.kv.Put(ctx, "x", []byte(`{"a":"b"}`), putNoCAS); err != nil {
		t.Fatal(err)
	}
	empty, err := v.CreateEnv(ctx, "empty")
	if err != nil {
		t.Fatal(err)
	}
	if err := v.SetEnvRules(ctx, "empty", EnvRules{RequiredMetadata: [][]string{{"owner"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.PutPolicy(ctx, "extra", []byte(applyPolicy)); err != nil {
		t.Fatal(err)
	}
	_, err = v.Apply(ctx, desiredState(), ApplyOptions{Options: plan.Options{Prune: true}})
	if err == nil || !strings.Contains(err.Error(), `--prune would delete environment "full", which holds secrets`) {
		t.Fatalf("pruning an environment with secrets: %v", err)
	}
	if _, err := v.Policy("extra"); err != nil {
		t.Fatal("a refused prune deleted a policy")
	}
	if err := v.DeleteEnv(ctx, "full"); err != nil {
		t.Fatal(err)
	}
	// A stored type that an undeclared secret names is not pruned.
	if _, err := v.PutType(ctx, "old-type", []byte(`{"type":"object"}`)); err != nil {
		t.Fatal(err)
	}
	qa, _ := v.Env("qa")
	if err := qa.kv.SetMetadata(ctx, "app/old", secrets.MetadataUpdate{CustomMetadata: map[string]string{"owner": "x", "type": "old-type"}}); err != nil {
		t.Fatal(err)
	}
	_, err = v.Apply(ctx, desiredState(), ApplyOptions{Options: plan.Options{Prune: true}})
	if err == nil || !strings.Contains(err.Error(), `--prune would delete type "old-type", which secret qa/app/old still names`) {
		t.Fatalf("pruning a type in use: %v", err)
	}
	if err := qa.kv.DeleteMetadata(ctx, "app/old"); err != nil {
		t.Fatal(err)
	}
	changes, err := v.Apply(ctx, desiredState(), ApplyOptions{Options: plan.Options{Prune: true}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range changes {
		got = append(got, c.Kind+" "+c.Name+" "+c.Action)
	}
	if strings.Join(got, ";") != "environment empty delete;type old-type delete;policy extra delete" {
		t.Errorf("pruned %v", got)
	}
	if _, err := v.Env("empty"); !errors.Is(err, ErrEnvNotFound) {
		t.Errorf("Env(empty) after prune: %v", err)
	}
	if keys, _ := v.cfg.Storage.List(ctx, "core/env/"); strings.Contains(strings.Join(keys, ","), empty.ID) {
		t.Error("the pruned environment's key is left")
	}
	if r, _ := v.EnvRules("qa"); len(r.RequiredMetadata) != 1 {
		t.Error("prune touched a declared environment's rules")
	}
	if _, ok := v.unsealed.envRules["empty"]; ok {
		t.Error("the pruned environment's rules are left")
	}
}

func TestApplyExpect(t *testing.T) {
	ctx := context.Background()
	v, _ := newApplyVault(t)
	_, digest, err := v.Plan(ctx, desiredState(), ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.PutPolicy(ctx, "ci-app", []byte("rules:\n  - path: qa/**\n    capabilities: [admin]\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Apply(ctx, desiredState(), ApplyOptions{Expect: digest}); !errors.Is(err, ErrPlanChanged) {
		t.Fatalf("Apply with a stale digest = %v, want ErrPlanChanged", err)
	}
	_, digest, _ = v.Plan(ctx, desiredState(), ApplyOptions{})
	if _, err := v.Apply(ctx, desiredState(), ApplyOptions{Expect: digest}); err != nil {
		t.Fatal(err)
	}
}

// TestApplyConcurrentWrites: an apply that changes a secret's metadata
// while values are written to it loses no version, because the apply holds
// the secret's lock from reading its metadata to committing.
func TestApplyConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	v, _ := newApplyVault(t)
	if _, err := v.Apply(ctx, desiredState(), ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	env, _ := v.Env("qa")
	const writers, each, applies = 4, 100, 40
	done := make(chan error, writers)
	for range writers {
		go func() {
			for range each {
				if _, err := env.kv.Put(ctx, "app/key", []byte(`{"key":"0123456789"}`), putNoCAS); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for i := range applies {
		s := desiredState()
		s.Secrets[0].Metadata["owner"] = "team-" + strings.Repeat("x", i+1)
		if _, err := v.Apply(ctx, s, ApplyOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for range writers {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	md, err := env.kv.Metadata(ctx, "app/key")
	if err != nil {
		t.Fatal(err)
	}
	if md.CurrentVersion != writers*each || md.CustomMetadata["owner"] != "team-"+strings.Repeat("x", applies) {
		t.Errorf("after concurrent writes and applies: version %d (want %d), owner %q", md.CurrentVersion, writers*each, md.CustomMetadata["owner"])
	}
}
