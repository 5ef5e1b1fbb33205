package e2e

import (
	"context"
	"strings"
	"testing"

	vaultapi "github.com/hashicorp/vault/api"
)

// The requests HashiCorp's vault CLI (and OpenBao's bao) sends, with the
// bodies it sends, through its Go client: kv delete|undelete|destroy
// -versions=1, token create -policy=x from a root token, write
// auth/token/create policies=x, token renew -increment=10m, and the sys
// reads status commands make.
func TestVaultCLIRequests(t *testing.T) {
	s := startDev(t, "")
	ctx := context.Background()
	root := vaultClient(t, s, s.Token)
	kv := root.KVv2("staging")
	for _, pw := range []string{"first-pw", "second-pw"} {
		if _, err := kv.Put(ctx, "app/db", map[string]any{"password": pw}); err != nil {
			t.Fatal(err)
		}
	}

	// kv delete|undelete|destroy -versions=1 send the versions as strings.
	if _, err := root.Logical().Write("staging/delete/app/db", map[string]any{"versions": []string{"1"}}); err != nil {
		t.Fatalf("kv delete -versions=1: %v", err)
	}
	if md, err := kv.GetMetadata(ctx, "app/db"); err != nil || md.Versions["1"].DeletionTime.IsZero() || !md.Versions["2"].DeletionTime.IsZero() {
		t.Fatalf("after delete -versions=1: %+v %v", md, err)
	}
	if _, err := root.Logical().Write("staging/undelete/app/db", map[string]any{"versions": []string{"1"}}); err != nil {
		t.Fatalf("kv undelete -versions=1: %v", err)
	}
	if v, err := kv.GetVersion(ctx, "app/db", 1); err != nil || v.Data["password"] != "first-pw" {
		t.Fatalf("version 1 after undelete: %v %v", v, err)
	}
	if _, err := root.Logical().Write("staging/destroy/app/db", map[string]any{"versions": "1"}); err != nil {
		t.Fatalf("kv destroy -versions=1: %v", err)
	}
	md, err := kv.GetMetadata(ctx, "app/db")
	if err != nil || !md.Versions["1"].Destroyed || md.Versions["2"].Destroyed {
		t.Fatalf("after destroy: %+v %v", md, err)
	}
	if _, err := root.Logical().Write("staging/delete/app/db", map[string]any{"versions": []string{"one"}}); err == nil || !strings.Contains(err.Error(), "Code: 400") {
		t.Fatalf("versions [\"one\"]: %v", err)
	}

	// token create -policy=x from a root token, and write
	// auth/token/create policies=x (a comma-separated string): the one
	// environment the policies reach.
	if err := root.Sys().PutPolicy("staging-read", "rules:\n  - path: staging/**\n    capabilities: [read]\n"); err != nil {
		t.Fatal(err)
	}
	if err := root.Sys().PutPolicy("shared-read", "rules:\n  - path: \"*/shared/**\"\n    capabilities: [read]\n"); err != nil {
		t.Fatal(err)
	}
	for _, body := range []map[string]any{
		{"policies": []string{"staging-read"}, "ttl": "1h"},
		{"policies": "staging-read", "ttl": "1h"},
	} {
		sec, err := root.Logical().Write("auth/token/create", body)
		if err != nil {
			t.Fatalf("token create %v: %v", body, err)
		}
		self, err := vaultClient(t, s, sec.Auth.ClientToken).Auth().Token().LookupSelf()
		if err != nil || self.Data["env"] != "staging" {
			t.Fatalf("the token of %v: %v %v", body, self, err)
		}
	}
	_, err = root.Logical().Write("auth/token/create", map[string]any{"policies": "shared-read"})
	if err == nil || !strings.Contains(err.Error(), "reach environments dev, prod, staging") {
		t.Fatalf("a policy over every environment without env: %v", err)
	}

	// policy write with a Vault HCL policy: translated, and enforced.
	hcl := "path \"staging/data/app/*\" {\n  capabilities = [\"read\"]\n}\n"
	if err := root.Sys().PutPolicy("hcl-read", hcl); err != nil {
		t.Fatalf("policy write (HCL): %v", err)
	}
	hsec, err := root.Logical().Write("auth/token/create", map[string]any{"policies": "hcl-read"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := vaultClient(t, s, hsec.Auth.ClientToken).KVv2("staging").Get(ctx, "app/db"); err != nil || got.Data["password"] != "second-pw" {
		t.Fatalf("read with the HCL policy: %v %v", got, err)
	}
	if err := root.Sys().PutPolicy("hcl-sudo", "path \"sys/seal\" {\n  capabilities = [\"sudo\"]\n}\n"); err == nil || !strings.Contains(err.Error(), "line 1: sudo") {
		t.Fatalf("policy write with sudo: %v", err)
	}

	// token renew -increment=10m.
	sec, err := root.Logical().Write("auth/token/create", map[string]any{"policies": "staging-read", "ttl": "1m", "explicit_max_ttl": "2h"})
	if err != nil {
		t.Fatal(err)
	}
	renewed, err := vaultClient(t, s, sec.Auth.ClientToken).Logical().Write("auth/token/renew-self", map[string]any{"increment": "10m"})
	if err != nil || renewed.Auth.LeaseDuration < 590 || renewed.Auth.LeaseDuration > 600 {
		t.Fatalf("renew -increment=10m: %+v %v", renewed, err)
	}

	// vault status reads sys/leader; vault auth list, audit list.
	leader, err := root.Sys().Leader()
	if err != nil || !leader.IsSelf || leader.HAEnabled {
		t.Fatalf("sys/leader: %+v %v", leader, err)
	}
	auths, err := root.Sys().ListAuth()
	if err != nil || auths["userpass/"] == nil || auths["userpass/"].Type != "userpass" || auths["jwt/"].Type != "jwt" {
		t.Fatalf("sys/auth: %v %v", auths, err)
	}
	audits, err := root.Sys().ListAudit()
	if err != nil || audits["file/"] == nil || audits["file/"].Type != "file" || audits["file/"].Options["file_path"] == "" {
		t.Fatalf("sys/audit: %v %v", audits, err)
	}
	// secrets enable is refused with what to do instead.
	err = root.Sys().Mount("kv2", &vaultapi.MountInput{Type: "kv", Options: map[string]string{"version": "2"}})
	if err == nil || !strings.Contains(err.Error(), "ward env create") {
		t.Fatalf("secrets enable: %v", err)
	}
}
