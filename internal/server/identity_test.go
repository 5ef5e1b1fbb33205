package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/auth"
	"github.com/wardhq/ward/internal/auth/totp"
	"github.com/wardhq/ward/internal/auth/userpass"
	"github.com/wardhq/ward/internal/plan"
	"github.com/wardhq/ward/internal/vault"
)

// mfaClock is a clock the test moves; it is shared by the vault, the
// audit log and the server.
type mfaClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *mfaClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *mfaClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// mfaCheapArgon keeps tests fast; the parameters are stored with each hash.
var mfaCheapArgon = userpass.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

// newMFAServer is newTestServer with a fake clock and cheap hashes,
// for users and MFA.
func newMFAServer(t *testing.T, hasher userpass.Hasher) (*testServer, *mfaClock) {
	t.Helper()
	clk := &mfaClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	s := startServer(t, vault.Config{Now: clk.now, Userpass: userpass.Config{Params: mfaCheapArgon, Hasher: hasher}}, Config{Now: clk.now})
	return s, clk
}

// mfaDoH is do that also returns the answer's headers; repeated headers
// are all sent.
func (s *testServer) mfaDoH(method, path, token, body string, hdr ...string) (int, map[string]any, http.Header) {
	s.t.Helper()
	return s.send(true, method, path, token, body, hdr...)
}

func (s *testServer) mfaMust(want int, method, path, token, body string, hdr ...string) map[string]any {
	s.t.Helper()
	st, out := s.do(method, path, token, body, hdr...)
	if st != want {
		s.t.Fatalf("%s %s: %d %v; want %d", method, path, st, out, want)
	}
	return out
}

func (s *testServer) mfaPolicy(name, rules string) {
	s.t.Helper()
	s.mfaMust(204, "PUT", "/v1/sys/policies/acl/"+name, s.root, mustJSON(map[string]any{"policy": rules}))
}

// createUser makes user name with policies, bound to no environment.
func (s *testServer) mfaCreateUser(name, password string, policies ...string) {
	s.t.Helper()
	s.mfaMust(204, "POST", "/v1/auth/userpass/users/"+name, s.root, mustJSON(map[string]any{"password": password, "token_policies": policies, "token_ttl": "1h"}))
}

func (s *testServer) mfaLogin(name, password, env string) string {
	s.t.Helper()
	out := s.mfaMust(200, "POST", "/v1/auth/userpass/login/"+name, "", mustJSON(map[string]any{"password": password, "env": env}))
	return out["auth"].(map[string]any)["client_token"].(string)
}

func mfaErrText(body map[string]any) string { return fmt.Sprint(body["errors"]) }

func TestUserpassLifecycle(t *testing.T) {
	s, _ := newMFAServer(t, nil)
	s.mfaPolicy("dev-read", "rules:\n  - path: dev/**\n    capabilities: [read]\n")
	s.mfaMust(200, "POST", "/v1/dev/data/app/db", s.root, `{"data":{"k":"v"}}`)
	s.mfaCreateUser("Alice", "correct horse", "dev-read")

	// Read shows the normalised name and never the hash.
	out := s.mfaMust(200, "GET", "/v1/auth/userpass/users/ALICE", s.root, "")
	data := out["data"].(map[string]any)
	if data["name"] != "alice" || fmt.Sprint(data["token_policies"]) != "[dev-read]" || data["token_ttl"] != float64(3600) {
		t.Fatalf("user read: %v", data)
	}
	if strings.Contains(fmt.Sprint(out), "argon2") {
		t.Fatal("user read shows the password hash")
	}
	out = s.mfaMust(200, "LIST", "/v1/auth/userpass/users", s.root, "")
	if fmt.Sprint(out["data"].(map[string]any)["keys"]) != "[alice]" {
		t.Fatalf("list: %v", out)
	}

	// Every form of the name logs in as alice, by path or by body.
	tok := s.mfaLogin("Alice", "correct horse", "dev")
	out = s.mfaMust(200, "POST", "/v1/auth/userpass/login", "", mustJSON(map[string]any{"username": " ａｌｉｃｅ ", "password": "correct horse", "env": "dev"}))
	a := out["auth"].(map[string]any)
	if a["env"] != "dev" || fmt.Sprint(a["policies"]) != "[dev-read]" || a["metadata"].(map[string]any)["username"] != "alice" {
		t.Fatalf("login auth block: %v", a)
	}
	if a["lease_duration"] != float64(3600) {
		t.Fatalf("token_ttl not applied: %v", a["lease_duration"])
	}
	// The token works, within its environment and policy.
	s.mfaMust(200, "GET", "/v1/dev/data/app/db", tok, "")
	s.mfaMust(403, "POST", "/v1/dev/data/app/db", tok, `{"data":{"k":"x"}}`)
	look := s.mfaMust(200, "GET", "/v1/auth/token/lookup-self", tok, "")
	if look["data"].(map[string]any)["meta"].(map[string]any)[auth.IdentityMetaKey] != "userpass/alice" {
		t.Fatalf("token identity: %v", look)
	}

	// Change the password: the old one stops working.
	s.mfaMust(204, "POST", "/v1/auth/userpass/users/alice/password", s.root, `{"password":"battery staple"}`)
	s.mfaMust(400, "POST", "/v1/auth/userpass/login/alice", "", `{"password":"correct horse","env":"dev"}`)
	s.mfaLogin("alice", "battery staple", "dev")

	// Update without a password keeps it.
	s.mfaMust(204, "POST", "/v1/auth/userpass/users/alice", s.root, `{"token_policies":"dev-read, other","environment":"dev"}`)
	s.mfaLogin("alice", "battery staple", "")
	s.mfaMust(403, "POST", "/v1/auth/userpass/login/alice", "", `{"password":"battery staple","env":"prod"}`)

	s.mfaMust(204, "DELETE", "/v1/auth/userpass/users/alice", s.root, "")
	s.mfaMust(400, "POST", "/v1/auth/userpass/login/alice", "", `{"password":"battery staple"}`)
	s.mfaMust(404, "GET", "/v1/auth/userpass/users/alice", s.root, "")
}

