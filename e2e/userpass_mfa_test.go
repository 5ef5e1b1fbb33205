package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/auth/totp"
)

// wardWithHome runs the CLI as a user whose token lives in home (WARD_TOKEN
// unset), with extra environment variables.
func (s *devServer) wardWithHome(home, stdin string, env []string, args ...string) (stdout, stderr string, code int) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, wardBin, args...)
	cmd.Env = append(os.Environ(), "WARD_ADDR="+s.Addr, "WARD_TOKEN=", "WARD_MFA=", "WARD_CONFIG_DIR="+home)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		s.t.Fatalf("running ward %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// A user logs in with a password, enrols TOTP, and a read that a policy
// guards with "mfa: required" needs a fresh code, once.
func TestUserpassMFA(t *testing.T) {
	s := startDev(t, "")
	s.mustWard(`{"password":"guarded-value"}`, "kv", "put", "--env", "staging", "payments/db")
	s.mustWard(`{"dsn":"plain-value"}`, "kv", "put", "--env", "staging", "shared/sentry")
	policy := "rules:\n  - path: staging/payments/db\n    capabilities: [read]\n    mfa: required\n  - path: staging/shared/*\n    capabilities: [read]\n"
	s.mustWard(policy, "policy", "write", "alice", "-f", "-")
	s.mustWard("correct horse battery\n", "user", "create", "alice", "--policy", "alice", "--ttl", "1h")
	if out := s.mustWard("", "user", "list"); out != "alice\n" {
		t.Fatalf("user list: %q", out)
	}

	home := t.TempDir()
	// A wrong password: refused, nothing written.
	if _, errOut, code := s.wardWithHome(home, "wrong password\n", nil, "login", "alice", "--env", "staging"); code == 0 || !strings.Contains(errOut, "invalid username or password") {
		t.Fatalf("wrong password: exit %d\n%s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(home, "token")); err == nil {
		t.Fatal("a failed login wrote a token file")
	}
	// The name in another case and width is the same user.
	out, errOut, code := s.wardWithHome(home, "correct horse battery\n", nil, "login", "ＡＬＩＣＥ", "--env", "staging")
	if code != 0 || !strings.Contains(out, "logged in as alice to staging") {
		t.Fatalf("login: exit %d\n%s\n%s", code, out, errOut)
	}
	if fi, err := os.Stat(filepath.Join(home, "token")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v %v", fi, err)
	}
	as := func(stdin string, env []string, args ...string) (string, string, int) {
		return s.wardWithHome(home, stdin, env, args...)
	}

	// Without MFA rules the user's token just works.
	if out, errOut, code := as("", nil, "kv", "get", "--env", "staging", "--field", "dsn", "shared/sentry"); code != 0 || out != "plain-value\n" {
		t.Fatalf("plain read: exit %d %q %s", code, out, errOut)
	}
	// Not enrolled yet: the guarded read is refused with the hint.
	if _, errOut, code := as("", nil, "kv", "get", "--env", "staging", "payments/db"); code == 0 || !strings.Contains(errOut, "ward mfa enroll") {
		t.Fatalf("unenrolled: exit %d\n%s", code, errOut)
	}

	out, errOut, code = as("", nil, "mfa", "enroll", "--format", "json")
	if code != 0 {
		t.Fatalf("enroll: exit %d\n%s", code, errOut)
	}
	var en struct{ Identity, URI, Secret string }
	decodeJSON(t, out, &en)
	if en.Identity != "userpass/alice" || !strings.HasPrefix(en.URI, "otpauth://totp/ward:alice?") || en.Secret == "" {
		t.Fatalf("enroll: %+v", en)
	}
	first, err := totp.Code(en.Secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := as(first+"\n", nil, "mfa", "confirm"); code != 0 || !strings.Contains(out, "confirmed") {
		t.Fatalf("confirm: exit %d\n%s\n%s", code, out, errOut)
	}

	// No code and no terminal: refused, with how to give one.
	if _, errOut, code := as("", nil, "kv", "get", "--env", "staging", "payments/db"); code == 0 || !strings.Contains(errOut, "hint: this needs a TOTP code: set WARD_MFA") {
		t.Fatalf("no code: exit %d\n%s", code, errOut)
	}
	// The next step's code: allowed once.
	next, _ := totp.Code(en.Secret, time.Now().Add(totp.Period))
	env := []string{"WARD_MFA=" + next}
	if out, errOut, code := as("", env, "kv", "get", "--env", "staging", "--field", "password", "payments/db"); code != 0 || out != "guarded-value\n" {
		t.Fatalf("with a code: exit %d %q\n%s", code, out, errOut)
	}
	// The same code again: a replay.
	if _, errOut, code := as("", env, "kv", "get", "--env", "staging", "payments/db"); code == 0 || !strings.Contains(errOut, "already used") {
		t.Fatalf("replay: exit %d\n%s", code, errOut)
	}
	// The code with a space in it: refused as malformed.
	spaced := []string{"WARD_MFA=" + next[:3] + " " + next[3:]}
	if _, errOut, code := as("", spaced, "kv", "get", "--env", "staging", "payments/db"); code == 0 || !strings.Contains(errOut, "6 ASCII digits") {
		t.Fatalf("spaced code: exit %d\n%s", code, errOut)
	}

	// The shipped defaults are visible.
	if out := s.mustWard("", "mfa", "defaults"); !strings.Contains(out, "read-break-glass") || !strings.Contains(out, "destroy-versions") {
		t.Fatalf("mfa defaults:\n%s", out)
	}

	// The audit log records each MFA outcome, and never the code.
	raw, err := os.ReadFile(filepath.Join(s.Data, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []string
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var e struct {
			Type, Path, Operation string
			Meta                  map[string]string
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("audit line: %v", err)
		}
		if e.Path == "staging/data/payments/db" && e.Type == "response" && e.Operation == "read" && e.Meta["mfa"] != "" {
			outcomes = append(outcomes, e.Meta["mfa"])
		}
		if strings.Contains(line, `"`+next+`"`) || strings.Contains(line, en.Secret) || strings.Contains(line, "correct horse") {
			t.Fatalf("the audit log holds a code, the TOTP secret or a password: %s", line)
		}
	}
	// The CLI sends WARD_MFA only when the server asks for a code, so each
	// use of it follows a "no code" refusal.
	want := "refused: not enrolled,refused: no code," +
		"refused: no code,verified," +
		"refused: no code,refused: replayed," +
		"refused: no code,refused: malformed"
	if strings.Join(outcomes, ",") != want {
		t.Fatalf("mfa outcomes: %v\nwant %s", outcomes, want)
	}

	// An admin resets the enrolment; the user is back to unenrolled.
	s.mustWard("", "mfa", "reset", "alice")
	if out := s.mustWard("", "mfa", "status", "alice"); !strings.Contains(out, "not enrolled") {
		t.Fatalf("status after reset: %s", out)
	}
	s.mustWard("", "user", "delete", "alice")
	if _, _, code := s.wardWithHome(t.TempDir(), "correct horse battery\n", nil, "login", "alice", "--env", "staging"); code == 0 {
		t.Fatal("a deleted user logged in")
	}
}

// enrolTOTPUser creates user name with policy, logs in to staging with a
// token file in a new home, enrols and confirms TOTP; it returns the home
// and the TOTP secret.
func enrolTOTPUser(t *testing.T, s *devServer, name, policy string) (home, secret string) {
	t.Helper()
	s.mustWard(policy, "policy", "write", name, "-f", "-")
	s.mustWard("correct horse battery\n", "user", "create", name, "--policy", name)
	home = t.TempDir()
	if _, errOut, code := s.wardWithHome(home, "correct horse battery\n", nil, "login", name, "--env", "staging"); code != 0 {
		t.Fatalf("login: %s", errOut)
	}
	out, errOut, code := s.wardWithHome(home, "", nil, "mfa", "enroll", "--format", "json")
	if code != 0 {
		t.Fatalf("enroll: %s", errOut)
	}
	var en struct{ Secret string }
	decodeJSON(t, out, &en)
	first, _ := totp.Code(en.Secret, time.Now())
	if _, errOut, code := s.wardWithHome(home, first+"\n", nil, "mfa", "confirm"); code != 0 {
		t.Fatalf("confirm: %s", errOut)
	}
	return home, en.Secret
}

// A secret tagged break-glass needs a code even in ward run's batched
// fetch, though no policy says so; WARD_MFA gives it.
func TestBreakGlassRun(t *testing.T) {
	s := startDev(t, "")
	s.mustWard(`{"key":"glass-value-5c1d"}`, "kv", "put", "--env", "staging", "ops/breakglass")
	req, _ := http.NewRequest("POST", s.Addr+"/v1/staging/metadata/ops/breakglass", strings.NewReader(`{"custom_metadata":{"break_glass":"true"}}`))
	req.Header.Set("X-Vault-Token", s.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 204 {
		t.Fatalf("tagging the secret: %v %v", resp, err)
	}
	resp.Body.Close()
	home, secret := enrolTOTPUser(t, s, "oncall", "rules:\n  - path: staging/ops/*\n    capabilities: [read]\n")
	manifest := filepath.Join(t.TempDir(), "ward.yaml")
	os.WriteFile(manifest, []byte("version: 1\ncomponents:\n  ops:\n    language: other\n    env:\n      GLASS: {from: ops/breakglass, field: key}\n"), 0o600)
	run := func(env []string) (string, string, int) {
		return s.wardWithHome(home, "", env, "run", "--env", "staging", "-f", manifest, "--", "sh", "-c", `test "$GLASS" = glass-value-5c1d && echo child-saw-it`)
	}
	if out, errOut, code := run(nil); code == 0 || strings.Contains(out, "child-saw-it") || !strings.Contains(errOut, "break-glass") {
		t.Fatalf("without a code: exit %d\n%s\n%s", code, out, errOut)
	}
	next, _ := totp.Code(secret, time.Now().Add(totp.Period))
	if out, errOut, code := run([]string{"WARD_MFA=" + next}); code != 0 || !strings.Contains(out, "child-saw-it") {
		t.Fatalf("with a code: exit %d\n%s\n%s", code, out, errOut)
	}
	// Root is never asked.
	if out, _, code := s.ward(s.Token, "", "kv", "get", "--env", "staging", "--field", "key", "ops/breakglass"); code != 0 || out != "glass-value-5c1d\n" {
		t.Fatalf("root read: %d %q", code, out)
	}
}

// --login-max-failures sets the lockout of a real server.
func TestLoginLockoutFlag(t *testing.T) {
	s := startDev(t, "", "--login-max-failures", "2", "--login-lockout", "1h")
	s.mustWard(`rules:`+"\n"+`  - path: staging/x/*`+"\n"+`    capabilities: [read]`+"\n", "policy", "write", "bob", "-f", "-")
	s.mustWard("correct horse battery\n", "user", "create", "bob", "--policy", "bob", "--env", "staging")
	home := t.TempDir()
	for i := 0; i < 2; i++ {
		if _, errOut, code := s.wardWithHome(home, "wrong\n", nil, "login", "Bob"); code == 0 || !strings.Contains(errOut, "invalid username or password") {
			t.Fatalf("failure %d: exit %d\n%s", i, code, errOut)
		}
	}
	if _, errOut, code := s.wardWithHome(home, "correct horse battery\n", nil, "login", "bob"); code == 0 || !strings.Contains(errOut, "too many failed logins") {
		t.Fatalf("third login: exit %d\n%s", code, errOut)
	}
}

// Vault's Go client writes users and logs in with Vault's userpass shapes.
func TestVaultGoClientUserpass(t *testing.T) {
	s := startDev(t, "")
	s.mustWard("rules:\n  - path: staging/shared/*\n    capabilities: [read]\n", "policy", "write", "reader", "-f", "-")
	s.mustWard(`{"dsn":"vault-shaped"}`, "kv", "put", "--env", "staging", "shared/sentry")
	root := vaultClient(t, s, s.Token)
	if _, err := root.Logical().Write("auth/userpass/users/carol", map[string]any{
		"password": "correct horse battery", "policies": "reader", "token_ttl": "30m", "environment": "staging",
	}); err != nil {
		t.Fatalf("write user: %v", err)
	}
	anon := vaultClient(t, s, "")
	sec, err := anon.Logical().Write("auth/userpass/login/carol", map[string]any{"password": "correct horse battery"})
	if err != nil || sec == nil || sec.Auth == nil {
		t.Fatalf("login: %v %v", sec, err)
	}
	if sec.Auth.LeaseDuration < 1790 || sec.Auth.LeaseDuration > 1800 || sec.Auth.Metadata["username"] != "carol" || len(sec.Auth.Policies) != 1 {
		t.Fatalf("auth block: %+v", sec.Auth)
	}
	got, err := vaultClient(t, s, sec.Auth.ClientToken).KVv2("staging").Get(context.Background(), "shared/sentry")
	if err != nil || got.Data["dsn"] != "vault-shaped" {
		t.Fatalf("read with the login's token: %v %v", got, err)
	}
	if _, err := anon.Logical().Write("auth/userpass/login/carol", map[string]any{"password": "wrong"}); err == nil {
		t.Fatal("a wrong password logged in")
	}
}
