//go:build unix

package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/secrets"
	"github.com/wardhq/ward/internal/server"
	"github.com/wardhq/ward/internal/storage/bolt"
	"github.com/wardhq/ward/internal/ui"
	"github.com/wardhq/ward/internal/vault"
)

// BenchmarkInventory measures the server time of the inventory's first
// page with 10,000 secrets on the embedded (bolt) store, signed in with a
// token, beside a reference measured in the same run: one KV metadata
// read through the API. It reports wall time (ns/op) and the process's
// CPU time per request (cpu-ms/op), which a loaded machine inflates less.
// first-page-cold moves the vault's clock past the metadata cache's max
// age before each page, so that each reads every secret's metadata again
// (a server's first page, or one after another server's writes). Run:
//
//	go test -run='^$' -bench=Inventory -benchtime=20x ./internal/ui
func BenchmarkInventory(b *testing.B) {
	h, cookie, root, clk := benchServer(b, 10000)
	get := func(b *testing.B, path string, hdr ...string) {
		r := httptest.NewRequest("GET", path, nil)
		r.AddCookie(cookie)
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("GET %s: %d %s", path, w.Code, w.Body.String())
		}
	}
	for _, c := range []struct{ name, path string }{
		{"reference=metadata-read", "/v1/staging/metadata/team07/svc00007/db"},
		{"first-page-cold", "/ui/secrets"},
		{"first-page", "/ui/secrets"},
		{"search", "/ui/secrets?q=svc0042"},
		{"sorted-by-due", "/ui/secrets?sort=due&status=due"},
		{"environment", "/ui/envs"},
	} {
		b.Run(c.name, func(b *testing.B) {
			cpu0 := cpuTime(b)
			for b.Loop() {
				if c.name == "first-page-cold" {
					clk.advance(vault.DefaultMetadataMaxAge)
				}
				get(b, c.path, "X-Vault-Token", root)
			}
			// CPU time is the server's own work, whatever else the
			// machine is doing; ns/op is wall time.
			b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchServer is a ward server on bolt with n secrets in staging, and a
// dashboard session of a root token's child in staging.
func benchServer(b *testing.B, n int) (http.Handler, *http.Cookie, string, *clock) {
	ctx := context.Background()
	dir := b.TempDir()
	db, err := bolt.Open(filepath.Join(dir, "ward.db"), bolt.Options{})
	if err != nil {
		b.Fatal(err)
	}
	clk := &clock{}
	v, root := openVault(b, vault.Config{Storage: db, AuditPath: filepath.Join(dir, "audit.log"), Now: clk.now}, "staging")
	env, err := v.Env("staging")
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				p := fmt.Sprintf("team%02d/svc%05d/db", i%40, i)
				meta := map[string]string{"owner": fmt.Sprintf("team%02d", i%40), "recipients": "api,worker", "rotate_every": "90d"}
				if i%7 == 0 {
					meta["expires_at"] = now.Add(time.Duration(i%60-20) * 24 * time.Hour).Format(time.RFC3339)
				}
				if _, err := env.PutSecret(ctx, p, json.RawMessage(`{"password":"x"}`), nil); err != nil {
					errs <- err
					return
				}
				if err := env.SetSecretMetadata(ctx, p, secrets.MetadataUpdate{CustomMetadata: meta}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := server.New(server.Config{Vault: v, Logger: quiet, UI: func(api http.Handler) http.Handler {
		return ui.New(ui.Config{API: api, Logger: quiet})
	}})
	// Sign in with the root token, as a newcomer does.
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/ui/login", nil))
	pre := w.Result().Cookies()[0]
	csrf := strings.SplitN(strings.SplitN(w.Body.String(), `name="csrf" value="`, 2)[1], `"`, 2)[0]
	form := url.Values{"csrf": {csrf}, "method": {"token"}, "token": {root}, "env": {"staging"}}
	r := httptest.NewRequest("POST", "/ui/login", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.AddCookie(pre)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	for _, c := range w.Result().Cookies() {
		if c.Name == "ward_ui" && c.Value != "" {
			return h, c, root, clk
		}
	}
	b.Fatalf("signing in: %d %s", w.Code, w.Body.String())
	return nil, nil, "", nil
}
