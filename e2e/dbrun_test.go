package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runFixture is ward dev with staging's database engine set up with role
// "short", whose leases live 3 s, and a manifest whose component job
// takes a user of it.
type runFixture struct {
	t        *testing.T
	pg       *pgFixture
	s        *devServer
	manifest string
}

func newRunFixture(t *testing.T) *runFixture {
	t.Helper()
	pg := newPG(t)
	s := startDev(t, "")
	root := vaultClient(t, s, s.Token)
	pg.configure(root, "staging")
	writeOK(t, root, "staging/database/config/main", map[string]any{
		"plugin_name": "postgresql-database-plugin", "username": pg.admin, "password": pg.adminPw,
		"connection_url": "postgres://{{username}}:{{password}}@" + pg.host + "/" + pg.db + "?sslmode=disable",
		"allowed_roles":  "app,short",
	})
	writeOK(t, root, "staging/database/roles/short", map[string]any{"db_name": "main", "default_ttl": "3s", "max_ttl": "1h",
		"creation_statements": `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'`})
	m := filepath.Join(t.TempDir(), "ward.yaml")
	os.WriteFile(m, []byte("version: 1\ncomponents:\n  job:\n    language: other\n    env:\n"+
		"      JOB_DB_USER: {from: database/creds/short, field: username}\n"+
		"      JOB_DB_PASSWORD: {from: database/creds/short, field: password}\n"), 0o600)
	return &runFixture{t: t, pg: pg, s: s, manifest: m}
}

// start starts ward with args (after the manifest flags) as token.
func (f *runFixture) start(token string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	f.t.Helper()
	cmd := exec.Command(wardBin, args...)
	cmd.Env = append(os.Environ(), "WARD_ADDR="+f.s.Addr, "WARD_TOKEN="+token, "WARD_CONFIG_DIR="+f.s.Home)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, &out
}

func (f *runFixture) run(cmdArgs ...string) (*exec.Cmd, *bytes.Buffer) {
	args := append([]string{"run", "--env", "staging", "-f", f.manifest, "--"}, cmdArgs...)
	return f.start(f.s.Token, args...)
}

// waitUsers waits until n users of role short exist, for 15 s at most.
func (f *runFixture) waitUsers(n int) {
	f.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for len(f.pg.roles("v-staging-short-")) != n {
		if time.Now().After(deadline) {
			f.t.Fatalf("waited 15 s for %d users of role short; there are %v", n, f.pg.roles("v-staging-short-"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// The job runs longer than its user's 3 s lease: ward run renews it, so
// the user outlives the TTL, and drops it when the job exits.
func TestRunRenewsAndRevokesJobUser(t *testing.T) {
	f := newRunFixture(t)
	cmd, out := f.run("sleep", "8")
	f.waitUsers(1)
	time.Sleep(6 * time.Second) // twice the TTL: without renewals the user would be gone
	if n := len(f.pg.roles("v-staging-short-")); n != 1 {
		t.Fatalf("6 s into an 8 s job with a 3 s lease, %d users; want 1 (renewed)\n%s", n, out)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("ward run: %v\n%s", err, out)
	}
	if left := f.pg.roles("v-staging-short-"); len(left) != 0 {
		t.Errorf("after ward run returned, users %v are left", left)
	}
}

// However the job ends — by a signal to ward run, or by a crash — its
// user is dropped when ward run returns.
func TestRunRevokesJobUserOnSignalAndCrash(t *testing.T) {
	f := newRunFixture(t)
	cmd, out := f.run("sleep", "60")
	f.waitUsers(1)
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	if left := f.pg.roles("v-staging-short-"); len(left) != 0 {
		t.Errorf("after SIGTERM to ward run, users %v are left\n%s", left, out)
	}

	cmd, out = f.run("sh", "-c", `test -n "$JOB_DB_USER" && kill -SEGV $$`)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 128+int(syscall.SIGSEGV) {
		t.Fatalf("a crashing job: %v, want exit %d\n%s", err, 128+int(syscall.SIGSEGV), out)
	}
	if left := f.pg.roles("v-staging-short-"); len(left) != 0 {
		t.Errorf("after the job crashed, users %v are left\n%s", left, out)
	}
	if n := strings.Count(mustRead(t, f.s.Data+"/audit.log"), `"operation":"lease-revoked"`); n != 2 {
		t.Errorf("%d lease revocations in the audit log, want 2", n)
	}
}

// kill -9 of ward run: nothing revokes the lease, so it ends at its TTL.
func TestRunKilledLeaseExpires(t *testing.T) {
	f := newRunFixture(t)
	cmd, _ := f.run("sleep", "60")
	f.waitUsers(1)
	cmd.Process.Kill()
	cmd.Wait()
	killed := time.Now()
	f.waitUsers(0)
	if d := time.Since(killed); d > 10*time.Second {
		t.Errorf("the user went %s after ward run was killed; the lease's TTL is 3 s", d)
	}
}

// ward check proves the role exists and the token may use it, and leaves
// no user behind; a token without the right is told so.
func TestCheckDynamicEntry(t *testing.T) {
	f := newRunFixture(t)
	stdout, stderr, code := f.s.ward(f.s.Token, "", "check", "--env", "staging", "-f", f.manifest)
	if code != 0 {
		t.Fatalf("ward check: exit %d\n%s%s", code, stdout, stderr)
	}
	if left := f.pg.roles("v-staging-short-"); len(left) != 0 {
		t.Errorf("ward check left users %v", left)
	}
	if !strings.Contains(mustRead(t, f.s.Data+"/audit.log"), `"operation":"lease-revoked"`) {
		t.Errorf("ward check's user was not revoked in the audit log")
	}
	tok := policyToken(t, vaultClient(t, f.s, f.s.Token), "staging", "nodb", "rules:\n  - path: staging/payments/*\n    capabilities: [read]\n")
	stdout, stderr, code = f.s.ward(tok, "", "check", "--env", "staging", "-f", f.manifest)
	if code != 1 || !strings.Contains(stdout+stderr, "staging/database/creds/short") {
		t.Errorf("ward check without the right: exit %d, want 1 naming staging/database/creds/short\n%s%s", code, stdout, stderr)
	}
}
