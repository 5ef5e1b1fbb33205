package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
)

// Rotation, retirement and breach drills with the real binary against a
// real PostgreSQL: static roles in Vault's shapes, rotated with an overlap
// and retired; KV secrets rotated and retired; drills; faults.

// staticPair makes two database users with the same grants, for a static
// role that alternates between them, and a config "main" that allows
// every role. It returns the users' names.
func staticPair(t *testing.T, pg *pgFixture, root *vaultapi.Client, env string) (string, string) {
	t.Helper()
	word := randHex(t, 4)
	a, b := "rot_a_"+word, "rot_b_"+word
	for _, u := range []string{a, b} {
		pg.exec(fmt.Sprintf(`CREATE ROLE %s LOGIN PASSWORD 'initial-%s'`, u, randHex(t, 8)))
		pg.exec(fmt.Sprintf(`GRANT SELECT ON items TO %s`, u))
	}
	t.Cleanup(func() {
		for _, u := range []string{a, b} {
			pg.execQuiet(`DROP OWNED BY ` + u)
			pg.execQuiet(`DROP ROLE IF EXISTS ` + u)
		}
	})
	if _, err := root.Logical().Write(env+"/database/config/main", map[string]any{
		"plugin_name":    "postgresql-database-plugin",
		"connection_url": "postgres://{{username}}:{{password}}@" + pg.host + "/" + pg.db + "?sslmode=disable",
		"allowed_roles":  "*",
		"username":       pg.admin,
		"password":       pg.adminPw,
	}); err != nil {
		t.Fatalf("write config: %v", err)
	}
	return a, b
}

type staticCreds struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func (s *devServer) staticCreds(env, name string) staticCreds {
	s.t.Helper()
	var c staticCreds
	decodeJSON(s.t, s.mustWard("", "db", "static-creds", "--env", env, name, "--format", "json"), &c)
	if c.Username == "" || c.Password == "" {
		s.t.Fatalf("static-creds %s = %+v", name, c)
	}
	return c
}

