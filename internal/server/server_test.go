package server

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/audit"
	"github.com/wardhq/ward/internal/scan"
	"github.com/wardhq/ward/internal/scan/known"
	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/vault"
	"github.com/wardhq/ward/internal/vault/vaulttest"
)

type testServer struct {
	t     *testing.T
	raw   storage.Backend // the untrusted store under the barrier
	url   string
	root  string
	v     *vault.Vault
	audit string
	logs  *syncBuffer // the server's log lines
}

// newTestServer runs a real HTTP server on a loopback socket over an
// initialised, unsealed vault with environments dev, staging and prod.
func newTestServer(t *testing.T) *testServer {
	t.Helper()
	return startServer(t, vault.Config{}, Config{})
}

// startServer serves a vaulttest vault made with vcfg (environments dev,
// staging and prod) through a Server made with cfg, whose zero Logger
// writes to the testServer's logs.
func startServer(t *testing.T, vcfg vault.Config, cfg Config) *testServer {
	t.Helper()
	tv := vaulttest.New(t, vcfg, "dev", "staging", "prod")
	logs := &syncBuffer{}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	}
	cfg.Vault = tv.Vault
	srv := httptest.NewServer(New(cfg))
	t.Cleanup(srv.Close)
	return &testServer{t: t, raw: tv.Storage, url: srv.URL, root: tv.Root, v: tv.Vault, audit: tv.AuditPath, logs: logs}
}

func (s *testServer) do(method, path, token, body string, hdr ...string) (int, map[string]any) {
	s.t.Helper()
	st, out, _ := s.send(false, method, path, token, body, hdr...)
	return st, out
}

