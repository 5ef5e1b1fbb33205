package e2e

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// ward db and ward lease, with the real binary: the admin password goes in
// on stdin and never comes out; a user made by ward db creds logs in until
// ward lease revoke drops it.
func TestDBAndLeaseCommands(t *testing.T) {
	pg := newPG(t)
	s := startDev(t, "")
	url := "postgres://{{username}}:{{password}}@" + pg.host + "/" + pg.db + "?sslmode=disable"
	s.mustWard(pg.adminPw+"\n", "db", "config", "write", "--env", "staging", "main", "--connection-url", url, "--username", pg.admin, "--allowed-roles", "app")
	s.mustWard("", "db", "role", "write", "--env", "staging", "app", "--db-name", "main", "--default-ttl", "1h", "--max-ttl", "2h",
		"--creation-statement", `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'`,
		"--creation-statement", `GRANT SELECT ON items TO "{{name}}"`)
	if out := s.mustWard("", "db", "config", "read", "--env", "staging", "main", "--format", "json"); strings.Contains(out, pg.adminPw) || !strings.Contains(out, pg.admin) {
		t.Errorf("ward db config read: %s", out)
	}
	var cr struct{ Username, Password, LeaseID string }
	var creds map[string]any
	decodeJSON(t, s.mustWard("", "db", "creds", "--env", "staging", "app", "--format", "json"), &creds)
	cr.Username, cr.Password, cr.LeaseID = creds["username"].(string), creds["password"].(string), creds["lease_id"].(string)
	if err := pg.login(cr.Username, cr.Password); err != nil {
		t.Fatalf("the user from ward db creds cannot log in: %v", err)
	}
	var keys []string
	decodeJSON(t, s.mustWard("", "lease", "list", "staging/database/creds/app/", "--format", "json"), &keys)
	if len(keys) != 1 || !strings.HasSuffix(cr.LeaseID, "/"+keys[0]) {
		t.Errorf("ward lease list = %v, want the lease of %s", keys, cr.LeaseID)
	}
	var info map[string]any
	decodeJSON(t, s.mustWard("", "lease", "lookup", cr.LeaseID, "--format", "json"), &info)
	if info["id"] != cr.LeaseID || info["renewable"] != true {
		t.Errorf("ward lease lookup = %v", info)
	}
	var renewed map[string]any
	decodeJSON(t, s.mustWard("", "lease", "renew", cr.LeaseID, "--increment", "90m", "--format", "json"), &renewed)
	if renewed["lease_duration"] != json.Number("5400") && renewed["lease_duration"] != float64(5400) {
		t.Errorf("ward lease renew --increment 90m = %v, want 5400 s", renewed)
	}
	var failed []any
	decodeJSON(t, s.mustWard("", "lease", "list", "--failed", "--format", "json"), &failed)
	if len(failed) != 0 {
		t.Errorf("failed revocations: %v", failed)
	}
	s.mustWard("", "lease", "revoke", cr.LeaseID)
	if slices.Contains(pg.roles("v-staging-app-"), cr.Username) {
		t.Errorf("user %s is left after ward lease revoke", cr.Username)
	}
	if _, stderr, code := s.ward(s.Token, "", "lease", "lookup", cr.LeaseID); code == 0 || !strings.Contains(stderr, "not found") {
		t.Errorf("lookup of a revoked lease: exit %d, %s", code, stderr)
	}
	checkCanary(t, s, vaultClient(t, s, s.Token), pg.adminPw)
}
