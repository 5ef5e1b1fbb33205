package e2e

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
)

// waitGone waits (the real clock: the server's scheduler runs on it) until
// no role of pg starts with prefix, and fails after limit.
func waitGone(t *testing.T, pg *pgFixture, prefix string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		left := pg.roles(prefix)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s, users %v are still in pg_roles", limit, left)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func writeOK(t *testing.T, c *vaultapi.Client, path string, data map[string]any) {
	t.Helper()
	if _, err := c.Logical().Write(path, data); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
}

// Every bad input and fault gets a clear error and leaves neither a lease
// nor a user behind.
func TestDatabaseFaultsLeaveNothing(t *testing.T) {
	pg := newPG(t)
	s := startDev(t, "")
	root := vaultClient(t, s, s.Token)
	pg.configure(root, "staging")
	writeOK(t, root, "staging/database/config/main", map[string]any{
		"plugin_name": "postgresql-database-plugin", "username": pg.admin, "password": pg.adminPw,
		"connection_url": "postgres://{{username}}:{{password}}@" + pg.host + "/" + pg.db + "?sslmode=disable",
		"allowed_roles":  []string{"app", "broken", "long"},
	})
	// A config whose database is down (nothing listens on port 1).
	writeOK(t, root, "staging/database/config/down", map[string]any{
		"plugin_name": "postgresql-database-plugin", "username": pg.admin, "password": pg.adminPw,
		"connection_url": "postgres://{{username}}:{{password}}@127.0.0.1:1/x?sslmode=disable&connect_timeout=2",
		"allowed_roles":  "gone", "verify_connection": "false",
	})
	create := `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'`
	writeOK(t, root, "staging/database/roles/gone", map[string]any{"db_name": "down", "creation_statements": create})
	writeOK(t, root, "staging/database/roles/broken", map[string]any{"db_name": "main",
		"creation_statements": []string{create, `GRANT SELECT ON no_such_table TO "{{name}}"`}})
	writeOK(t, root, "staging/database/roles/long", map[string]any{"db_name": "main", "creation_statements": create,
		"default_ttl": "3h", "max_ttl": "1h"})

	// The database is down: 503 naming the config, never its password.
	_, err := root.Logical().Read("staging/database/creds/gone")
	if statusOf(err) != 503 || !strings.Contains(err.Error(), `"down"`) || strings.Contains(err.Error(), pg.adminPw) {
		t.Errorf("creds with the database down: %v; want 503 naming config \"down\" without its password", err)
	}
	// A creation statement fails: the error says which, and the half-made
	// user is rolled back.
	_, err = root.Logical().Read("staging/database/creds/broken")
	if statusOf(err) != 502 || !strings.Contains(err.Error(), "creation statement 2") {
		t.Errorf("creds with a failing statement: %v; want 502 naming creation statement 2", err)
	}
	// A role naming an unknown config, or one its config does not allow,
	// is refused when written.
	for role, db := range map[string]string{"orphan": "nosuch", "notallowed": "main"} {
		_, err := root.Logical().Write("staging/database/roles/"+role, map[string]any{"db_name": db, "creation_statements": create})
		if statusOf(err) != 400 {
			t.Errorf("role %s on config %s: %v, want 400", role, db, err)
		}
	}
	// A config that stops allowing a role refuses its creds.
	writeOK(t, root, "staging/database/config/main", map[string]any{
		"plugin_name": "postgresql-database-plugin", "username": pg.admin, "password": pg.adminPw,
		"connection_url": "postgres://{{username}}:{{password}}@" + pg.host + "/" + pg.db + "?sslmode=disable",
		"allowed_roles":  "broken,long",
	})
	if _, err := root.Logical().Read("staging/database/creds/app"); statusOf(err) != 400 || !strings.Contains(err.Error(), "allowed_roles") {
		t.Errorf("creds of a role no longer allowed: %v, want 400 naming allowed_roles", err)
	}
	// Bad bodies name the field, never the value.
	for body, field := range map[string]string{
		`{"db_name":"main","creation_statements":"x","default_ttl":"soon"}`: "default_ttl",
		`{"db_name":"main","creation_statements":"x","colour":"red"}`:       "colour",
		`{"db_name":["main"],"creation_statements":"x"}`:                    "db_name",
	} {
		r := root.NewRequest("PUT", "/v1/staging/database/roles/long")
		r.BodyBytes = []byte(body)
		_, err := root.RawRequest(r)
		if statusOf(err) != 400 || !strings.Contains(err.Error(), field) {
			t.Errorf("role body %s: %v, want 400 naming %s", body, err, field)
		}
	}
	if left := pg.roles("v-"); len(left) != 0 {
		t.Errorf("users left behind by failed requests: %v", left)
	}
	if list, err := root.Logical().List("sys/leases/lookup/staging/database/creds/"); err != nil || list != nil {
		t.Errorf("leases left behind by failed requests: %v, %v", list, err)
	}

	// A default TTL above the max TTL is capped, with a warning.
	sec, err := root.Logical().Read("staging/database/creds/long")
	if err != nil || sec.LeaseDuration != 3600 || len(sec.Warnings) == 0 {
		t.Fatalf("creds of a role with default_ttl > max_ttl: %+v, %v; want 3600 s with a warning", sec, err)
	}
	if err := root.Sys().Revoke(sec.LeaseID); err != nil {
		t.Fatal(err)
	}
	checkCanary(t, s, root, pg.adminPw)
}