// send makes one request with token and hdr (name, value pairs, each set,
// or added when add is true) and returns the answer's status, JSON body
// and headers.
func (s *testServer) send(add bool, method, path, token, body string, hdr ...string) (int, map[string]any, http.Header) {
	s.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, s.url+path, r)
	if token != "" {
		req.Header.Set("X-Vault-Token", token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if add {
			req.Header.Add(hdr[i], hdr[i+1])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out, resp.Header
}

// token makes a token bound to env with one policy made of rules.
func (s *testServer) token(env, rules string) string {
	s.t.Helper()
	name := "p" + strings.ReplaceAll(env, "-", "")
	if st, body := s.do("PUT", "/v1/sys/policies/acl/"+name, s.root, mustJSON(map[string]any{"policy": rules})); st != 204 {
		s.t.Fatalf("policy write: %d %v", st, body)
	}
	st, body := s.do("POST", "/v1/auth/token/create", s.root, mustJSON(map[string]any{"env": env, "policies": []string{name}, "ttl": "1h"}))
	if st != 200 {
		s.t.Fatalf("token create: %d %v", st, body)
	}
	return body["auth"].(map[string]any)["client_token"].(string)
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Every endpoint checks the capability of the operation it really performs.
func TestCapabilityPerOperation(t *testing.T) {
	s := newTestServer(t)
	s.do("POST", "/v1/dev/data/app/db", s.root, `{"data":{"k":"v"}}`)
	s.do("POST", "/v1/dev/data/app/db", s.root, `{"data":{"k":"v2"}}`)
	tests := []struct {
		name       string
		caps       string
		method     string
		path, body string
		hdr        []string
	}{
		{"read", "read", "GET", "/v1/dev/data/app/db", "", nil},
		{"create", "create", "POST", "/v1/dev/data/app/new", `{"data":{"k":"v"}}`, nil},
		{"update", "update", "POST", "/v1/dev/data/app/db", `{"data":{"k":"v3"}}`, nil},
		{"patch", "patch", "PATCH", "/v1/dev/data/app/db", `{"data":{"k":"v4"}}`, []string{"Content-Type", "application/merge-patch+json"}},
		{"delete", "delete", "DELETE", "/v1/dev/data/app/db", "", nil},
		{"delete versions", "delete", "POST", "/v1/dev/delete/app/db", `{"versions":[1]}`, nil},
		{"undelete", "undelete", "POST", "/v1/dev/undelete/app/db", `{"versions":[1]}`, nil},
		{"destroy", "destroy", "POST", "/v1/dev/destroy/app/db", `{"versions":[1]}`, nil}, // and MFA: see TestMFADefaults
		{"metadata read", "read", "GET", "/v1/dev/metadata/app/db", "", nil},
		{"metadata delete destroys", "destroy", "DELETE", "/v1/dev/metadata/app/db", "", nil},
		{"list", "list", "LIST", "/v1/dev/metadata/app/", "", nil},
	}
	all := []string{"read", "list", "create", "update", "patch", "delete", "undelete", "destroy"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Every capability but the one needed: refused.
			var others []string
			for _, c := range all {
				if c != tt.caps {
					others = append(others, c)
				}
			}
			tok := s.token("dev", "rules:\n  - path: dev/**\n    capabilities: ["+strings.Join(others, ", ")+"]\n")
			if st, body := s.do(tt.method, tt.path, tok, tt.body, tt.hdr...); st != 403 {
				t.Fatalf("without %s: %d %v, want 403", tt.caps, st, body)
			}
			// The one needed alone: allowed.
			tok = s.token("dev", "rules:\n  - path: dev/**\n    capabilities: ["+tt.caps+"]\n")
			st, body := s.do(tt.method, tt.path, tok, tt.body, tt.hdr...)
			if tt.caps == "destroy" {
				// Allowed by policy, then held back by the shipped MFA
				// default, which this token (no identity) cannot pass.
				if st != 403 || !strings.Contains(fmt.Sprint(body), "requires MFA (a shipped default)") {
					t.Fatalf("with %s: %d %v; want the MFA refusal", tt.caps, st, body)
				}
				return
			}
			if st >= 400 {
				t.Fatalf("with %s: %d %v", tt.caps, st, body)
			}
		})
	}
}

func TestEnvironmentIsAHardBoundary(t *testing.T) {
	s := newTestServer(t)
	s.do("POST", "/v1/prod/data/app/db", s.root, `{"data":{"k":"v"}}`)
	// A policy that names prod does not let a staging token reach it.
	tok := s.token("staging", "rules:\n  - path: \"*/**\"\n    capabilities: [admin]\n")
	if st, _ := s.do("GET", "/v1/prod/data/app/db", tok, ""); st != 403 {
		t.Fatalf("staging token reading prod: %d, want 403", st)
	}
	if st, _ := s.do("POST", "/v1/auth/token/create", tok, `{"env":"prod","policies":["pstaging"]}`); st != 403 {
		t.Fatalf("staging token minting a prod token: %d, want 403", st)
	}
}

func TestTwoTokensRefused(t *testing.T) {
	s := newTestServer(t)
	st, _ := s.do("GET", "/v1/auth/token/lookup-self", s.root, "", "Authorization", "Bearer ward_x")
	if st != 400 {
		t.Fatalf("two different tokens: %d, want 400", st)
	}
	st, _ = s.do("GET", "/v1/auth/token/lookup-self", "", "", "Authorization", "Bearer "+s.root)
	if st != 200 {
		t.Fatalf("bearer token alone: %d, want 200", st)
	}
	st, _ = s.do("GET", "/v1/auth/token/lookup-self", s.root, "", "Authorization", "Bearer "+s.root)
	if st != 200 {
		t.Fatalf("the same token twice: %d, want 200", st)
	}
}

func TestCapabilitiesSelf(t *testing.T) {
	s := newTestServer(t)
	tok := s.token("staging", "rules:\n  - path: staging/payments/*\n    capabilities: [read, list]\n  - path: staging/payments/admin\n    capabilities: [deny]\n")
	st, body := s.do("POST", "/v1/sys/capabilities-self", tok, `{"paths":["staging/data/payments/db","staging/data/payments/admin","prod/data/payments/db"]}`)
	if st != 200 {
		t.Fatalf("capabilities-self: %d %v", st, body)
	}
	want := map[string]string{
		"staging/data/payments/db":    `["list","read"]`,
		"staging/data/payments/admin": `["deny"]`,
		"prod/data/payments/db":       `["deny"]`,
	}
	for p, w := range want {
		if got := mustJSON(body[p]); got != w {
			t.Errorf("%s: %s, want %s", p, got, w)
		}
	}
}

// Each request leaves a request and a response entry; secret values and
// tokens appear in them only as HMACs that sys/audit-hash reproduces.
func TestAuditEntries(t *testing.T) {
	s := newTestServer(t)
	const value = "audit-canary-value"
	if st, _ := s.do("POST", "/v1/staging/data/app/db", s.root, `{"data":{"password":"`+value+`"}}`); st != 200 {
		t.Fatal(st)
	}
	if st, _ := s.do("GET", "/v1/staging/data/app/db", s.root, ""); st != 200 {
		t.Fatal(st)
	}
	// Refused requests are audited too: a bad token, and a denied policy.
	if st, _ := s.do("GET", "/v1/staging/data/app/db", "ward_not-a-token", ""); st != 403 {
		t.Fatal(st)
	}
	denied := s.token("staging", "rules:\n  - path: staging/other\n    capabilities: [read]\n")
	if st, _ := s.do("GET", "/v1/staging/data/app/db", denied, ""); st != 403 {
		t.Fatal(st)
	}
	st, body := s.do("POST", "/v1/sys/audit-hash/file", s.root, `{"input":"`+value+`"}`)
	if st != 200 {
		t.Fatalf("audit-hash: %d %v", st, body)
	}
	hash, _ := body["hash"].(string)
	raw, err := os.ReadFile(s.audit)
	if err != nil {
		t.Fatal(err)
	}
	log := string(raw)
	if strings.Contains(log, value) || strings.Contains(log, s.root) {
		t.Fatal("the audit log holds a secret value or the root token in the clear")
	}
	var reads []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("audit line is not JSON: %v", err)
		}
		if e["path"] == "staging/data/app/db" && e["operation"] == "read" {
			reads = append(reads, e)
		}
	}
	if len(reads) != 6 {
		t.Fatalf("want a request and a response entry for each of 3 reads, got %d: %v", len(reads), reads)
	}
	for i, want := range []float64{200, 403, 403} {
		req, resp := reads[2*i], reads[2*i+1]
		if req["type"] != "request" || resp["type"] != "response" || resp["status"] != want {
			t.Fatalf("read %d: entries %v / %v, want request then response with status %v", i, req, resp, want)
		}
	}
	if !strings.Contains(mustJSON(reads[1]), hash) || hash == "" {
		t.Fatalf("the response entry does not carry the value's HMAC %q: %v", hash, reads[1])
	}
	if strings.Contains(log, "ward_not-a-token") {
		t.Fatal("a refused token is in the audit log in the clear")
	}
	if n, err := audit.Verify(strings.NewReader(log)); err != nil || n < 4 {
		t.Fatalf("verify: %d entries, %v", n, err)
	}
}

