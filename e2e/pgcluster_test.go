package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/auth/totp"
	"github.com/wardhq/ward/internal/pgtest"
)

// These tests run two real `ward server` processes on one PostgreSQL
// database and check that they behave as one vault: a change on one
// (a revoked token, a narrowed policy, a lockout, a used TOTP code, a
// write of a secret) holds on the other.

// twoServers starts two servers on one new database, initialises the
// first, unseals both and gives both the root token.
func twoServers(t *testing.T, extraArgs ...string) (a, b *devServer) {
	t.Helper()
	t.Setenv("WARD_STORAGE_DSN", pgtest.Database(t))
	a = startPG(t, extraArgs...)
	key := initOneKey(t, a)
	b = startPG(t, extraArgs...)
	b.Token = a.Token
	unsealWith(t, b, key)
	return a, b
}

// untilStatus polls GET path on s with token until it answers want, and
// returns how long that took after since; it fails the test after limit.
func untilStatus(t *testing.T, s *devServer, token, path string, want int, since time.Time, limit time.Duration) time.Duration {
	t.Helper()
	return until(t, s, "GET", path, token, "", want, since, limit)
}

// until sends method path (body) to s with token until it answers want,
// and returns how long that took after since; it fails the test after
// limit.
func until(t *testing.T, s *devServer, method, path, token, body string, want int, since time.Time, limit time.Duration) time.Duration {
	t.Helper()
	for {
		code, out := call(t, s, method, "/v1/"+path, token, body)
		if code == want {
			return time.Since(since)
		}
		if time.Since(since) > limit {
			t.Fatalf("%s %s still answers %d (%s) %v after the change on the other server, want %d", method, path, code, strings.TrimSpace(out), limit, want)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// A token revoked on one server, and a policy narrowed on one server, are
// refused on the other within a second, though the other had both cached.
func TestCachesFollowTheOtherServer(t *testing.T) {
	a, b := twoServers(t)
	a.mustWard("", "env", "create", "staging")
	a.mustWard(`{"v":"cached-value"}`, "kv", "put", "--env", "staging", "app/db")
	a.mustWard("rules:\n  - path: staging/app/*\n    capabilities: [read]\n", "policy", "write", "reader", "-f", "-")

	const rounds = 15
	var revoked, narrowed []time.Duration
	for i := range rounds {
		var tok struct {
			Token    string `json:"client_token"`
			Accessor string `json:"accessor"`
		}
		decodeJSON(t, a.mustWard("", "token", "create", "--env", "staging", "--policy", "reader", "--format", "json"), &tok)
		// B caches the token and the policy.
		untilStatus(t, b, tok.Token, "staging/data/app/db", 200, time.Now(), 5*time.Second)
		if code, _ := call(t, b, "GET", "/v1/staging/data/app/db", tok.Token, ""); code != 200 {
			t.Fatalf("round %d: a fresh token reads %d on the second server", i, code)
		}
		start := time.Now()
		if code, body := call(t, a, "POST", "/v1/auth/token/revoke-accessor", a.Token, `{"accessor":"`+tok.Accessor+`"}`); code/100 != 2 {
			t.Fatalf("revoke on the first server: %d %s", code, body)
		}
		revoked = append(revoked, untilStatus(t, b, tok.Token, "staging/data/app/db", 403, start, time.Second))
	}
	var tok struct {
		Token string `json:"client_token"`
	}
	decodeJSON(t, a.mustWard("", "token", "create", "--env", "staging", "--policy", "reader", "--format", "json"), &tok)
	for i := range rounds {
		untilStatus(t, b, tok.Token, "staging/data/app/db", 200, time.Now(), 5*time.Second)
		start := time.Now()
		// Narrow: the policy now grants another folder only; then widen it
		// back for the next round.
		a.mustWard("rules:\n  - path: staging/other/*\n    capabilities: [read]\n", "policy", "write", "reader", "-f", "-")
		narrowed = append(narrowed, untilStatus(t, b, tok.Token, "staging/data/app/db", 403, start, time.Second))
		if i < rounds-1 {
			a.mustWard("rules:\n  - path: staging/app/*\n    capabilities: [read]\n", "policy", "write", "reader", "-f", "-")
		}
	}
	t.Logf("invalidation on the other server: revoked token median %v (max %v), narrowed policy median %v (max %v), %d rounds each",
		median(revoked), slices.Max(revoked), median(narrowed), slices.Max(narrowed), rounds)

	// The KV engine's configuration is cached too: cas_required set on A
	// holds on B.
	if code, _ := call(t, b, "POST", "/v1/staging/data/app/db", b.Token, `{"data":{"v":"warm"}}`); code != 200 {
		t.Fatalf("write on the second server before cas_required: %d", code)
	}
	start := time.Now()
	if code, body := call(t, a, "POST", "/v1/staging/config", a.Token, `{"cas_required":true}`); code/100 != 2 {
		t.Fatalf("setting cas_required: %d %s", code, body)
	}
	until(t, b, "POST", "staging/data/app/db", b.Token, `{"data":{"v":"no-cas"}}`, 400, start, time.Second)
	// A new environment made on A is served by B.
	a.mustWard("", "env", "create", "prod")
	until(t, b, "POST", "prod/data/app/db", b.Token, `{"data":{"v":"x"}}`, 200, time.Now(), time.Second)

	// The secrets' metadata the inventory keeps in memory: a secret
	// written on A and an owner changed on A show in B's inventory within
	// a second (not at its full reread, 10 s later).
	inventory := func() string {
		code, body := call(t, b, "GET", "/v1/sys/ward/inventory/staging", b.Token, "")
		if code != 200 {
			t.Fatalf("inventory on the second server: %d %s", code, body)
		}
		return body
	}
	if strings.Contains(inventory(), "app/fresh") {
		t.Fatal("the inventory lists app/fresh before it is written")
	}
	start = time.Now()
	a.mustWard("", "kv", "metadata", "put", "--env", "staging", "app/fresh", "owner=team-fresh")
	for !strings.Contains(inventory(), "team-fresh") {
		if time.Since(start) > time.Second {
			t.Fatal("a secret written on the first server is not in the second server's inventory after 1 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A name locked out by failed logins on one server is locked on the other,
// and a TOTP code used on one server is a replay on the other.
func TestLockoutsAndCodesHoldAcrossServers(t *testing.T) {
	a, b := twoServers(t, "--login-max-failures", "2", "--login-lockout", "1h")
	a.mustWard("", "env", "create", "staging")
	a.mustWard(`rules:`+"\n"+`  - path: staging/x/*`+"\n"+`    capabilities: [read]`+"\n", "policy", "write", "bob", "-f", "-")
	a.mustWard("correct horse battery\n", "user", "create", "bob", "--policy", "bob", "--env", "staging")
	home := t.TempDir()
	if _, errOut, code := b.wardWithHome(home, "correct horse battery\n", nil, "login", "bob"); code != 0 {
		t.Fatalf("bob's first login on the second server: %s", errOut)
	}
	for i := range 2 {
		if _, errOut, code := a.wardWithHome(home, "wrong\n", nil, "login", "bob"); code == 0 || !strings.Contains(errOut, "invalid username or password") {
			t.Fatalf("failure %d on the first server: exit %d\n%s", i, code, errOut)
		}
	}
	if _, errOut, code := b.wardWithHome(home, "correct horse battery\n", nil, "login", "bob"); code == 0 || !strings.Contains(errOut, "too many failed logins") {
		t.Fatalf("the right password on the second server after two failures on the first: exit %d\n%s", code, errOut)
	}

	a.mustWard(`{"password":"guarded-value"}`, "kv", "put", "--env", "staging", "payments/db")
	home, secret := enrolTOTPUser(t, a, "alice", "rules:\n  - path: staging/payments/db\n    capabilities: [read]\n    mfa: required\n")
	next, err := totp.Code(secret, time.Now().Add(totp.Period))
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"WARD_MFA=" + next}
	if out, errOut, code := a.wardWithHome(home, "", env, "kv", "get", "--env", "staging", "--field", "password", "payments/db"); code != 0 || out != "guarded-value\n" {
		t.Fatalf("read with a code on the first server: exit %d %q\n%s", code, out, errOut)
	}
	if _, errOut, code := b.wardWithHome(home, "", env, "kv", "get", "--env", "staging", "payments/db"); code == 0 || !strings.Contains(errOut, "already used") {
		t.Fatalf("the same code on the second server: exit %d\n%s", code, errOut)
	}
}

// Writers on both servers write one secret at once, with check-and-set and
// without: no two acknowledged writes get the same version, every
// acknowledged write is a version, and exactly one writer wins each CAS.
func TestConcurrentWritesOnTwoServers(t *testing.T) {
	a, b := twoServers(t)
	a.mustWard("", "env", "create", "staging")
	// The second server hears of staging.
	until(t, b, "POST", "staging/data/warm", b.Token, `{"data":{"n":"0"}}`, 200, time.Now(), time.Second)
	const writers, each = 4, 15

	type ack struct {
		server  string
		version int
	}
	write := func(s *devServer, path string, cas *int, n string) (int, bool) {
		body := `{"data":{"n":"` + n + `"}}`
		if cas != nil {
			body = fmt.Sprintf(`{"options":{"cas":%d},"data":{"n":"%s"}}`, *cas, n)
		}
		code, out := call(t, s, "POST", "/v1/staging/data/"+path, s.Token, body)
		switch {
		case code == 200:
			var r struct{ Data struct{ Version int } }
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Errorf("write answer: %v %s", err, out)
			}
			return r.Data.Version, true
		case code == 400 && cas != nil && strings.Contains(out, "check-and-set"):
			return 0, false
		default:
			t.Errorf("write %s: %d %s", path, code, out)
			return 0, false
		}
	}
	current := func(s *devServer, path string) int {
		code, out := call(t, s, "GET", "/v1/staging/metadata/"+path, s.Token, "")
		if code == 404 {
			return 0
		}
		var r struct {
			Data struct {
				CurrentVersion int `json:"current_version"`
			}
		}
		if code != 200 || json.Unmarshal([]byte(out), &r) != nil {
			t.Fatalf("metadata of %s: %d %s", path, code, out)
		}
		return r.Data.CurrentVersion
	}
	run := func(path string, useCAS bool) []ack {
		var mu sync.Mutex
		var acks []ack
		var wg sync.WaitGroup
		for _, s := range []*devServer{a, b} {
			for w := range writers {
				wg.Go(func() {
					for i := range each {
						var cas *int
						if useCAS {
							v := current(s, path)
							cas = &v
						}
						if v, ok := write(s, path, cas, fmt.Sprintf("%s-%d-%d", s.Addr, w, i)); ok {
							mu.Lock()
							acks = append(acks, ack{s.Addr, v})
							mu.Unlock()
						}
					}
				})
			}
		}
		wg.Wait()
		return acks
	}
	check := func(path string, acks []ack, useCAS bool) {
		seen := map[int]string{}
		servers := map[string]bool{}
		for _, k := range acks {
			if other, dup := seen[k.version]; dup {
				t.Errorf("%s: version %d acknowledged twice (servers %s and %s)", path, k.version, other, k.server)
			}
			seen[k.version] = k.server
			servers[k.server] = true
		}
		if got := current(a, path); got != len(acks) {
			t.Errorf("%s: current version %d after %d acknowledged writes", path, got, len(acks))
		}
		if len(servers) != 2 {
			t.Errorf("%s: acknowledged writes came from %d server(s), want both", path, len(servers))
		}
		if !useCAS && len(acks) != 2*writers*each {
			t.Errorf("%s: %d writes acknowledged, want all %d", path, len(acks), 2*writers*each)
		}
	}
	plain := run("hot/plain", false)
	check("hot/plain", plain, false)
	withCAS := run("hot/cas", true)
	check("hot/cas", withCAS, true)
	t.Logf("%d plain writes, %d of %d check-and-set writes won, across two servers", len(plain), len(withCAS), 2*writers*each)
}

// PostgreSQL stopped at once (as a crash or a failover does) under reads
// and writes: ward answers 503 in Vault's error shape with Retry-After
// while it is away, never a 500, and serves again by itself once it is
// back, without a restart or an unseal.
func TestPostgresRestartUnderLoad(t *testing.T) {
	pg := pgtest.NewCluster(t)
	t.Setenv("WARD_STORAGE_DSN", pg.DSN())
	s := startPG(t)
	initOneKey(t, s)
	s.mustWard("", "env", "create", "staging")
	s.mustWard(`{"v":"before"}`, "kv", "put", "--env", "staging", "app/db")

	type answer struct {
		code       int
		retryAfter string
		body       string
	}
	var mu sync.Mutex
	var answers []answer
	stop := make(chan struct{})
	wait := load(t, s, stop, func(n, i int) (string, string, string) {
		if i%2 == 1 {
			return "POST", fmt.Sprintf("staging/data/load/w%d", n), fmt.Sprintf(`{"data":{"i":"%d"}}`, i)
		}
		return "GET", "staging/data/app/db", ""
	}, func(_ string, resp *http.Response, body []byte) bool {
		mu.Lock()
		answers = append(answers, answer{resp.StatusCode, resp.Header.Get("Retry-After"), string(body)})
		mu.Unlock()
		time.Sleep(5 * time.Millisecond)
		return true
	})
	time.Sleep(500 * time.Millisecond)
	pg.Stop()
	until(t, s, "GET", "staging/data/app/db", s.Token, "", 503, time.Now(), 10*time.Second)
	time.Sleep(2 * time.Second) // away for a while, under load
	pg.Start()
	back := time.Now()
	readBack := until(t, s, "GET", "staging/data/app/db", s.Token, "", 200, back, 30*time.Second)
	writeBack := until(t, s, "POST", "staging/data/app/db", s.Token, `{"data":{"v":"after"}}`, 200, back, 30*time.Second)
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wait()

	counts := map[int]int{}
	for _, a := range answers {
		counts[a.code]++
		switch a.code {
		case 200, 204:
		case 503:
			var e struct{ Errors []string }
			if a.retryAfter == "" || json.Unmarshal([]byte(a.body), &e) != nil || len(e.Errors) == 0 {
				t.Errorf("a 503 without Retry-After or Vault's error shape: Retry-After %q, body %s", a.retryAfter, a.body)
			}
			if strings.Contains(a.body, "postgres") || strings.Contains(a.body, "127.0.0.1") {
				t.Errorf("a 503 describes the database: %s", a.body)
			}
		default:
			t.Errorf("answer %d while the database restarted: %s", a.code, a.body)
		}
	}
	if counts[503] == 0 || counts[200] == 0 {
		t.Errorf("answers %v: want both 200s and 503s", counts)
	}
	if out := s.mustWard("", "kv", "get", "--env", "staging", "--field", "v", "app/db"); out != "after\n" {
		t.Errorf("after the restart the secret reads %q", out)
	}
	t.Logf("answers under the restart: %v; reads served again %v and writes %v after PostgreSQL was back", counts, readBack.Round(time.Millisecond), writeBack.Round(time.Millisecond))
}
