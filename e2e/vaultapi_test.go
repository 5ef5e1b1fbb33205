package e2e

import (
	"context"
	"errors"
	"net/http"
	"testing"

	vaultapi "github.com/hashicorp/vault/api"
)

func vaultClient(t *testing.T, s *devServer, token string) *vaultapi.Client {
	t.Helper()
	cfg := vaultapi.DefaultConfig()
	cfg.Address = s.Addr
	cfg.MaxRetries = 0
	c, err := vaultapi.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.SetToken(token)
	return c
}

// HashiCorp Vault's own Go client, unchanged, works against ward: KV v2
// through its KVv2 helper, and tokens through its token API.
func TestVaultGoClientKVv2(t *testing.T) {
	s := startDev(t, "")
	ctx := context.Background()
	kv := vaultClient(t, s, s.Token).KVv2("staging")

	v1, err := kv.Put(ctx, "payments/db", map[string]any{"user": "app", "password": "first-pw"})
	if err != nil {
		t.Fatalf("put: %v", err)
	}
	if v1.VersionMetadata.Version != 1 {
		t.Fatalf("first put made version %d, want 1", v1.VersionMetadata.Version)
	}
	if _, err := kv.Put(ctx, "payments/db", map[string]any{"user": "app", "password": "second-pw"}); err != nil {
		t.Fatalf("second put: %v", err)
	}
	got, err := kv.Get(ctx, "payments/db")
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if got.Data["password"] != "second-pw" || got.VersionMetadata.Version != 2 {
		t.Fatalf("get = %v version %d, want second-pw version 2", got.Data["password"], got.VersionMetadata.Version)
	}
	old, err := kv.GetVersion(ctx, "payments/db", 1)
	if err != nil || old.Data["password"] != "first-pw" {
		t.Fatalf("get version 1 = %v, %v", old, err)
	}

	// Check-and-set: writing against a stale version fails.
	if _, err := kv.Put(ctx, "payments/db", map[string]any{"x": "y"}, vaultapi.WithCheckAndSet(1)); err == nil {
		t.Fatal("put with a stale cas succeeded")
	}

	// Patch merges.
	if _, err := kv.Patch(ctx, "payments/db", map[string]any{"host": "db.internal"}); err != nil {
		t.Fatalf("patch: %v", err)
	}
	got, err = kv.Get(ctx, "payments/db")
	if err != nil || got.Data["host"] != "db.internal" || got.Data["password"] != "second-pw" || got.VersionMetadata.Version != 3 {
		t.Fatalf("after patch: %v %v", got, err)
	}

	// Versions as a list.
	versions, err := kv.GetVersionsAsList(ctx, "payments/db")
	if err != nil || len(versions) != 3 {
		t.Fatalf("versions: %v %v", versions, err)
	}

	// Delete the current version, then undelete it.
	if err := kv.Delete(ctx, "payments/db"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	// As with Vault, a deleted version reads as metadata without data.
	if del, err := kv.Get(ctx, "payments/db"); err != nil || del.Data != nil || del.VersionMetadata.DeletionTime.IsZero() {
		t.Fatalf("a deleted version read as %+v, %v; want no data and a deletion time", del, err)
	}
	if err := kv.Undelete(ctx, "payments/db", []int{3}); err != nil {
		t.Fatalf("undelete: %v", err)
	}
	if got, err = kv.Get(ctx, "payments/db"); err != nil || got.Data["host"] != "db.internal" {
		t.Fatalf("after undelete: %v %v", got, err)
	}

	// Destroy version 1: its data is gone for good.
	if err := kv.Destroy(ctx, "payments/db", []int{1}); err != nil {
		t.Fatalf("destroy: %v", err)
	}
	md, err := kv.GetMetadata(ctx, "payments/db")
	if err != nil {
		t.Fatalf("metadata: %v", err)
	}
	if !md.Versions["1"].Destroyed || md.CurrentVersion != 3 {
		t.Fatalf("metadata after destroy: %+v", md)
	}

	// Metadata write.
	err = kv.PutMetadata(ctx, "payments/db", vaultapi.KVMetadataPutInput{
		MaxVersions: 5, CustomMetadata: map[string]any{"owner": "payments-team"},
	})
	if err != nil {
		t.Fatalf("put metadata: %v", err)
	}
	md, err = kv.GetMetadata(ctx, "payments/db")
	if err != nil || md.MaxVersions != 5 || md.CustomMetadata["owner"] != "payments-team" || md.DeleteVersionAfter != 0 {
		t.Fatalf("metadata after write: %+v %v", md, err)
	}

	// Rollback to version 2 makes version 4 with version 2's data.
	rb, err := kv.Rollback(ctx, "payments/db", 2)
	if err != nil {
		t.Fatalf("rollback: %v", err)
	}
	got, err = kv.Get(ctx, "payments/db")
	if err != nil || rb.VersionMetadata.Version != 4 || got.Data["password"] != "second-pw" || got.Data["host"] != nil {
		t.Fatalf("after rollback: %+v %v", got, err)
	}

	// Listing.
	if _, err := kv.Put(ctx, "payments/stripe", map[string]any{"secret_key": "sk"}); err != nil {
		t.Fatal(err)
	}
	list, err := vaultClient(t, s, s.Token).Logical().List("staging/metadata/payments")
	if err != nil || list == nil {
		t.Fatalf("list: %v %v", list, err)
	}
	keys, _ := list.Data["keys"].([]any)
	if len(keys) != 2 || keys[0] != "db" || keys[1] != "stripe" {
		t.Fatalf("list keys = %v, want [db stripe]", keys)
	}

	// Deleting the metadata removes every version.
	if err := kv.DeleteMetadata(ctx, "payments/db"); err != nil {
		t.Fatalf("delete metadata: %v", err)
	}
	if _, err := kv.Get(ctx, "payments/db"); !errors.Is(err, vaultapi.ErrSecretNotFound) {
		t.Fatalf("get after metadata delete: %v, want ErrSecretNotFound", err)
	}
}

func TestVaultGoClientTokens(t *testing.T) {
	s := startDev(t, "")
	root := vaultClient(t, s, s.Token)
	s.mustWard(`rules:
  - path: staging/**
    capabilities: [read, list, create, update]
  - path: auth/token/create
    capabilities: [create]
  - path: auth/token/lookup
    capabilities: [read]
  - path: auth/token/revoke
    capabilities: [update]
`, "policy", "write", "ci", "-f", "-")

	// Vault has no environments: ward takes "env" in the body, and a
	// child of an environment-bound token inherits its environment.
	sec, err := root.Logical().Write("auth/token/create", map[string]any{"env": "staging", "policies": []string{"ci"}, "ttl": "1h"})
	if err != nil {
		t.Fatalf("create staging token: %v", err)
	}
	parentTok := sec.Auth.ClientToken
	parent := vaultClient(t, s, parentTok)

	child, err := parent.Auth().Token().Create(&vaultapi.TokenCreateRequest{Policies: []string{"ci"}, TTL: "5m", DisplayName: "ci-job"})
	if err != nil {
		t.Fatalf("token create: %v", err)
	}
	if child.Auth.LeaseDuration <= 0 || child.Auth.LeaseDuration > 5*60 {
		t.Fatalf("child lease %d s, want (0, 300]", child.Auth.LeaseDuration)
	}
	info, err := parent.Auth().Token().Lookup(child.Auth.ClientToken)
	if err != nil {
		t.Fatalf("lookup: %v", err)
	}
	if acc, _ := info.Data["accessor"].(string); acc != child.Auth.Accessor {
		t.Fatalf("lookup accessor %q, want %q", acc, child.Auth.Accessor)
	}
	childClient := vaultClient(t, s, child.Auth.ClientToken)
	self, err := childClient.Auth().Token().LookupSelf()
	if err != nil {
		t.Fatalf("lookup-self: %v", err)
	}
	if ttl, _ := self.TokenTTL(); ttl <= 0 {
		t.Fatalf("lookup-self ttl %v", ttl)
	}
	renewed, err := childClient.Auth().Token().RenewSelf(600)
	if err != nil {
		t.Fatalf("renew-self: %v", err)
	}
	if renewed.Auth.LeaseDuration <= 300 || renewed.Auth.LeaseDuration > 600 {
		t.Fatalf("renewed lease %d, want (300, 600]", renewed.Auth.LeaseDuration)
	}
	// The child reaches staging, and staging only.
	if _, err := childClient.KVv2("staging").Put(context.Background(), "app/cfg", map[string]any{"k": "v"}); err != nil {
		t.Fatalf("child writing staging: %v", err)
	}
	if _, err := childClient.KVv2("prod").Get(context.Background(), "app/cfg"); !isStatus(err, http.StatusForbidden) {
		t.Fatalf("child reading prod: %v, want 403", err)
	}
	// Revoking the parent revokes the child.
	if err := root.Auth().Token().RevokeTree(parentTok); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if _, err := childClient.Auth().Token().LookupSelf(); !isStatus(err, http.StatusForbidden) {
		t.Fatalf("child after parent revoked: %v, want 403", err)
	}
	// Accessor lookup and revoke.
	sec, err = root.Logical().Write("auth/token/create", map[string]any{"env": "dev", "policies": []string{"ci"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := root.Auth().Token().LookupAccessor(sec.Auth.Accessor); err != nil {
		t.Fatalf("lookup-accessor: %v", err)
	}
	if err := root.Auth().Token().RevokeAccessor(sec.Auth.Accessor); err != nil {
		t.Fatalf("revoke-accessor: %v", err)
	}
	if _, err := vaultClient(t, s, sec.Auth.ClientToken).Auth().Token().LookupSelf(); !isStatus(err, http.StatusForbidden) {
		t.Fatalf("token after revoke-accessor: %v, want 403", err)
	}
}

func isStatus(err error, status int) bool {
	var re *vaultapi.ResponseError
	return errors.As(err, &re) && re.StatusCode == status
}