// A fingerprint set finds the secrets the caller may read, and holds none
// of their values.
func TestFingerprints(t *testing.T) {
	s := newTestServer(t)
	const dbPW, adminPW = "fp-canary-db-password-1", "fp-canary-admin-password-2"
	s.do("POST", "/v1/staging/data/payments/db", s.root, `{"data":{"password":"`+dbPW+`","port":5432}}`)
	s.do("POST", "/v1/staging/data/admin/root", s.root, `{"data":{"password":"`+adminPW+`"}}`)
	tok := s.token("staging", "rules:\n  - path: staging/payments/**\n    capabilities: [read, list]\n")
	st, body := s.do("POST", "/v1/sys/ward/fingerprints/staging", tok, `{}`)
	if st != 200 {
		t.Fatalf("fingerprints: %d %v", st, body)
	}
	setText, _ := body["data"].(map[string]any)["set"].(string)
	for _, v := range []string{dbPW, adminPW} {
		for _, form := range []string{v, base64.StdEncoding.EncodeToString([]byte(v)), hex.EncodeToString([]byte(v))} {
			if strings.Contains(setText, form) || strings.Contains(setText, form[:8]) {
				t.Fatalf("the set holds a value or a prefix of one")
			}
		}
	}
	set, err := known.Read(strings.NewReader(setText))
	if err != nil {
		t.Fatalf("reading the set: %v", err)
	}
	find := func(text string) []scan.KnownRef {
		var refs []scan.KnownRef
		set.Find([]byte(text), len(text), func(_, _ int, ref scan.KnownRef) { refs = append(refs, ref) })
		return refs
	}
	if refs := find("log line: password=" + dbPW + " done"); len(refs) != 1 {
		t.Fatalf("the readable secret was found %d times, want 1", len(refs))
	}
	// Its base64 form (the same text as base64url for this value) is found.
	if refs := find("log line: " + base64.StdEncoding.EncodeToString([]byte(dbPW))); len(refs) == 0 || refs[0].Path != "payments/db" || refs[0].Field != "password" {
		t.Fatalf("its base64 form was found as %+v", refs)
	}
	if refs := find("log line: password=" + adminPW); len(refs) != 0 {
		t.Fatalf("a secret the token may not read is in its set")
	}
	// Another environment's token gets nothing of staging.
	other := s.token("prod", "rules:\n  - path: \"**\"\n    capabilities: [read]\n")
	if st, _ := s.do("POST", "/v1/sys/ward/fingerprints/staging", other, `{}`); st != 403 {
		t.Fatalf("prod token asking for staging's fingerprints: %d, want 403", st)
	}
}

