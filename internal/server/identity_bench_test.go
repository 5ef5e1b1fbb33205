package server

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/auth/totp"
	"github.com/wardhq/ward/internal/auth/userpass"
	"github.com/wardhq/ward/internal/storage/bolt"
	"github.com/wardhq/ward/internal/vault"
	"github.com/wardhq/ward/internal/vault/vaulttest"
)

// benchMFAServer is a server over bbolt with the audit log on, as
// ward dev runs, with a fake clock and the default argon2id cost. It has
// user alice (policy alice: read on staging/app/* with mfa: required on
// staging/app/guarded), enrolled and confirmed; it returns her token and
// TOTP secret.
func benchMFAServer(b *testing.B, clk *mfaClock) (url, token, secret string) {
	b.Helper()
	db, err := bolt.Open(filepath.Join(b.TempDir(), "ward.db"), bolt.Options{})
	if err != nil {
		b.Fatal(err)
	}
	// No lockout: the login benchmark logs in as fast as it can.
	tv := vaulttest.New(b, vault.Config{Storage: db, Now: clk.now, Userpass: userpass.Config{MaxFailures: 1 << 30}}, "staging")
	srv := httptest.NewServer(New(Config{Vault: tv.Vault, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Now: clk.now}))
	b.Cleanup(srv.Close)
	res := struct{ RootToken string }{tv.Root}
	c := srv.Client()
	call := func(method, path, tok, body string) map[string]any {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if tok != "" {
			req.Header.Set("X-Vault-Token", tok)
		}
		resp, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode >= 300 {
			b.Fatalf("%s %s: %d %v", method, path, resp.StatusCode, out)
		}
		return out
	}
	root := res.RootToken
	call("POST", "/v1/staging/data/app/guarded", root, `{"data":{"k":"v"}}`)
	call("POST", "/v1/staging/data/app/plain", root, `{"data":{"k":"v"}}`)
	rules := "rules:\n  - path: staging/app/*\n    capabilities: [read]\n  - path: staging/app/guarded\n    capabilities: [read]\n    mfa: required\n"
	call("PUT", "/v1/sys/policies/acl/alice", root, mustJSON(map[string]any{"policy": rules}))
	call("POST", "/v1/auth/userpass/users/alice", root, `{"password":"correct horse","token_policies":["alice"],"token_ttl":"768h"}`)
	out := call("POST", "/v1/auth/userpass/login/alice", "", `{"password":"correct horse","env":"staging"}`)
	token = out["auth"].(map[string]any)["client_token"].(string)
	out = call("POST", "/v1/sys/ward/mfa/totp/enroll", token, "")
	secret = out["data"].(map[string]any)["secret"].(string)
	call("POST", "/v1/sys/ward/mfa/totp/confirm", token, mustJSON(map[string]any{"code": totpCode(b, secret, clk.now())}))
	return srv.URL, token, secret
}

func mfaBenchGet(b *testing.B, c *http.Client, url, token, mfa string) {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("X-Vault-Token", token)
	if mfa != "" {
		req.Header.Set(MFAHeader, mfa)
	}
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
}

// BenchmarkMFACheckedRead is a secret read that needs a TOTP code, over
// HTTP on loopback: each request carries a fresh code (the fake clock
// moves one step per request, since a code is single-use). Compare with
// BenchmarkMFAUncheckedRead, the same read by the same token under a rule
// without mfa. Sequential: one identity's codes must come in order.
func BenchmarkMFACheckedRead(b *testing.B) {
	clk := &mfaClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	url, token, secret := benchMFAServer(b, clk)
	c := &http.Client{}
	codes := make([]string, 0, 1024)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		clk.advance(totp.Period)
		if len(codes) == 0 || i%cap(codes) == 0 {
			// Codes for the coming steps, made outside the timer.
			codes = codes[:0]
			for j := range cap(codes) {
				codes = append(codes, totpCode(b, secret, clk.now().Add(time.Duration(j)*totp.Period)))
			}
		}
		cd := codes[i%cap(codes)]
		b.StartTimer()
		mfaBenchGet(b, c, url+"/v1/staging/data/app/guarded", token, cd)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

func BenchmarkMFAUncheckedRead(b *testing.B) {
	clk := &mfaClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	url, token, _ := benchMFAServer(b, clk)
	c := &http.Client{}
	for b.Loop() {
		mfaBenchGet(b, c, url+"/v1/staging/data/app/plain", token, "")
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkUserpassLogin is a password login over HTTP with the default
// argon2id cost (19 MiB, 2 passes), from as many clients as GOMAXPROCS:
// argon2id dominates, by design.
func BenchmarkUserpassLogin(b *testing.B) {
	clk := &mfaClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	url, _, _ := benchMFAServer(b, clk)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c := &http.Client{}
		for pb.Next() {
			req, _ := http.NewRequest("POST", url+"/v1/auth/userpass/login/alice", strings.NewReader(`{"password":"correct horse","env":"staging"}`))
			resp, err := c.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("login: %d", resp.StatusCode)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
}