// eventually polls cond every 100ms for up to d.
func eventually(d time.Duration, cond func() bool) bool {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if cond() {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return cond()
}

// A static role with two users: after a rotation the previous user and
// password still log in for the overlap, and no longer after it; retiring
// the role disables its password at the database and static-creds answers
// 410 with the tombstone.
func TestStaticRoleOverlapThenRetire(t *testing.T) {
	pg := newPG(t)
	s := startDev(t, "", "--rotate-interval", "200ms")
	root := vaultClient(t, s, s.Token)
	a, b := staticPair(t, pg, root, "staging")
	s.mustWard("", "db", "static-role", "write", "--env", "staging", "app", "--db-name", "main",
		"--username", a, "--alternate-username", b, "--overlap", "3s")

	var role map[string]any
	decodeJSON(t, s.mustWard("", "db", "static-role", "read", "--env", "staging", "app", "--format", "json"), &role)
	if role["username"] != a || role["alternate_username"] != b || role["db_name"] != "main" || role["overlap"] != float64(3) {
		t.Fatalf("static role = %v", role)
	}
	old := s.staticCreds("staging", "app")
	if err := pg.login(old.Username, old.Password); err != nil {
		t.Fatalf("the static role's user cannot log in: %v", err)
	}

	s.mustWard("", "db", "rotate-role", "--env", "staging", "app")
	rotatedAt := time.Now()
	cur := s.staticCreds("staging", "app")
	if cur.Username == old.Username || cur.Password == old.Password {
		t.Fatalf("after rotate-role: %s, want the other user of the pair with a new password", cur.Username)
	}
	if err := pg.login(cur.Username, cur.Password); err != nil {
		t.Fatalf("the new credential does not log in: %v", err)
	}
	if err := pg.login(old.Username, old.Password); err != nil && time.Since(rotatedAt) < 3*time.Second {
		t.Fatalf("the previous credential stopped working inside its overlap: %v", err)
	}
	if !eventually(20*time.Second, func() bool { return pg.login(old.Username, old.Password) != nil }) {
		t.Fatalf("the previous credential still logs in well after its 3s overlap")
	}
	if time.Since(rotatedAt) < 3*time.Second {
		t.Fatalf("the previous credential died %s after the rotation, inside its 3s overlap", time.Since(rotatedAt))
	}
	if err := pg.login(cur.Username, cur.Password); err != nil {
		t.Fatalf("the current credential died with the previous one: %v", err)
	}

	out := s.mustWard("", "kv", "retire", "--env", "staging", "database/static-roles/app", "--reason", "app decommissioned", "--format", "json")
	var tomb map[string]any
	decodeJSON(t, out, &tomb)
	if tomb["by"] != "root" || tomb["reason"] != "app decommissioned" || tomb["disabled_at_target"] != true {
		t.Errorf("tombstone = %v", tomb)
	}
	if err := pg.login(cur.Username, cur.Password); err == nil {
		t.Fatal("the retired static role's password still logs in")
	}
	_, err := root.Logical().Read("staging/database/static-creds/app")
	if statusOf(err) != 410 || !strings.Contains(err.Error(), "app decommissioned") {
		t.Fatalf("static-creds after retirement: %v, want 410 naming the reason", err)
	}
	_, errOut, code := s.ward(s.Token, "", "db", "static-creds", "--env", "staging", "app")
	if code == 0 || !strings.Contains(errOut, "retired") {
		t.Fatalf("ward db static-creds after retirement: exit %d: %s", code, errOut)
	}
	if strings.Contains(s.Logs(), cur.Password) || strings.Contains(s.Logs(), old.Password) {
		t.Fatal("a static role's password is in the server's log")
	}
}

// A KV secret of a type with a generator rotates with an overlap; one
// without a generator is refused with a reminder to its owner; retiring a
// secret answers 410 to reads and makes ward check fail with a hint.
func TestKVRotateAndRetire(t *testing.T) {
	s := startDev(t, "")
	s.mustWard("", "kv", "metadata", "put", "--env", "staging", "payments/db", "type=password", "owner=team-payments", "recipients=ci-api")
	s.mustWard(`{"username":"app","password":"first-password-0123456789abcdef"}`, "kv", "put", "--env", "staging", "payments/db")

	var res struct {
		Record struct {
			From, To int
			State    string
		} `json:"record"`
	}
	decodeJSON(t, s.mustWard("", "kv", "rotate", "--env", "staging", "payments/db", "--format", "json"), &res)
	if res.Record.From != 1 || res.Record.To != 2 || res.Record.State != "current" {
		t.Fatalf("rotation = %+v, want 1 -> 2, current", res.Record)
	}
	var got struct {
		Data struct{ Username, Password string }
	}
	decodeJSON(t, s.mustWard("", "kv", "get", "--env", "staging", "payments/db", "--format", "json"), &got)
	v2 := got.Data
	if v2.Username != "app" || v2.Password == "first-password-0123456789abcdef" || len(v2.Password) < 16 {
		t.Fatalf("after rotation: user %q, password of %d bytes; want app and a new password", v2.Username, len(v2.Password))
	}
	// The recipient that has not read the new version is named (root
	// read it above); the previous version is still there for the overlap.
	var st struct {
		Holders  []string `json:"holders"`
		RetireAt string   `json:"retire_at"`
	}
	decodeJSON(t, s.mustWard("", "kv", "rotation", "status", "--env", "staging", "payments/db", "--format", "json"), &st)
	if len(st.Holders) != 1 || st.Holders[0] != "ci-api" || st.RetireAt == "" {
		t.Fatalf("rotation status = %+v, want ci-api still holding version 1", st)
	}
	s.mustWard("", "kv", "get", "--env", "staging", "payments/db", "--version", "1")

	// No generator: refused, and the owner is reminded in the audit log.
	s.mustWard("", "kv", "metadata", "put", "--env", "staging", "payments/webhook", "owner=team-hooks")
	s.mustWard(`{"url":"https://hooks.example/abc"}`, "kv", "put", "--env", "staging", "payments/webhook")
	_, errOut, code := s.ward(s.Token, "", "kv", "rotate", "--env", "staging", "payments/webhook")
	if code == 0 || !strings.Contains(errOut, "no generator") || !strings.Contains(errOut, "hint:") {
		t.Fatalf("rotating a secret without a generator: exit %d: %s", code, errOut)
	}
	audit, err := os.ReadFile(filepath.Join(s.Data, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(audit), `"rotation-needs-person"`) || !strings.Contains(string(audit), "team-hooks") {
		t.Error("no needs-person event naming the owner in the audit log")
	}
	if strings.Contains(string(audit), v2.Password) {
		t.Fatal("the new password is in the audit log")
	}

	// Retire: reads answer 410 with the tombstone; ward check fails.
	s.mustWard("", "kv", "retire", "--env", "staging", "payments/db", "--reason", "moved to static roles")
	root := vaultClient(t, s, s.Token)
	_, err = root.Logical().Read("staging/data/payments/db")
	if statusOf(err) != 410 || !strings.Contains(err.Error(), "moved to static roles") {
		t.Fatalf("read after retirement: %v, want 410 with the reason", err)
	}
	if _, _, code := s.ward(s.Token, "", "kv", "get", "--env", "staging", "payments/db", "--version", "1"); code == 0 {
		t.Fatal("the previous version is still readable after retirement")
	}
	manifest := filepath.Join(t.TempDir(), "ward.yaml")
	os.WriteFile(manifest, []byte("version: 1\ncomponents:\n  api:\n    language: go\n    env:\n      DB_PASSWORD: {from: payments/db, field: password}\n"), 0o600)
	out, errOut, code := s.ward(s.Token, "", "check", "--env", "staging", "-f", manifest)
	if code == 0 || !strings.Contains(out+errOut, "retired") || !strings.Contains(out+errOut, "remove it from ward.yaml") {
		t.Fatalf("ward check naming a retired secret: exit %d\n%s%s", code, out, errOut)
	}
}
