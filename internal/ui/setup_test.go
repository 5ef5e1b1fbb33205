package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/audit"
	"github.com/wardhq/ward/internal/auth/totp"
	"github.com/wardhq/ward/internal/detect"
	"github.com/wardhq/ward/internal/server"
	"github.com/wardhq/ward/internal/storage/memory"
	"github.com/wardhq/ward/internal/ui"
	"github.com/wardhq/ward/internal/vault"
)

// Canary values: written as secret data, they must never reach a page,
// an answer or the browser's storage.
const (
	stagingCanary = "CANARY-staging-9f3b7e1d-value"
	prodCanary    = "CANARY-prod-4c2a8d6e-value"
	alicePassword = "correct horse battery staple"
)

// clock is the server's clock: real time plus an offset the test moves.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// world is a real ward server with the dashboard, over real HTTP.
type world struct {
	t      testing.TB
	url    string
	root   string
	v      *vault.Vault
	audit  string
	clk    *clock
	totp   string          // alice's TOTP secret
	detect *detect.Service // the live detectors, as ward server runs them
}

// breakGlass are the paths whose reads raise a sensitive_path alert.
var breakGlass = []string{"staging/shared/*", "prod/prodonly/*"}

// auditForward writes alerts to the vault's audit log once it is open.
type auditForward struct{ v atomic.Pointer[vault.Vault] }

func (a *auditForward) Write(ctx context.Context, e *audit.Entry) error {
	return a.v.Load().WriteAudit(ctx, e)
}

func newWorld(t testing.TB) *world {
	t.Helper()
	w := &world{t: t, audit: filepath.Join(t.TempDir(), "audit.log"), clk: &clock{}}
	fwd := &auditForward{}
	w.detect = detect.NewService(detect.ServiceConfig{Config: detect.DefaultConfig(), Audit: fwd})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	w.detect.Start(ctx)
	v, root := openVault(t, vault.Config{Storage: memory.New(), AuditPath: w.audit, Now: w.clk.now, Detect: w.detect, AuditOnEntries: w.detect.OfferEntries},
		"dev", "staging", "prod")
	fwd.v.Store(v)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	api := server.New(server.Config{Vault: v, Logger: quiet, Now: w.clk.now, UI: func(api http.Handler) http.Handler {
		return ui.New(ui.Config{API: api, Logger: quiet, Now: w.clk.now})
	}})
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	w.url, w.root, w.v = srv.URL, root, v
	return w
}