func TestUserpassBadInput(t *testing.T) {
	s, _ := newMFAServer(t, nil)
	s.mfaPolicy("p", "rules:\n  - path: dev/**\n    capabilities: [read]\n")
	s.mfaCreateUser("bob", "correct horse", "p")
	tests := []struct {
		name, method, path, body string
		want                     int
		says                     string
	}{
		{"new user without password", "POST", "/v1/auth/userpass/users/carol", `{"token_policies":["p"]}`, 400, `missing "password"`},
		{"short password", "POST", "/v1/auth/userpass/users/carol", `{"password":"short","token_policies":["p"]}`, 400, "shorter than 8"},
		{"no policies", "POST", "/v1/auth/userpass/users/carol", `{"password":"long enough"}`, 400, "token_policies"},
		{"root policy", "POST", "/v1/auth/userpass/users/carol", `{"password":"long enough","token_policies":["root"]}`, 400, "root policy"},
		{"unknown environment", "POST", "/v1/auth/userpass/users/carol", `{"password":"long enough","token_policies":["p"],"environment":"nope"}`, 404, "environment"},
		{"ttl over max", "POST", "/v1/auth/userpass/users/carol", `{"password":"long enough","token_policies":["p"],"token_ttl":"2h","token_max_ttl":"1h"}`, 400, "token_ttl"},
		{"bad name in path", "POST", "/v1/auth/userpass/users/-%C3%A9", `{"password":"long enough","token_policies":["p"]}`, 400, "bad path"},
		{"login without env", "POST", "/v1/auth/userpass/login/bob", `{"password":"correct horse"}`, 400, `missing "env"`},
		{"login into unknown env", "POST", "/v1/auth/userpass/login/bob", `{"password":"correct horse","env":"nope"}`, 404, "environment"},
		{"login with empty password", "POST", "/v1/auth/userpass/login/bob", `{"env":"dev"}`, 400, "password"},
		{"login names two users", "POST", "/v1/auth/userpass/login/bob", `{"username":"carol","password":"correct horse","env":"dev"}`, 400, "another user"},
		{"login with a bad name", "POST", "/v1/auth/userpass/login", `{"username":"b o b","password":"correct horse","env":"dev"}`, 400, "invalid user name"},
		{"login body not JSON", "POST", "/v1/auth/userpass/login/bob", `password=x`, 400, "JSON"},
		{"unsupported Vault field", "POST", "/v1/auth/userpass/users/carol", `{"password":"long enough","token_policies":["p"],"token_bound_cidrs":["10.0.0.0/8"]}`, 400, `unknown field "token_bound_cidrs"`},
		{"unknown login field", "POST", "/v1/auth/userpass/login/bob", `{"password":"correct horse","env":"dev","totp":"123456"}`, 400, `unknown field "totp"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, body := s.do(tt.method, tt.path, s.root, tt.body)
			if st != tt.want || !strings.Contains(mfaErrText(body), tt.says) {
				t.Fatalf("%d %v; want %d saying %q", st, body, tt.want, tt.says)
			}
			if strings.Contains(mfaErrText(body), "correct horse") || strings.Contains(mfaErrText(body), "long enough") {
				t.Fatal("an error quotes the password")
			}
		})
	}
	// Nothing was created by the refused writes.
	s.mfaMust(404, "GET", "/v1/auth/userpass/users/carol", s.root, "")
}

func TestUserpassLockoutOverHTTP(t *testing.T) {
	s, clk := newMFAServer(t, nil)
	s.mfaPolicy("p", "rules:\n  - path: dev/**\n    capabilities: [read]\n")
	s.mfaCreateUser("alice", "correct horse", "p")
	for i, name := range []string{"alice", "Alice", "ALICE", "%20alice", "alice%20"} {
		st, body := s.do("POST", "/v1/auth/userpass/login", "", mustJSON(map[string]any{"username": strings.ReplaceAll(name, "%20", " "), "password": "wrong", "env": "dev"}))
		if st != 400 || mfaErrText(body) != "[invalid username or password]" {
			t.Fatalf("failure %d: %d %v", i, st, body)
		}
	}
	st, body := s.do("POST", "/v1/auth/userpass/login/alice", "", `{"password":"correct horse","env":"dev"}`)
	if st != 429 || !strings.Contains(mfaErrText(body), "too many failed logins") {
		t.Fatalf("6th login: %d %v; want 429", st, body)
	}
	// A name without a user locks the same way: no way to tell them apart.
	for i := 0; i < 5; i++ {
		s.mfaMust(400, "POST", "/v1/auth/userpass/login/mallory", "", `{"password":"wrong","env":"dev"}`)
	}
	s.mfaMust(429, "POST", "/v1/auth/userpass/login/mallory", "", `{"password":"wrong","env":"dev"}`)
	clk.advance(15 * time.Minute)
	s.mfaLogin("alice", "correct horse", "dev")
}

// The missing-user path costs the same argon2id work as the present one.
func TestUserpassLoginHashesOnceEitherWay(t *testing.T) {
	h := &mfaCountingHasher{}
	s, _ := newMFAServer(t, h)
	s.mfaPolicy("p", "rules:\n  - path: dev/**\n    capabilities: [read]\n")
	s.mfaCreateUser("alice", "correct horse", "p")
	for _, tt := range []struct{ user, pw string }{{"alice", "correct horse"}, {"alice", "wrong"}, {"nobody", "wrong"}, {"nobody", "correct horse"}} {
		before := h.count()
		s.do("POST", "/v1/auth/userpass/login/"+tt.user, "", mustJSON(map[string]any{"password": tt.pw, "env": "dev"}))
		if n := h.count() - before; n != 1 {
			t.Fatalf("login %s/%s: %d hashes; want 1", tt.user, tt.pw, n)
		}
	}
}

type mfaCountingHasher struct {
	mu sync.Mutex
	n  int
}

func (c *mfaCountingHasher) Hash(pw, salt []byte, p userpass.Params) []byte {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return userpass.Argon2id{}.Hash(pw, salt, p)
}

func (c *mfaCountingHasher) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func TestLoginsAreAudited(t *testing.T) {
	s, _ := newMFAServer(t, nil)
	s.mfaPolicy("p", "rules:\n  - path: dev/**\n    capabilities: [read]\n")
	s.mfaCreateUser("alice", "correct horse", "p")
	s.mfaLogin("alice", "correct horse", "dev")
	s.mfaMust(400, "POST", "/v1/auth/userpass/login/alice", "", `{"password":"wrong-password-canary","env":"dev"}`)
	raw, err := os.ReadFile(s.audit)
	if err != nil {
		t.Fatal(err)
	}
	log := string(raw)
	if strings.Contains(log, "correct horse") || strings.Contains(log, "wrong-password-canary") {
		t.Fatal("a password is in the audit log")
	}
	// Not even as an HMAC: the user write's request entry has no password.
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		var e map[string]any
		json.Unmarshal([]byte(line), &e)
		if e["path"] == "auth/userpass/users/alice" && e["type"] == "request" {
			if d, _ := e["data"].(map[string]any); d["password"] != nil || d["token_policies"] == nil {
				t.Fatalf("user write's audit data: %v", d)
			}
		}
	}
	var ok, failed int
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		var e map[string]any
		json.Unmarshal([]byte(line), &e)
		if e["path"] != "auth/userpass/login/alice" {
			continue
		}
		if e["type"] == "request" {
			if d, _ := e["data"].(map[string]any); d["password"] != nil || d["env"] == nil {
				t.Fatalf("login request entry's data: %s", line)
			}
			continue
		}
		switch e["status"] {
		case float64(200):
			// The response entry names the new token and its identity.
			meta, _ := e["meta"].(map[string]any)
			if e["identity"] != "token-userpass-alice" || meta["ward_identity"] != "userpass/alice" {
				t.Fatalf("login response entry: %s", line)
			}
			ok++
		case float64(400):
			failed++
		}
	}
	if ok != 1 || failed != 1 {
		t.Fatalf("login response entries: %d ok, %d failed; want 1 and 1", ok, failed)
	}
}

func TestCreatedTokenCannotClaimIdentity(t *testing.T) {
	s, _ := newMFAServer(t, nil)
	st, body := s.do("POST", "/v1/auth/token/create", s.root, `{"env":"dev","policies":["p"],"meta":{"ward_identity":"userpass/alice"}}`)
	if st != 400 || !strings.Contains(mfaErrText(body), "ward_identity") {
		t.Fatalf("%d %v; want 400", st, body)
	}
}

// mfaEnrolledUser makes user alice with policy rules, logs her in to dev and
// enrols and confirms her TOTP; it returns her token and secret.
func mfaEnrolledUser(t *testing.T, s *testServer, clk *mfaClock, rules string) (string, string) {
	t.Helper()
	s.mfaPolicy("alice", rules)
	s.mfaCreateUser("alice", "correct horse", "alice")
	tok := s.mfaLogin("alice", "correct horse", "dev")
	out := s.mfaMust(200, "POST", "/v1/sys/ward/mfa/totp/enroll", tok, "")
	d := out["data"].(map[string]any)
	secret := d["secret"].(string)
	if !strings.HasPrefix(d["uri"].(string), "otpauth://totp/ward:alice?") {
		t.Fatalf("enrol URI %v", d["uri"])
	}
	s.mfaMust(200, "POST", "/v1/sys/ward/mfa/totp/confirm", tok, mustJSON(map[string]any{"code": totpCode(t, secret, clk.now())}))
	return tok, secret
}

func totpCode(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.Code(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestMFARequiredRule(t *testing.T) {
	s, clk := newMFAServer(t, nil)
	s.mfaMust(200, "POST", "/v1/dev/data/app/db", s.root, `{"data":{"k":"v"}}`)
	s.mfaMust(200, "POST", "/v1/dev/data/app/plain", s.root, `{"data":{"k":"v"}}`)
	tok, secret := mfaEnrolledUser(t, s, clk, "rules:\n  - path: dev/app/db\n    capabilities: [read]\n    mfa: required\n  - path: dev/app/plain\n    capabilities: [read]\n")

	// A rule without mfa: no code needed.
	s.mfaMust(200, "GET", "/v1/dev/data/app/plain", tok, "")

	// No code: refused, and the answer asks for one.
	st, body, h := s.mfaDoH("GET", "/v1/dev/data/app/db", tok, "")
	if st != 403 || h.Get(MFARequiredHeader) != "required" || !strings.Contains(mfaErrText(body), "policy alice requires MFA") {
		t.Fatalf("no code: %d %v %v", st, body, h)
	}
	clk.advance(totp.Period)
	good := totpCode(t, secret, clk.now())
	// Other forms of the good code: refused, and not consumed. (Spaces
	// around a header value are HTTP's optional white space, removed by
	// every HTTP stack before ward sees the value; see the totp tests.)
	for _, f := range []string{good[:3] + " " + good[3:], good[:3] + "\u00a0" + good[3:], "0" + good, strings.Map(func(r rune) rune { return r - '0' + '０' }, good)} {
		st, body, _ := s.mfaDoH("GET", "/v1/dev/data/app/db", tok, "", MFAHeader, f)
		if st != 403 || !strings.Contains(mfaErrText(body), "exactly 6 ASCII digits") {
			t.Fatalf("code form %q: %d %v", f, st, body)
		}
	}
	// The good code once: allowed.
	st, body, _ = s.mfaDoH("GET", "/v1/dev/data/app/db", tok, "", MFAHeader, good)
	if st != 200 {
		t.Fatalf("good code: %d %v", st, body)
	}
	// Again: a replay.
	st, body, h = s.mfaDoH("GET", "/v1/dev/data/app/db", tok, "", MFAHeader, good)
	if st != 403 || !strings.Contains(mfaErrText(body), "already used") || h.Get(MFARequiredHeader) != "required" {
		t.Fatalf("replay: %d %v", st, body)
	}
	// Two codes in two headers: refused.
	clk.advance(totp.Period)
	st, _, _ = s.mfaDoH("GET", "/v1/dev/data/app/db", tok, "", MFAHeader, totpCode(t, secret, clk.now()), MFAHeader, "123456")
	if st != 400 {
		t.Fatalf("two MFA headers: %d", st)
	}
	// A root token is never asked.
	s.mfaMust(200, "GET", "/v1/dev/data/app/db", s.root, "")
}

func TestMFARateLimit(t *testing.T) {
	s, clk := newMFAServer(t, nil)
	s.mfaMust(200, "POST", "/v1/dev/data/app/db", s.root, `{"data":{"k":"v"}}`)
	tok, secret := mfaEnrolledUser(t, s, clk, "rules:\n  - path: dev/app/db\n    capabilities: [read]\n    mfa: required\n")
	clk.advance(totp.Period)
	good := totpCode(t, secret, clk.now())
	wrong := "000000"
	if good == wrong {
		wrong = "111111"
	}
	for i := 0; i < 4; i++ { // the confirm step's code is not a failure; 4 wrong + 1 malformed = 5
		s.mfaMust(403, "GET", "/v1/dev/data/app/db", tok, "", MFAHeader, wrong)
	}
	s.mfaMust(403, "GET", "/v1/dev/data/app/db", tok, "", MFAHeader, "12 34 56")
	st, body, _ := s.mfaDoH("GET", "/v1/dev/data/app/db", tok, "", MFAHeader, good)
	if st != 429 || !strings.Contains(mfaErrText(body), "too many wrong codes") {
		t.Fatalf("right code after 5 wrong: %d %v; want 429", st, body)
	}
	clk.advance(time.Minute)
	s.mfaMust(200, "GET", "/v1/dev/data/app/db", tok, "", MFAHeader, totpCode(t, secret, clk.now()))
}

func TestMFAFailsClosed(t *testing.T) {
	s, clk := newMFAServer(t, nil)
	s.mfaMust(200, "POST", "/v1/dev/data/app/db", s.root, `{"data":{"k":"v"}}`)
	rules := "rules:\n  - path: dev/app/db\n    capabilities: [read]\n    mfa: required\n  - path: auth/token/create\n    capabilities: [create]\n"
	s.mfaPolicy("alice", rules)
	s.mfaCreateUser("alice", "correct horse", "alice")
	tok := s.mfaLogin("alice", "correct horse", "dev")

	// Not enrolled: refused with the hint, whatever code is sent.
	st, body := s.do("GET", "/v1/dev/data/app/db", tok, "", MFAHeader, "123456")
	if st != 403 || !strings.Contains(mfaErrText(body), "ward mfa enroll") {
		t.Fatalf("not enrolled: %d %v", st, body)
	}
	// Enrolled but not confirmed: still refused.
	out := s.mfaMust(200, "POST", "/v1/sys/ward/mfa/totp/enroll", tok, "")
	secret := out["data"].(map[string]any)["secret"].(string)
	st, body = s.do("GET", "/v1/dev/data/app/db", tok, "", MFAHeader, totpCode(t, secret, clk.now()))
	if st != 403 || !strings.Contains(mfaErrText(body), "no confirmed TOTP enrolment") {
		t.Fatalf("unconfirmed: %d %v", st, body)
	}
	// A wrong confirmation code confirms nothing.
	s.mfaMust(400, "POST", "/v1/sys/ward/mfa/totp/confirm", tok, `{"code":"12345"}`)
	s.mfaMust(200, "POST", "/v1/sys/ward/mfa/totp/confirm", tok, mustJSON(map[string]any{"code": totpCode(t, secret, clk.now())}))
	// Enrolling again once confirmed is refused.
	s.mfaMust(400, "POST", "/v1/sys/ward/mfa/totp/enroll", tok, "")

	// A child token has no identity: refused, even with alice's code.
	out = s.mfaMust(200, "POST", "/v1/auth/token/create", tok, `{"policies":["alice"],"meta":{"team":"alice"}}`)
	child := out["auth"].(map[string]any)["client_token"].(string)
	clk.advance(totp.Period)
	st, body = s.do("GET", "/v1/dev/data/app/db", child, "", MFAHeader, totpCode(t, secret, clk.now()))
	if st != 403 || !strings.Contains(mfaErrText(body), "no identity") {
		t.Fatalf("child token: %d %v", st, body)
	}
	s.mfaMust(200, "GET", "/v1/dev/data/app/db", tok, "", MFAHeader, totpCode(t, secret, clk.now()))

	// An admin reset: alice is no longer enrolled, and can enrol again.
	s.mfaMust(204, "DELETE", "/v1/sys/ward/mfa/totp/users/Alice", s.root, "")
	out = s.mfaMust(200, "GET", "/v1/sys/ward/mfa/totp/users/alice", s.root, "")
	if out["data"].(map[string]any)["enrolled"] != false {
		t.Fatalf("after reset: %v", out)
	}
	s.mfaMust(403, "DELETE", "/v1/sys/ward/mfa/totp/users/alice", tok, "")
	s.mfaMust(200, "POST", "/v1/sys/ward/mfa/totp/enroll", tok, "")
}

func TestMFADefaults(t *testing.T) {
	s, clk := newMFAServer(t, nil)
	s.mfaMust(200, "POST", "/v1/dev/data/app/db", s.root, `{"data":{"k":"v"}}`)
	s.mfaMust(200, "POST", "/v1/dev/data/app/glass", s.root, `{"data":{"k":"v"}}`)
	s.mfaMust(204, "POST", "/v1/dev/metadata/app/glass", s.root, `{"custom_metadata":{"break_glass":"true"}}`)
	s.mfaMust(200, "POST", "/v1/dev/data/app/notglass", s.root, `{"data":{"k":"v"}}`)
	s.mfaMust(204, "POST", "/v1/dev/metadata/app/notglass", s.root, `{"custom_metadata":{"break_glass":"no"}}`)
	tok, secret := mfaEnrolledUser(t, s, clk, "rules:\n  - path: dev/**\n    capabilities: [read, update, destroy]\n")
	tests := []struct {
		name, method, path, body string
	}{
		{"destroy versions", "POST", "/v1/dev/destroy/app/db", `{"versions":[1]}`},
		{"destroy all by metadata delete", "DELETE", "/v1/dev/metadata/app/db", ""},
		{"read a break-glass secret", "GET", "/v1/dev/data/app/glass", ""},
		{"untag a break-glass secret", "POST", "/v1/dev/metadata/app/glass", `{"custom_metadata":{"break_glass":"false"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, body, h := s.mfaDoH(tt.method, tt.path, tok, tt.body)
			if st != 403 || !strings.Contains(mfaErrText(body), "(a shipped default)") || h.Get(MFARequiredHeader) != "required" {
				t.Fatalf("without a code: %d %v", st, body)
			}
			clk.advance(totp.Period)
			if st, body := s.do(tt.method, tt.path, tok, tt.body, MFAHeader, totpCode(t, secret, clk.now())); st >= 400 {
				t.Fatalf("with a code: %d %v", st, body)
			}
		})
	}
	// Untagged by the step above, so now readable without a code; tagged
	// otherwise: no code needed. Metadata is not data.
	s.mfaMust(200, "GET", "/v1/dev/data/app/glass", tok, "")
	s.mfaMust(200, "GET", "/v1/dev/data/app/notglass", tok, "")
	s.mfaMust(200, "GET", "/v1/dev/metadata/app/notglass", tok, "")
	s.mfaMust(204, "POST", "/v1/dev/metadata/app/notglass", tok, `{"custom_metadata":{"break_glass":"true"}}`)

	// The defaults are listed for anyone to see.
	out := s.mfaMust(200, "GET", "/v1/sys/ward/mfa/defaults", tok, "")
	if !strings.Contains(fmt.Sprint(out["data"]), "read-break-glass") {
		t.Fatalf("defaults: %v", out)
	}
}

func TestMFAInFetch(t *testing.T) {
	s, clk := newMFAServer(t, nil)
	for _, p := range []string{"app/glass", "app/plain", "app/ruled"} {
		s.mfaMust(200, "POST", "/v1/dev/data/"+p, s.root, `{"data":{"k":"v"}}`)
	}
	s.mfaMust(204, "POST", "/v1/dev/metadata/app/glass", s.root, `{"custom_metadata":{"break_glass":"true"}}`)
	tok, secret := mfaEnrolledUser(t, s, clk, "rules:\n  - path: dev/app/*\n    capabilities: [read]\n  - path: dev/app/ruled\n    capabilities: [read]\n    mfa: required\n")
	statuses := func(hdr ...string) string {
		out := s.mfaMust(200, "POST", "/v1/sys/ward/fetch/dev", tok, `{"paths":["app/glass","app/plain","app/ruled"]}`, hdr...)
		var st []string
		for _, r := range out["data"].(map[string]any)["secrets"].([]any) {
			st = append(st, r.(map[string]any)["status"].(string))
		}
		return strings.Join(st, ",")
	}
	if got := statuses(); got != "denied,ok,denied" {
		t.Fatalf("fetch without a code: %s", got)
	}
	out := s.mfaMust(200, "POST", "/v1/sys/ward/fetch/dev", tok, `{"paths":["app/glass","app/plain"]}`)
	rs := out["data"].(map[string]any)["secrets"].([]any)
	if rs[0].(map[string]any)["mfa_required"] != true || rs[1].(map[string]any)["mfa_required"] != nil {
		t.Fatalf("mfa_required flags: %v", rs)
	}
	clk.advance(totp.Period)
	c := totpCode(t, secret, clk.now())
	if got := statuses(MFAHeader, c); got != "ok,ok,ok" {
		t.Fatalf("fetch with a code: %s (one code serves the whole fetch)", got)
	}
	if got := statuses(MFAHeader, c); got != "denied,ok,denied" {
		t.Fatalf("fetch with a replayed code: %s", got)
	}
}

// Entries of MFA-checked requests say how the check went; the code is
// never in the log, not even inside another value.
func TestMFAAudit(t *testing.T) {
	s, clk := newMFAServer(t, nil)
	s.mfaMust(200, "POST", "/v1/dev/data/app/db", s.root, `{"data":{"k":"v"}}`)
	tok, secret := mfaEnrolledUser(t, s, clk, "rules:\n  - path: dev/app/db\n    capabilities: [read]\n    mfa: required\n")
	clk.advance(totp.Period)
	c := totpCode(t, secret, clk.now())
	s.mfaMust(200, "GET", "/v1/dev/data/app/db", tok, "", MFAHeader, c)
	s.mfaMust(403, "GET", "/v1/dev/data/app/db", tok, "", MFAHeader, c)
	s.mfaMust(403, "GET", "/v1/dev/data/app/db", tok, "")
	raw, err := os.ReadFile(s.audit)
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []string
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatal(err)
		}
		for _, leaf := range mfaJSONStrings(e) {
			if strings.Contains(leaf, c) && !strings.HasPrefix(leaf, "hmac-sha256:") {
				t.Fatalf("the code is in the audit log: %s", line)
			}
			if strings.Contains(leaf, secret) {
				t.Fatalf("the TOTP secret is in the audit log: %s", line)
			}
		}
		if e["path"] == "sys/ward/mfa/totp/confirm" && e["type"] == "request" {
			if d, _ := e["data"].(map[string]any); d["code"] != nil {
				t.Fatalf("the confirmation code is in the audit log, HMAC'd: %s", line)
			}
		}
		if e["path"] == "dev/data/app/db" && e["type"] == "response" && e["operation"] == "read" {
			meta, _ := e["meta"].(map[string]any)
			if meta["ward_identity"] != "userpass/alice" {
				t.Fatalf("the token's own metadata is lost beside mfa: %s", line)
			}
			outcomes = append(outcomes, fmt.Sprint(meta["mfa"]))
		}
	}
	if want := "verified,refused: replayed,refused: no code"; strings.Join(outcomes, ",") != want {
		t.Fatalf("mfa outcomes in the audit log: %v; want %s", outcomes, want)
	}
}

