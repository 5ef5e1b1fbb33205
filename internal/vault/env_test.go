package vault

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/auth"
	"github.com/wardhq/ward/internal/secrets"
)

func TestValidEnvName(t *testing.T) {
	tests := []struct {
		name, wantErr string
	}{
		{"prod", ""},
		{"eu-west-1", ""},
		{"a", ""},
		{strings.Repeat("a", 32), ""},
		{strings.Repeat("a", 33), "longer than 32"},
		{"", "empty"},
		{"Prod", `did you mean "prod"`},
		{" prod", `did you mean "prod"`},
		{"prod ", `did you mean "prod"`},
		{"PROD", `did you mean "prod"`},
		{"-prod", "lowercase letters"},
		{"pr_od", "lowercase letters"},
		{"pröd", "lowercase letters"},
		{"sys", "reserved"},
		{"auth", "reserved"},
		{"root", "reserved"},
		{"v1", "reserved"},
	}
	for _, tt := range tests {
		err := ValidEnvName(tt.name)
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("ValidEnvName(%q) = %v", tt.name, err)
			}
			continue
		}
		var ne *EnvNameError
		if !errors.As(err, &ne) || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("ValidEnvName(%q) = %v, want an EnvNameError containing %q", tt.name, err, tt.wantErr)
		}
	}
}

// Deleting an environment revokes its tokens and its data; the name can
// come back, empty, with a new id that old tokens do not match.
func TestDeleteEnv(t *testing.T) {
	ctx := context.Background()
	v, rootSecret := newTestVault(t)
	tokens := v.unsealed.tokens
	root, err := tokens.Lookup(ctx, rootSecret)
	if err != nil {
		t.Fatal(err)
	}
	qa, err := v.CreateEnv(ctx, "qa")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.CreateEnv(ctx, "qa"); !errors.Is(err, ErrEnvExists) {
		t.Fatalf("creating qa twice: %v", err)
	}
	if _, err := qa.kv.Put(ctx, "app/db", []byte(`{"k":"v"}`), putNoCAS); err != nil {
		t.Fatal(err)
	}
	secret, _, err := tokens.Create(ctx, root, auth.CreateRequest{Policies: []string{"p"}, Env: "qa", EnvID: qa.ID})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.DeleteEnv(ctx, "qa"); err != nil {
		t.Fatal(err)
	}
	if _, err := tokens.Lookup(ctx, secret); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("a token of the deleted environment: %v", err)
	}
	if _, err := v.Env("qa"); !errors.Is(err, ErrEnvNotFound) {
		t.Fatalf("Env after delete: %v", err)
	}
	keys, err := v.barrier.List(ctx, "env/"+qa.ID+"/")
	if err != nil || len(keys) != 0 {
		t.Fatalf("ciphertexts left of the deleted environment: %v %v", keys, err)
	}
	qa2, err := v.CreateEnv(ctx, "qa")
	if err != nil {
		t.Fatal(err)
	}
	if qa2.ID == qa.ID {
		t.Fatal("the recreated environment has the old id")
	}
	if _, err := qa2.kv.Get(ctx, "app/db", 0); err == nil {
		t.Fatal("the recreated environment holds the old secret")
	}
	if err := v.DeleteEnv(ctx, "nope"); !errors.Is(err, ErrEnvNotFound) {
		t.Fatalf("deleting a missing environment: %v", err)
	}
}

var putNoCAS = secrets.PutOptions{}