// openVault opens, initialises and unseals a vault of cfg with envs, and
// returns it with its root token.
func openVault(t testing.TB, cfg vault.Config, envs ...string) (*vault.Vault, string) {
	t.Helper()
	ctx := context.Background()
	v, err := vault.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	res, err := v.Init(ctx, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Unseal(ctx, res.Shares[0]); err != nil {
		t.Fatal(err)
	}
	for _, e := range envs {
		if _, err := v.CreateEnv(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	return v, res.RootToken
}

// do calls the API with token and returns the status and decoded body.
func (w *world) do(method, path, token, body string, hdr ...string) (int, map[string]any) {
	w.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, w.url+"/v1/"+path, r)
	if token != "" {
		req.Header.Set("X-Vault-Token", token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func (w *world) must(method, path, token, body string) map[string]any {
	w.t.Helper()
	st, out := w.do(method, path, token, body)
	if st >= 300 {
		w.t.Fatalf("%s %s: %d %v", method, path, st, out)
	}
	return out
}

// seed writes the people, policies and secrets the tests use: alice,
// who may read staging and prod and has TOTP; bob, bound to staging
// without TOTP; secrets in both environments with canary values.
func (w *world) seed() {
	w.t.Helper()
	alice := `rules:
  - path: "*/**"
    capabilities: [read, list]
  - path: sys/ward/audit
    capabilities: [read]
  - path: sys/ward/envs/**
    capabilities: [read, list]
  - path: sys/ward/types/*
    capabilities: [read]
  - path: sys/policies/acl/*
    capabilities: [read, list]
  - path: auth/jwt/role/*
    capabilities: [read, list]
  - path: sys/ward/alerts/**
    capabilities: [read, list, update]
`
	ci := `rules:
  - path: "*/payments/*"
    capabilities: [read]
  - path: prod/payments/admin/**
    capabilities: [deny]
`
	w.must("PUT", "sys/policies/acl/people", w.root, jsonBody(map[string]any{"policy": alice}))
	w.must("PUT", "sys/policies/acl/ci-api", w.root, jsonBody(map[string]any{"policy": ci}))
	w.must("POST", "auth/jwt/role/api-staging", w.root, jsonBody(map[string]any{"role_type": "jwt", "bound_audiences": []string{"https://ward.example.com"},
		"user_claim": "sub", "token_policies": []string{"ci-api"}, "environment": "staging", "bound_claims": map[string]any{"repository": "acme/api"}}))
	w.must("POST", "auth/userpass/users/alice", w.root, jsonBody(map[string]any{"password": alicePassword, "token_policies": []string{"people"}}))
	w.must("POST", "auth/userpass/users/bob", w.root, jsonBody(map[string]any{"password": alicePassword, "token_policies": []string{"people"}, "environment": "staging"}))
	w.must("PUT", "sys/ward/envs/prod/rules", w.root, `{"required_metadata": [["owner"], ["expires_at", "rotate_every"]]}`)

	// alice enrols TOTP with a first code; the clock then moves on a step,
	// so that the code she signs in with is a new one.
	tok := w.login("alice", "staging")
	en := w.must("POST", "sys/ward/mfa/totp/enroll", tok, "")
	w.totp = en["data"].(map[string]any)["secret"].(string)
	w.must("POST", "sys/ward/mfa/totp/confirm", tok, jsonBody(map[string]any{"code": w.code()}))
	w.must("POST", "auth/token/revoke-self", tok, "")
	w.clk.advance(totp.Period)

	now := w.clk.now().UTC()
	put := func(env, p, data string, meta map[string]string) {
		w.must("POST", env+"/metadata/"+p, w.root, jsonBody(map[string]any{"custom_metadata": meta}))
		w.must("POST", env+"/data/"+p, w.root, `{"data": `+data+`}`)
	}
	pg := func(pw string) string {
		return jsonBody(map[string]any{"host": "db.internal", "port": 5432, "user": "payments", "password": pw, "database": "payments"})
	}
	put("staging", "payments/db", pg(stagingCanary), map[string]string{"type": "postgres", "owner": "team-payments", "recipients": "api,worker", "rotate_every": "90d"})
	put("staging", "payments/stripe", `{"secret_key": "sk_test_`+stagingCanary+`"}`, map[string]string{"owner": "team-payments", "recipients": "api", "expires_at": now.Add(5 * 24 * time.Hour).Format(time.RFC3339)})
	put("staging", "shared/sentry", `{"dsn": "https://`+stagingCanary+`@sentry.example.com/1"}`, map[string]string{"owner": "team-platform", "recipients": "api,worker", "expires_at": now.Add(-24 * time.Hour).Format(time.RFC3339)})
	for i := range 12 {
		put("staging", fmt.Sprintf("worker/queue-%02d", i), `{"url": "amqp://`+stagingCanary+`@mq"}`, map[string]string{"owner": "team-worker", "recipients": "worker", "rotate_every": "30d"})
	}
	put("prod", "payments/db", pg(prodCanary), map[string]string{"type": "postgres", "owner": "team-payments", "recipients": "api,worker", "rotate_every": "90d"})
	put("prod", "prodonly/launch-codes", `{"code": "`+prodCanary+`"}`, map[string]string{"owner": "team-secret", "rotate_every": "7d"})
	// alice's CI reads a staging secret, so that it has a last read.
	w.must("GET", "staging/data/payments/db", w.root, "")
	// Break-glass reads, one in each environment: two alerts (the writes
	// above came before the paths were break-glass).
	w.flushDetect()
	cfg := detect.DefaultConfig()
	cfg.SensitivePath.BreakGlass = breakGlass
	w.detect.SetConfig(cfg)
	w.must("GET", "staging/data/shared/sentry", w.root, "")
	w.must("GET", "prod/data/prodonly/launch-codes", w.root, "")
	w.flushDetect()
}

// flushDetect waits until the detectors have read every audit line.
func (w *world) flushDetect() {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.detect.Flush(ctx); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) login(user, env string) string {
	w.t.Helper()
	out := w.must("POST", "auth/userpass/login/"+user, "", jsonBody(map[string]any{"password": alicePassword, "env": env}))
	return out["auth"].(map[string]any)["client_token"].(string)
}

// code is alice's current TOTP code on the server's clock.
func (w *world) code() string {
	w.t.Helper()
	c, err := totp.Code(w.totp, w.clk.now())
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

func jsonBody(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
