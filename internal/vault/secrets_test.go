package vault

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/secrets"
	"github.com/wardhq/ward/internal/types"
)

// The write-time rules hold without HTTP: required metadata, the type a
// secret names (on data writes and patches, and on the metadata write
// that names it), and a type that does not exist.
func TestPutSecretRules(t *testing.T) {
	ctx := context.Background()
	v, _ := newTestVault(t)
	env, err := v.CreateEnv(ctx, "prod")
	if err != nil {
		t.Fatal(err)
	}
	if err := v.SetEnvRules(ctx, "prod", EnvRules{RequiredMetadata: [][]string{{"owner"}}}); err != nil {
		t.Fatal(err)
	}
	var missing *MissingMetadataError
	if _, err := env.PutSecret(ctx, "app/db", []byte(`{"k":"v"}`), nil); !errors.As(err, &missing) {
		t.Fatalf("a write without required metadata: %v", err)
	}
	if err := env.SetSecretMetadata(ctx, "app/db", secrets.MetadataUpdate{CustomMetadata: map[string]string{"owner": "payments", MetaType: "postgress"}}); !isRefusal(err, KindInvalid) || !strings.Contains(err.Error(), `did you mean "postgres"`) {
		t.Fatalf("a type that does not exist: %v", err)
	}
	if err := env.SetSecretMetadata(ctx, "app/db", secrets.MetadataUpdate{CustomMetadata: map[string]string{"owner": "payments", MetaType: "postgres"}}); err != nil {
		t.Fatal(err)
	}
	var ve *types.ValidationError
	if _, err := env.PutSecret(ctx, "app/db", []byte(`{"k":"v-canary"}`), nil); !errors.As(err, &ve) || strings.Contains(err.Error(), "v-canary") {
		t.Fatalf("a value that breaks its type: %v", err)
	}
	pg := `{"host":"db.internal","port":5432,"database":"pay","user":"app","password":"pw-0123456789abcdef"}`
	if _, err := env.PutSecret(ctx, "app/db", []byte(pg), nil); err != nil {
		t.Fatalf("a conforming value: %v", err)
	}
	if _, err := env.PatchSecret(ctx, "app/db", []byte(`{"port":"not a number"}`), nil); !errors.As(err, &ve) {
		t.Fatalf("a patch whose result breaks the type: %v", err)
	}
	if _, err := env.PatchSecret(ctx, "app/db", []byte(`{"port":6432}`), nil); err != nil {
		t.Fatalf("a conforming patch: %v", err)
	}
	ver, err := env.ReadSecret(ctx, "app/db", 0, "test")
	if err != nil || ver.Metadata.Version != 2 {
		t.Fatalf("read: %v %v", ver, err)
	}
}