// mfaJSONStrings returns every string in a decoded JSON value.
func mfaJSONStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case map[string]any:
		var out []string
		for k, e := range x {
			out = append(out, k)
			out = append(out, mfaJSONStrings(e)...)
		}
		return out
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, mfaJSONStrings(e)...)
		}
		return out
	}
	return nil
}

// A rule on users/NAME/password lets a user change a password and
// nothing else about the user.
func TestUserpassPasswordPolicyPath(t *testing.T) {
	s, _ := newMFAServer(t, nil)
	s.mfaPolicy("self", "rules:\n  - path: auth/userpass/users/alice/password\n    capabilities: [update]\n")
	s.mfaCreateUser("alice", "correct horse", "self")
	tok := s.mfaLogin("alice", "correct horse", "dev")
	s.mfaMust(204, "POST", "/v1/auth/userpass/users/alice/password", tok, `{"password":"battery staple"}`)
	s.mfaMust(403, "POST", "/v1/auth/userpass/users/alice", tok, `{"token_policies":["admin"]}`)
	s.mfaMust(403, "POST", "/v1/auth/userpass/users/bob/password", tok, `{"password":"battery staple"}`)
	s.mfaLogin("alice", "battery staple", "dev")
}

// A fingerprint set cannot carry a code, so it leaves out the secrets a
// non-root token could read only with one.
func TestFingerprintsLeaveOutMFASecrets(t *testing.T) {
	s, _ := newMFAServer(t, nil)
	for _, p := range []string{"app/plain", "app/glass", "app/ruled"} {
		s.mfaMust(200, "POST", "/v1/dev/data/"+p, s.root, `{"data":{"password":"value-of-`+strings.ReplaceAll(p, "/", "-")+`"}}`)
	}
	s.mfaMust(204, "POST", "/v1/dev/metadata/app/glass", s.root, `{"custom_metadata":{"break_glass":"true"}}`)
	tok := s.token("dev", "rules:\n  - path: dev/app/*\n    capabilities: [read, list]\n  - path: dev/app/ruled\n    capabilities: [read]\n    mfa: required\n")
	covered := func(token string) string {
		var got []string
		raw, _ := os.ReadFile(s.audit)
		before := len(strings.Split(string(raw), "\n"))
		s.mfaMust(200, "POST", "/v1/sys/ward/fingerprints/dev", token, `{}`)
		raw, _ = os.ReadFile(s.audit)
		for _, line := range strings.Split(string(raw), "\n")[before-1:] {
			var e map[string]any
			if json.Unmarshal([]byte(line), &e) == nil && e["type"] == "response" && strings.HasPrefix(fmt.Sprint(e["path"]), "dev/data/") {
				got = append(got, strings.TrimPrefix(fmt.Sprint(e["path"]), "dev/data/"))
			}
		}
		return strings.Join(got, ",")
	}
	if got := covered(tok); got != "app/plain" {
		t.Fatalf("a non-root token's set covers %q; want app/plain only", got)
	}
	if got := covered(s.root); got != "app/glass,app/plain,app/ruled" {
		t.Fatalf("root's set covers %q", got)
	}
}

