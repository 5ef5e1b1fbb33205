package e2e

import (
	"testing"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
)

// The Vault Go client's token revoke-orphan and key-status against ward.
func TestVaultGoClientRevokeOrphanAndKeyStatus(t *testing.T) {
	s := startDev(t, "")
	root := vaultClient(t, s, s.Token)
	s.mustWard("rules:\n  - path: auth/token/create\n    capabilities: [create]\n", "policy", "write", "maker", "-f", "-")
	sec, err := root.Logical().Write("auth/token/create", map[string]any{"env": "staging", "policies": []string{"maker"}, "ttl": "1h"})
	if err != nil {
		t.Fatal(err)
	}
	parentTok := sec.Auth.ClientToken
	child, err := vaultClient(t, s, parentTok).Auth().Token().Create(&vaultapi.TokenCreateRequest{Policies: []string{"maker"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := root.Auth().Token().RevokeOrphan(parentTok); err != nil {
		t.Fatalf("revoke-orphan: %v", err)
	}
	if _, err := vaultClient(t, s, parentTok).Auth().Token().LookupSelf(); err == nil {
		t.Fatal("the parent still works after revoke-orphan")
	}
	self, err := vaultClient(t, s, child.Auth.ClientToken).Auth().Token().LookupSelf()
	if err != nil {
		t.Fatalf("the child after its parent's revoke-orphan: %v", err)
	}
	if orphan, _ := self.Data["orphan"].(bool); !orphan {
		t.Errorf("the child is not an orphan: %v", self.Data)
	}

	ks, err := root.Sys().KeyStatus()
	if err != nil {
		t.Fatalf("key-status: %v", err)
	}
	if ks.Term != 1 || ks.InstallTime.IsZero() || time.Since(ks.InstallTime) > time.Hour {
		t.Fatalf("key-status: term %d installed %v", ks.Term, ks.InstallTime)
	}
	if err := root.Sys().Rotate(); err != nil {
		t.Fatalf("rotate: %v", err)
	}
	after, err := root.Sys().KeyStatus()
	if err != nil || after.Term != 2 || after.InstallTime.Before(ks.InstallTime) {
		t.Fatalf("key-status after rotate: %+v, %v", after, err)
	}
}
