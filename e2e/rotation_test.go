package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
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

	// The server starts the overlap when it rotates, after this instant:
	// the previous credential may die no earlier than 3 s after it.
	rotatedAt := time.Now()
	s.mustWard("", "db", "rotate-role", "--env", "staging", "app")
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

	// The metrics count the rotation and the reminder.
	req, _ := http.NewRequest("GET", s.Addr+"/v1/sys/metrics", nil)
	req.Header.Set("X-Vault-Token", s.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`ward_rotations_total{result="rotated"} 1`, `ward_rotations_total{result="needs-person"} 1`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %s", want)
		}
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

// A drill: a token without update on sys/ward/drill is refused (403); an
// empty prefix says so and exits 0; a real one revokes the tokens that read
// under the prefix, rotates every secret and static role with no overlap,
// and proves each old credential dead at PostgreSQL.
func TestDrill(t *testing.T) {
	pg := newPG(t)
	s := startDev(t, "")
	root := vaultClient(t, s, s.Token)
	a, b := staticPair(t, pg, root, "staging")
	s.mustWard("", "db", "static-role", "write", "--env", "staging", "app", "--db-name", "main", "--username", a, "--alternate-username", b)
	oldDB := s.staticCreds("staging", "app")
	s.mustWard("", "kv", "metadata", "put", "--env", "staging", "payments/api", "type=api-token", "owner=team-payments")
	s.mustWard(`{"token":"tok_0123456789abcdef0123456789"}`, "kv", "put", "--env", "staging", "payments/api")
	s.mustWard("", "kv", "metadata", "put", "--env", "staging", "payments/partner", "owner=team-partners")
	s.mustWard(`{"note":"handed over by phone"}`, "kv", "put", "--env", "staging", "payments/partner")

	reader := policyToken(t, root, "staging", "payreader", "rules:\n  - path: staging/payments/*\n    capabilities: [read]\n")
	if _, errOut, code := s.ward(reader, "", "kv", "get", "--env", "staging", "payments/api"); code != 0 {
		t.Fatalf("reader: %s", errOut)
	}
	_, errOut, code := s.ward(reader, "", "drill", "--env", "staging", "--prefix", "payments")
	if code == 0 || !strings.Contains(errOut, "403") || !strings.Contains(errOut, "sys/ward/drill") {
		t.Fatalf("a drill by a non-admin: exit %d: %s", code, errOut)
	}

	out := s.mustWard("", "drill", "--env", "staging", "--prefix", "nothing/here")
	if !strings.Contains(out, "holds nothing") {
		t.Fatalf("drill on an empty prefix: %s", out)
	}

	// A dry run changes nothing.
	out = s.mustWard("", "drill", "--env", "staging", "--prefix", "payments", "--dry-run", "--format", "json")
	var dry struct {
		Secrets []struct{ Path, Action string } `json:"secrets"`
		Tokens  []struct{ Identity string }     `json:"tokens"`
	}
	decodeJSON(t, out, &dry)
	if len(dry.Secrets) != 2 || dry.Secrets[0].Action != "would rotate" || dry.Secrets[1].Action != "needs a person" || len(dry.Tokens) != 1 {
		t.Fatalf("dry run = %+v", dry)
	}
	if _, errOut, code := s.ward(reader, "", "kv", "get", "--env", "staging", "payments/api"); code != 0 {
		t.Fatalf("the dry run revoked the reader: %s", errOut)
	}

	out, errOut, code = s.ward(s.Token, "", "drill", "--env", "staging", "--prefix", "payments", "--since", "1h", "--format", "json")
	var rep struct {
		ID      string `json:"id"`
		Steps   []struct{ Step string }
		Tokens  []struct{ Revoked bool }
		Secrets []struct {
			Path, Action, Verified, Owner string
			ReissuedAfter                 string `json:"reissued_after"`
		}
		Contacts []struct {
			Owner string
			Paths []string
		}
	}
	decodeJSON(t, out, &rep)
	// payments/partner has no generator: the drill says who to contact;
	// that is an outcome, not a failure (exit 0).
	if code != 0 {
		t.Fatalf("drill exit %d, contacts %+v: %s", code, rep.Contacts, errOut)
	}
	if len(rep.Secrets) != 2 || rep.Secrets[0].Action != "rotated" || rep.Secrets[0].ReissuedAfter == "" ||
		rep.Secrets[1].Action != "needs a person" || len(rep.Contacts) != 1 || rep.Contacts[0].Owner != "team-partners" {
		t.Fatalf("drill report = %+v", rep)
	}
	if len(rep.Tokens) != 1 || !rep.Tokens[0].Revoked || len(rep.Steps) < 4 {
		t.Fatalf("drill tokens %+v steps %+v", rep.Tokens, rep.Steps)
	}
	if _, _, code := s.ward(reader, "", "kv", "get", "--env", "staging", "payments/api"); code == 0 {
		t.Fatal("the token that read under the prefix still works after the drill")
	}
	if _, _, code := s.ward(s.Token, "", "kv", "get", "--env", "staging", "payments/api", "--version", "1"); code == 0 {
		t.Fatal("the compromised version is still readable after the drill")
	}
	audit, _ := os.ReadFile(filepath.Join(s.Data, "audit.log"))
	if !strings.Contains(string(audit), rep.ID) {
		t.Errorf("no audit entry carries the drill id %s", rep.ID)
	}

	// The static roles: the old password is dead at once, the new one works.
	out = s.mustWard("", "drill", "--env", "staging", "--prefix", "database/static-roles", "--format", "json")
	decodeJSON(t, out, &rep)
	if len(rep.Secrets) != 1 || rep.Secrets[0].Verified != "new works, old dead" {
		t.Fatalf("static role drill = %+v", rep.Secrets)
	}
	if err := pg.login(oldDB.Username, oldDB.Password); err == nil {
		t.Fatal("the static role's old password still logs in after the drill")
	}
	cur := s.staticCreds("staging", "app")
	if err := pg.login(cur.Username, cur.Password); err != nil {
		t.Fatalf("the reissued password does not log in: %v", err)
	}
}

