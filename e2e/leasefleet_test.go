package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
)

// Two servers on one PostgreSQL: the one holding the "leases" lock expires
// every lease, whichever server issued, renewed or revoked it, and when it
// is killed with SIGKILL the other takes the expiry over.

// leaseTTL is the short life of the credentials these tests issue.
const leaseTTL = 4 * time.Second

// shortCreds configures env's database engine on pg with role app issuing
// users for leaseTTL (renewable up to a minute).
func shortCreds(t *testing.T, pg *pgFixture, root *vaultapi.Client, env string) {
	t.Helper()
	pg.configure(root, env)
	if _, err := root.Logical().Write(env+"/database/roles/app", map[string]any{
		"db_name": "main",
		"creation_statements": []string{
			`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'`,
			`GRANT SELECT ON items TO "{{name}}"`,
		},
		"default_ttl": leaseTTL.String(),
		"max_ttl":     "1m",
	}); err != nil {
		t.Fatalf("write role app: %v", err)
	}
}

// issue reads a credential of role app in staging and returns its user
// and lease id.
func issue(t *testing.T, c *vaultapi.Client) (user, leaseID string) {
	t.Helper()
	sec, err := c.Logical().Read("staging/database/creds/app")
	if err != nil {
		t.Fatalf("read creds: %v", err)
	}
	user, _ = sec.Data["username"].(string)
	if user == "" || sec.LeaseID == "" || sec.LeaseDuration != int(leaseTTL.Seconds()) {
		t.Fatalf("creds: user %q lease %q for %d s, want a user and a lease for %v", user, sec.LeaseID, sec.LeaseDuration, leaseTTL)
	}
	return user, sec.LeaseID
}

// auditCount counts the audit entries of s with operation op about lease id.
func auditCount(t *testing.T, s *devServer, op, id string) int {
	t.Helper()
	n := 0
	for _, line := range strings.Split(mustRead(t, s.Data+"/audit.log"), "\n") {
		if strings.Contains(line, `"operation":"`+op+`"`) && strings.Contains(line, id) {
			n++
		}
	}
	return n
}

// leadsLeases reports whether s's log says it runs the lease expiry.
func leadsLeases(s *devServer) bool {
	for _, line := range strings.Split(s.Logs(), "\n") {
		if strings.Contains(line, "this server now runs the run-once work") && strings.Contains(line, "leases") {
			return true
		}
	}
	return false
}

func TestLeaseExpiryMovesOnKill(t *testing.T) {
	pg := newPG(t)
	a, b := twoServers(t)
	a.mustWard("", "env", "create", "staging")
	rootA, rootB := vaultClient(t, a, a.Token), vaultClient(t, b, b.Token)
	shortCreds(t, pg, rootA, "staging")
	if !logShowsWithin(a, "this server now runs the run-once work", 10*time.Second) || !leadsLeases(a) || leadsLeases(b) {
		t.Fatalf("the first server does not lead the lease expiry alone:\nfirst:\n%s\nsecond:\n%s", a.Logs(), b.Logs())
	}
	until(t, b, "POST", "staging/data/warm", b.Token, `{"data":{"n":"0"}}`, 200, time.Now(), 5*time.Second) // B knows staging

	// Issued on A (so in the leader's own schedule), renewed and revoked
	// on B: the leader neither expires the renewed one at its first expiry
	// nor revokes the revoked one again.
	renewedUser, renewed := issue(t, rootA)
	revokedUser, revoked := issue(t, rootA)
	if _, err := rootB.Sys().Lookup(renewed); err != nil {
		t.Fatalf("the second server cannot look up a lease issued on the first: %v", err)
	}
	if ren, err := rootB.Sys().Renew(renewed, 30); err != nil || ren.LeaseDuration != 30 {
		t.Fatalf("renew on the second server: %+v, %v", ren, err)
	}
	if err := rootB.Sys().Revoke(revoked); err != nil {
		t.Fatalf("revoke on the second server: %v", err)
	}
	if slices.Contains(pg.roles("v-"), revokedUser) {
		t.Fatalf("user %s is left after its revocation on the second server", revokedUser)
	}
	time.Sleep(leaseTTL + 2*time.Second) // past the first expiry, on real time: the leader's own clock
	if !slices.Contains(pg.roles("v-"), renewedUser) {
		t.Fatalf("user %s of a lease renewed on the second server was dropped at its first expiry", renewedUser)
	}
	if look, err := rootA.Sys().Lookup(renewed); err != nil || look.Data["id"] != renewed {
		t.Fatalf("the leader lost the renewed lease: %v, %v", look, err)
	}
	if _, err := rootA.Sys().Lookup(revoked); statusOf(err) != 404 {
		t.Errorf("the leader still knows the lease revoked on the second server: %v", err)
	}
	if n := auditCount(t, a, "lease-revoked", revoked); n != 0 {
		t.Errorf("the leader audited %d revocations of the lease the second server revoked", n)
	}
	if n := auditCount(t, b, "lease-revoked", revoked); n != 1 {
		t.Errorf("the second server audited %d revocations of the lease it revoked, want 1", n)
	}
	for _, s := range []*devServer{a, b} {
		if strings.Contains(s.Logs(), "revocations failed") || strings.Contains(mustRead(t, s.Data+"/audit.log"), "lease-revoke-failed") {
			t.Errorf("a server logged or audited a failed revocation:\n%s", s.Logs())
		}
	}

	// Issued on A, which dies at once: B expires it, within TTL + 10 s.
	user, id := issue(t, rootA)
	issued := time.Now()
	a.Kill()
	killed := time.Now()
	for !leadsLeases(b) {
		if time.Since(killed) > 10*time.Second {
			t.Fatalf("the second server did not take the lease expiry over within 10 s of the kill:\n%s", b.Logs())
		}
		time.Sleep(5 * time.Millisecond)
	}
	tookOver := time.Since(killed)
	for slices.Contains(pg.roles("v-"), user) {
		if time.Since(issued) > leaseTTL+10*time.Second {
			t.Fatalf("user %s is still in pg_roles %v after its lease was issued on the killed server:\n%s", user, time.Since(issued), b.Logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
	gone := time.Now()
	// The role goes first; the record's delete and the audit entry follow.
	for {
		n := auditCount(t, b, "lease-revoked", id)
		_, err := rootB.Sys().Lookup(id)
		if n == 1 && statusOf(err) == 404 {
			break
		}
		if time.Since(gone) > 5*time.Second {
			t.Fatalf("5 s after the role was dropped the second server has audited %d revocations of the killed server's lease (want 1) and looks it up with %v (want 404)", n, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("the lease expiry moved %v after kill -9; a %v lease issued on the killed server was revoked by the other %v after the kill (%v after its expiry)",
		tookOver.Round(time.Millisecond), leaseTTL, gone.Sub(killed).Round(time.Millisecond), gone.Sub(issued.Add(leaseTTL)).Round(time.Millisecond))
}