// An apply that changes production needs a code (the apply-to-prod
// default); one that does not, does not; and the code's apply is held to
// the plan that was judged.
func TestMFAApplyToProd(t *testing.T) {
	s, clk := newMFAServer(t, nil)
	tok, secret := mfaEnrolledUser(t, s, clk, "rules:\n  - path: sys/ward/apply\n    capabilities: [update]\n")
	state := func(name, rule string) string {
		return applyBody(t, &plan.State{
			Manages:  plan.Manages{Policies: true},
			Policies: []plan.Policy{{Name: name, Text: "rules:\n  - path: " + rule + "\n    capabilities: [read]\n", Source: plan.Source{File: "policies/" + name + ".yaml"}}},
		}, nil)
	}
	// Only dev: no code needed. (Manages policies: alice's own policy is
	// not in the state, but pruning is off, so it stays.)
	s.mfaMust(200, "POST", "/v1/sys/ward/apply", tok, state("ci-dev", "dev/app/*"))
	if _, err := s.v.Policy("ci-dev"); err != nil {
		t.Fatal(err)
	}
	// A grant in prod, by alice's token for prod: refused without a
	// code, nothing applied. (A token for dev may not apply it at all.)
	prod := state("ci-prod", "prod/app/*")
	s.mfaMust(403, "POST", "/v1/sys/ward/apply", tok, prod)
	tok = s.mfaLogin("alice", "correct horse", "prod")
	st, body, h := s.mfaDoH("POST", "/v1/sys/ward/apply", tok, prod)
	if st != 403 || h.Get(MFARequiredHeader) != "required" || !strings.Contains(mfaErrText(body), "applying changes to production (ci-prod: +read prod/app/*)") {
		t.Fatalf("apply to prod without a code: %d %v", st, body)
	}
	if _, err := s.v.Policy("ci-prod"); err == nil {
		t.Fatal("an apply refused for want of a code stored the policy")
	}
	// A glob that reaches prod counts too.
	if st, body, _ := s.mfaDoH("POST", "/v1/sys/ward/apply", tok, state("ci-all", `"*/app/*"`)); st != 403 {
		t.Fatalf("a glob over every environment: %d %v", st, body)
	}
	clk.advance(totp.Period)
	if st, body := s.do("POST", "/v1/sys/ward/apply", tok, prod, MFAHeader, totpCode(t, secret, clk.now())); st != 200 {
		t.Fatalf("apply to prod with a code: %d %v", st, body)
	}
	if _, err := s.v.Policy("ci-prod"); err != nil {
		t.Fatal(err)
	}
	// A root token is never asked.
	s.mfaMust(200, "POST", "/v1/sys/ward/apply", s.root, state("ci-prod", "prod/web/*"))
}