// versionKey finds the raw storage key of a secret's version: the one key
// under env/ that ends in the path and the zero-padded version.
func (s *testServer) versionKey(secretPath string, version int) string {
	s.t.Helper()
	var found []string
	var walk func(prefix string)
	walk = func(prefix string) {
		names, err := s.raw.List(context.Background(), prefix)
		if err != nil {
			s.t.Fatal(err)
		}
		for _, n := range names {
			if strings.HasSuffix(n, "/") {
				walk(prefix + n)
			} else if strings.HasSuffix(prefix+n, "/"+secretPath+"/"+fmt.Sprintf("%020d", version)) {
				found = append(found, prefix+n)
			}
		}
	}
	walk("env/")
	if len(found) != 1 {
		s.t.Fatalf("version keys of %s v%d: %v", secretPath, version, found)
	}
	return found[0]
}

// Storage is untrusted: a flipped byte, or a ciphertext moved to another
// path or version, fails to decrypt, and the answer holds no plaintext.
func TestTamperedStorage(t *testing.T) {
	s := newTestServer(t)
	ctx := context.Background()
	const a, b = "tamper-canary-aaaa", "tamper-canary-bbbb"
	s.do("POST", "/v1/prod/data/app/a", s.root, `{"data":{"v":"`+a+`"}}`)
	s.do("POST", "/v1/prod/data/app/a", s.root, `{"data":{"v":"`+a+`-2"}}`)
	s.do("POST", "/v1/prod/data/app/b", s.root, `{"data":{"v":"`+b+`"}}`)
	expectBroken := func(what, path string) {
		t.Helper()
		st, body := s.do("GET", path, s.root, "")
		if st != 500 || !strings.Contains(mustJSON(body), "failed authentication") || strings.Contains(mustJSON(body), "canary") {
			t.Fatalf("%s: %d %v; want a 500 saying the data failed authentication, with no value", what, st, body)
		}
	}
	// A flipped byte.
	keyA1 := s.versionKey("app/a", 1)
	e, _ := s.raw.Get(ctx, keyA1)
	flipped := append([]byte(nil), e.Value...)
	flipped[len(flipped)-5] ^= 0x40
	s.raw.Put(ctx, &storage.Entry{Key: keyA1, Value: flipped})
	expectBroken("flipped byte", "/v1/prod/data/app/a?version=1")
	// Another path's ciphertext moved here.
	eb, _ := s.raw.Get(ctx, s.versionKey("app/b", 1))
	s.raw.Put(ctx, &storage.Entry{Key: keyA1, Value: eb.Value})
	expectBroken("moved from another path", "/v1/prod/data/app/a?version=1")
	// Another version's ciphertext moved here.
	e2, _ := s.raw.Get(ctx, s.versionKey("app/a", 2))
	s.raw.Put(ctx, &storage.Entry{Key: keyA1, Value: e2.Value})
	expectBroken("moved from another version", "/v1/prod/data/app/a?version=1")
	// The untouched secret still reads.
	if st, body := s.do("GET", "/v1/prod/data/app/b", s.root, ""); st != 200 || !strings.Contains(mustJSON(body), b) {
		t.Fatalf("untouched secret: %d %v", st, body)
	}
}

// A panic while serving becomes a 500 that names the request id, and the
// server keeps serving.
func TestRecover(t *testing.T) {
	// A server with no vault panics on the first use of it.
	srv := httptest.NewServer(New(Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	defer srv.Close()
	for i := 0; i < 2; i++ {
		resp, err := http.Get(srv.URL + "/v1/sys/health")
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 500 || !strings.Contains(string(b), "internal error; request id") {
			t.Fatalf("request %d: %d %s", i, resp.StatusCode, b)
		}
	}
}