// While the database cannot be reached a scheduled rotation fails: the old
// password stays current and valid, ward kv expiring shows the failure
// with its reason, the audit log has it; once the database is back the
// retry succeeds.
func TestStaticRotationWhileDatabaseDown(t *testing.T) {
	pg := newPG(t)
	s := startDev(t, "", "--rotate-interval", "200ms")
	root := vaultClient(t, s, s.Token)
	a, b := staticPair(t, pg, root, "staging")
	s.mustWard("", "db", "static-role", "write", "--env", "staging", "app", "--db-name", "main", "--username", a, "--alternate-username", b, "--rotation-period", "5s")
	before := s.staticCreds("staging", "app")

	// The database goes away (as ward sees it: nothing listens there).
	good := "postgres://{{username}}:{{password}}@" + pg.host + "/" + pg.db + "?sslmode=disable"
	write := func(url string) {
		if _, err := root.Logical().Write("staging/database/config/main", map[string]any{"plugin_name": "postgresql-database-plugin",
			"connection_url": url, "allowed_roles": "*", "username": pg.admin, "verify_connection": false}); err != nil {
			t.Fatal(err)
		}
	}
	write("postgres://{{username}}:{{password}}@127.0.0.1:1/" + pg.db + "?sslmode=disable&connect_timeout=1")
	type expiring struct {
		Path, Rotation string
	}
	var failed expiring
	if !eventually(30*time.Second, func() bool {
		var list []expiring
		decodeJSON(t, s.mustWard("", "kv", "expiring", "--format", "json"), &list)
		for _, e := range list {
			if e.Path == "database/static-roles/app" && strings.HasPrefix(e.Rotation, "failed: ") {
				failed = e
				return true
			}
		}
		return false
	}) {
		t.Fatalf("ward kv expiring never showed the failed rotation\n%s", s.Logs())
	}
	if err := pg.login(before.Username, before.Password); err != nil {
		t.Fatalf("the current password stopped working after a failed rotation: %v", err)
	}
	audit, _ := os.ReadFile(filepath.Join(s.Data, "audit.log"))
	if !strings.Contains(string(audit), `"rotation-failed"`) {
		t.Error("the failed rotation is not in the audit log")
	}

	write(good)
	if !eventually(40*time.Second, func() bool {
		var c staticCreds
		out, _, code := s.ward(s.Token, "", "db", "static-creds", "--env", "staging", "app", "--format", "json")
		return code == 0 && json.Unmarshal([]byte(out), &c) == nil && c.Password != before.Password && pg.login(c.Username, c.Password) == nil
	}) {
		t.Fatalf("the rotation was not retried once the database was back (failure was %q)\n%s", failed.Rotation, s.Logs())
	}
}

// kill -9 while a static role's rotation is at the database: after the
// restart, the old or the new password is current and logs in.
func TestKillDuringStaticRotation(t *testing.T) {
	pg := newPG(t)
	s := startDev(t, "")
	root := vaultClient(t, s, s.Token)
	a, _ := staticPair(t, pg, root, "staging")
	s.mustWard("", "db", "static-role", "write", "--env", "staging", "app", "--db-name", "main", "--username", a,
		"--rotation-statement", `ALTER ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}'`, "--rotation-statement", "SELECT pg_sleep(2)")
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.ward(s.Token, "", "db", "rotate-role", "--env", "staging", "app")
	}()
	time.Sleep(1 * time.Second) // inside pg_sleep: the new password is set, not yet committed
	s.Kill()
	<-done

	s2 := startDev(t, s.Data)
	if !eventually(15*time.Second, func() bool {
		out, _, code := s2.ward(s.Token, "", "db", "static-creds", "--env", "staging", "app", "--format", "json")
		var c staticCreds
		return code == 0 && json.Unmarshal([]byte(out), &c) == nil && pg.login(c.Username, c.Password) == nil
	}) {
		t.Fatalf("after kill -9 mid-rotation neither the old nor the new password is current and valid\n%s", s2.Logs())
	}
}