// Leases end with their token's tree, with their environment, at their
// TTL, and, when they expired while ward was sealed, at unseal; each
// revocation is in the audit log.
func TestLeasesEndWithTokenEnvAndTime(t *testing.T) {
	pg := newPG(t)
	s := startDev(t, "")
	root := vaultClient(t, s, s.Token)
	writeOK(t, root, "sys/ward/envs/qa", nil)
	for _, env := range []string{"staging", "qa"} {
		pg.configure(root, env)
	}
	create := `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'`
	writeOK(t, root, "staging/database/roles/broken", map[string]any{"db_name": "main", "creation_statements": create, "default_ttl": "3s"})

	// A token and its child each get a user; revoking the parent takes both.
	parent := vaultClient(t, s, policyToken(t, root, "staging", "dbparent",
		"rules:\n  - path: staging/database/creds/*\n    capabilities: [read]\n  - path: auth/token/create\n    capabilities: [create]\n"))
	childSec, err := parent.Logical().Write("auth/token/create", map[string]any{"policies": []string{"dbparent"}, "ttl": "30m"})
	if err != nil {
		t.Fatal(err)
	}
	child := vaultClient(t, s, childSec.Auth.ClientToken)
	for _, c := range []*vaultapi.Client{parent, child} {
		if _, err := c.Logical().Read("staging/database/creds/app"); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(pg.roles("v-staging-app-")); n != 2 {
		t.Fatalf("%d users, want 2", n)
	}
	if err := root.Auth().Token().RevokeTree(parent.Token()); err != nil {
		t.Fatal(err)
	}
	if left := pg.roles("v-staging-app-"); len(left) != 0 {
		t.Errorf("after revoking the parent token, users %v are left", left)
	}

	// Deleting an environment revokes its leases.
	if _, err := root.Logical().Read("qa/database/creds/app"); err != nil {
		t.Fatal(err)
	}
	if _, err := root.Logical().Delete("sys/ward/envs/qa"); err != nil {
		t.Fatal(err)
	}
	if left := pg.roles("v-qa-"); len(left) != 0 {
		t.Errorf("after deleting environment qa, users %v are left", left)
	}

	// A 3 s lease expires on its own.
	if _, err := root.Logical().Read("staging/database/creds/broken"); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pg, "v-staging-broken-", 15*time.Second)

	// One that expires while ward is sealed is revoked at unseal.
	if _, err := root.Logical().Read("staging/database/creds/broken"); err != nil {
		t.Fatal(err)
	}
	if err := root.Sys().Seal(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(4 * time.Second) // past the lease's TTL, sealed
	if n := len(pg.roles("v-staging-broken-")); n != 1 {
		t.Fatalf("while sealed, %d users of the expired lease, want 1 (nothing runs while sealed)", n)
	}
	unsealWith(t, s, devKey(t, s))
	waitGone(t, pg, "v-staging-broken-", 15*time.Second)

	audit := mustRead(t, s.Data+"/audit.log")
	if n := strings.Count(audit, `"operation":"lease-revoked"`); n < 5 {
		t.Errorf("the audit log has %d lease-revoked events, want at least 5", n)
	}
	checkCanary(t, s, root, pg.adminPw)
}

// 10,000 creds requests from one identity: the first 1,000 (the default
// quota) get users, the rest 429 with Retry-After; revoke-prefix then takes
// all 1,000 users back.
func TestDatabaseCredsQuota(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 requests")
	}
	pg := newPG(t)
	s := startDev(t, "")
	root := vaultClient(t, s, s.Token)
	pg.configure(root, "staging")
	tok := policyToken(t, root, "staging", "dbquota", "rules:\n  - path: staging/database/creds/app\n    capabilities: [read]\n")
	var ok, limited, other atomic.Int64
	var retryAfter atomic.Value
	var firstOther atomic.Value // the first other error, to say what it was
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := vaultClient(t, s, tok)
			for next.Add(1) <= 10000 {
				r := c.NewRequest("GET", "/v1/staging/database/creds/app")
				resp, err := c.RawRequest(r)
				switch {
				case err == nil:
					ok.Add(1)
				case statusOf(err) == 429:
					limited.Add(1)
					retryAfter.Store(resp.Header.Get("Retry-After"))
				default:
					other.Add(1)
					firstOther.CompareAndSwap(nil, fmt.Sprintf("status %d: %v", statusOf(err), err))
				}
				if resp != nil {
					resp.Body.Close()
				}
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1000 || limited.Load() != 9000 || other.Load() != 0 {
		t.Fatalf("%d issued, %d refused with 429, %d other errors; want 1000, 9000, 0 (first other error: %v)", ok.Load(), limited.Load(), other.Load(), firstOther.Load())
	}
	if ra, _ := retryAfter.Load().(string); ra == "" || ra == "0" {
		t.Errorf("429 without a Retry-After: %q", ra)
	}
	start := time.Now()
	if err := root.Sys().RevokePrefix("staging/database/creds/app"); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if left := pg.roles("v-"); len(left) != 0 {
		t.Errorf("%d users left after revoke-prefix", len(left))
	}
	t.Logf("revoke-prefix of 1,000 leases took %s", took)
}
