package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	vaultapi "github.com/hashicorp/vault/api"
)

// HashiCorp Vault's Go client, unchanged, gets a PostgreSQL user from
// `staging/database/creds/app` as it would from Vault, renews and revokes
// its lease through Sys(); the user logs in while its lease lives and is
// gone from pg_roles once it is revoked. A staging token reaches neither
// prod's credentials nor another token's lease.
func TestDatabaseCredsThroughVaultClient(t *testing.T) {
	pg := newPG(t)
	s := startDev(t, "")
	root := vaultClient(t, s, s.Token)
	pg.configure(root, "staging")
	pg.configure(root, "prod")

	const rules = "rules:\n  - path: staging/database/creds/app\n    capabilities: [read]\n"
	app := vaultClient(t, s, policyToken(t, root, "staging", "dbapp", rules))
	other := vaultClient(t, s, policyToken(t, root, "staging", "dbother", rules))

	// vault read staging/database/creds/app
	sec, err := app.Logical().Read("staging/database/creds/app")
	if err != nil {
		t.Fatalf("read creds: %v", err)
	}
	user, _ := sec.Data["username"].(string)
	password, _ := sec.Data["password"].(string)
	if !strings.HasPrefix(user, "v-staging-app-") || password == "" {
		t.Fatalf("creds = %q / %d-byte password, want a v-staging-app-… user", user, len(password))
	}
	if !strings.HasPrefix(sec.LeaseID, "staging/database/creds/app/") || !sec.Renewable || sec.LeaseDuration != 3600 {
		t.Fatalf("lease = %q renewable %v duration %d, want staging/database/creds/app/…, renewable, 3600", sec.LeaseID, sec.Renewable, sec.LeaseDuration)
	}
	if err := pg.login(user, password); err != nil {
		t.Fatalf("the issued user cannot log in: %v", err)
	}

	// Sys().Lookup and Renew, by the token that got the lease.
	look, err := app.Sys().Lookup(sec.LeaseID)
	if err != nil || look.Data["id"] != sec.LeaseID {
		t.Fatalf("lookup = %v, %v", look, err)
	}
	ren, err := app.Sys().Renew(sec.LeaseID, 0) // by the lease's TTL, from now
	if err != nil {
		t.Fatalf("renew: %v", err)
	}
	if ren.LeaseID != sec.LeaseID || ren.LeaseDuration != 3600 || !ren.Renewable {
		t.Fatalf("renew = %q for %d s, want %q for 3600 s", ren.LeaseID, ren.LeaseDuration, sec.LeaseID)
	}
	// Past the role's max TTL (2h from issue): capped, with a warning.
	ren, err = app.Sys().Renew(sec.LeaseID, 5*3600)
	if err != nil || len(ren.Warnings) == 0 || ren.LeaseDuration > 2*3600 {
		t.Fatalf("renew past max_ttl = %+v, %v; want capped at 2h with a warning", ren, err)
	}

	// The environment and the lease's token are boundaries.
	if _, err := app.Logical().Read("prod/database/creds/app"); statusOf(err) != 403 {
		t.Errorf("staging token reading prod creds: %v, want 403", err)
	}
	if _, err := app.Logical().Read("staging/database/roles/app"); statusOf(err) != 403 {
		t.Errorf("reading the role without a rule for it: %v, want 403", err)
	}
	if _, err := other.Sys().Lookup(sec.LeaseID); statusOf(err) != 403 {
		t.Errorf("another token's lookup: %v, want 403", err)
	}
	if _, err := other.Sys().Renew(sec.LeaseID, 0); statusOf(err) != 403 {
		t.Errorf("another token's renew: %v, want 403", err)
	}
	if err := other.Sys().Revoke(sec.LeaseID); statusOf(err) != 403 {
		t.Errorf("another token's revoke: %v, want 403", err)
	}
	if err := app.Sys().RevokePrefix("staging/database/creds/app"); statusOf(err) != 403 {
		t.Errorf("revoke-prefix by a non-admin: %v, want 403", err)
	}
	prodSec, err := root.Logical().Read("prod/database/creds/app")
	if err != nil {
		t.Fatalf("root reading prod creds: %v", err)
	}
	if _, err := app.Sys().Lookup(prodSec.LeaseID); statusOf(err) != 403 {
		t.Errorf("staging token looking up a prod lease: %v, want 403", err)
	}
	if err := app.Sys().Revoke(prodSec.LeaseID); statusOf(err) != 403 {
		t.Errorf("staging token revoking a prod lease: %v, want 403", err)
	}

	// LIST sys/leases/lookup/PREFIX, as root.
	list, err := root.Logical().List("sys/leases/lookup/staging/database/creds/app/")
	if err != nil || list == nil {
		t.Fatalf("list leases: %v, %v", list, err)
	}
	keys, _ := list.Data["keys"].([]any)
	if want := strings.TrimPrefix(sec.LeaseID, "staging/database/creds/app/"); len(keys) != 1 || keys[0] != want {
		t.Errorf("listed %v, want [%s]", keys, want)
	}

	// Sys().Revoke by its token: the user is gone.
	if err := app.Sys().Revoke(sec.LeaseID); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if slices.Contains(pg.roles("v-staging-app-"), user) {
		t.Errorf("user %s is still in pg_roles after its lease was revoked", user)
	}
	if err := pg.login(user, password); err == nil {
		t.Errorf("user %s still logs in after its lease was revoked", user)
	}
	if _, err := app.Sys().Lookup(sec.LeaseID); statusOf(err) != 404 {
		t.Errorf("lookup of a revoked lease: %v, want 404", err)
	}

	// revoke-prefix by root takes prod's lease; nothing of the engine is left.
	if err := root.Sys().RevokePrefix("prod/database/creds/"); err != nil {
		t.Fatalf("revoke-prefix: %v", err)
	}
	if left := pg.roles("v-"); len(left) != 0 {
		t.Errorf("users left after revoke and revoke-prefix: %v", left)
	}
	checkCanary(t, s, root, pg.adminPw)
}

// checkCanary reads the config back and searches every response, log and
// data file for the admin password.
func checkCanary(t *testing.T, s *devServer, root *vaultapi.Client, canary string) {
	t.Helper()
	cfg, err := root.Logical().Read("staging/database/config/main")
	if err != nil {
		t.Fatalf("read config: %v", err)
	}
	if strings.Contains(strings.Join(flatten(cfg.Data), " "), canary) {
		t.Errorf("config read returns the admin password")
	}
	if strings.Contains(s.Logs(), canary) {
		t.Errorf("the server log holds the admin password")
	}
	filepath.Walk(s.Data, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return nil
		}
		if b, _ := os.ReadFile(p); strings.Contains(string(b), canary) {
			t.Errorf("data file %s holds the admin password in the clear", p)
		}
		return nil
	})
}

func flatten(m map[string]any) []string {
	var out []string
	for k, v := range m {
		out = append(out, k)
		switch v := v.(type) {
		case map[string]any:
			out = append(out, flatten(v)...)
		case string:
			out = append(out, v)
		}
	}
	return out
}
