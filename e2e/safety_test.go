package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
)

// call sends one raw request and returns status and body.
func call(t *testing.T, s *devServer, method, path, token string, body string, hdr ...string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.Addr+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("X-Vault-Token", token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func randomMarker(t *testing.T) string {
	b := make([]byte, 12)
	rand.Read(b)
	return "canary" + hex.EncodeToString(b)
}

// A secret value must never appear, plain, base64 or hex, in the server's
// logs, the audit log, error responses, or any file of the data directory.
func TestCanaryNeverLeaks(t *testing.T) {
	s := startDev(t, "")
	marker := randomMarker(t)
	forms := []string{
		marker,
		base64.StdEncoding.EncodeToString([]byte(marker)),
		base64.RawURLEncoding.EncodeToString([]byte(marker)),
		hex.EncodeToString([]byte(marker)),
	}
	var responses []string
	record := func(status int, body string) { responses = append(responses, fmt.Sprintf("%d %s", status, body)) }

	// Good writes and reads (the response to the read holds the marker by
	// design, so it is not recorded).
	record(call(t, s, "POST", "/v1/prod/data/payments/db", s.Token, `{"data":{"password":"`+marker+`"}}`))
	call(t, s, "GET", "/v1/prod/data/payments/db", s.Token, "")
	// Bad requests that carry the marker.
	bad := []struct{ method, path, body string }{
		{"POST", "/v1/prod/data/payments/db", `{"data":{"password":"` + marker + `"}} trailing`},
		{"POST", "/v1/prod/data/payments/db", `{"data":{"password":"` + marker + `","password":"x"}}`},
		{"POST", "/v1/prod/data/payments/db", `{"data":{"password":"` + marker + `"`},
		{"POST", "/v1/prod/data/payments/db", `{"data":"` + marker + `"}`},
		{"POST", "/v1/prod/data/payments/db", `{"data":{"password":"` + marker + `"},"options":{"cas":"` + marker + `"}}`},
		{"POST", "/v1/nope/data/payments/db", `{"data":{"password":"` + marker + `"}}`},
		{"POST", "/v1/prod/data/" + marker + "/../x", `{"data":{}}`},
		{"PUT", "/v1/sys/policies/acl/p", `{"policy":"rules: [` + marker + `"}`},
		{"PUT", "/v1/sys/unseal", `{"key":"` + marker + `"}`},
		{"POST", "/v1/auth/token/lookup", `{"token":"` + marker + `"}`},
	}
	for _, b := range bad {
		record(call(t, s, b.method, b.path, s.Token, b.body))
	}
	// The marker as a token.
	record(call(t, s, "GET", "/v1/prod/data/payments/db", marker, ""))
	record(call(t, s, "GET", "/v1/prod/data/payments/db", "", "", "Authorization", "Bearer "+marker, "X-Vault-Token", s.Token))

	s.Stop()
	check := func(where, text string) {
		t.Helper()
		for _, f := range forms {
			if strings.Contains(text, f) {
				t.Errorf("the secret leaked into %s (as %q...)", where, f[:8])
			}
		}
	}
	for _, r := range responses {
		check("an error response", r)
	}
	check("the server's logs", s.Logs())
	filepath.WalkDir(s.Data, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		check(p, string(b))
		return nil
	})
	if !strings.Contains(s.Logs(), `"path":"/v1/prod/data/payments/db"`) {
		t.Errorf("the server's logs do not show the requests at all, so the check above proves nothing:\n%s", s.Logs())
	}
}

// Bad input gets a clear 4xx with errors, and changes nothing.
func TestBadInputChangesNothing(t *testing.T) {
	s := startDev(t, "")
	call(t, s, "POST", "/v1/dev/data/app/cfg", s.Token, `{"data":{"k":"v1"}}`)
	deep := strings.Repeat(`{"a":`, 100) + "1" + strings.Repeat("}", 100)
	big := `{"data":{"k":"` + strings.Repeat("x", 2<<20) + `"}}`
	tests := []struct {
		name, method, path, body string
		status                   int
		want                     string
	}{
		{"malformed json", "POST", "/v1/dev/data/app/cfg", `{"data":{"k":}`, 400, "invalid JSON"},
		{"duplicate keys", "POST", "/v1/dev/data/app/cfg", `{"data":{"k":"a","k":"b"}}`, 400, "duplicate key"},
		{"trailing data", "POST", "/v1/dev/data/app/cfg", `{"data":{"k":"a"}}{}`, 400, "after the value"},
		{"deep json", "POST", "/v1/dev/data/app/cfg", `{"data":` + deep + `}`, 400, "nested deeper"},
		{"oversized", "POST", "/v1/dev/data/app/cfg", big, 413, "limit"},
		{"data not an object", "POST", "/v1/dev/data/app/cfg", `{"data":"x"}`, 400, "JSON object"},
		{"no data", "POST", "/v1/dev/data/app/cfg", `{}`, 400, "no data"},
		{"dot dot", "POST", "/v1/dev/data/app/../cfg", `{"data":{"k":"x"}}`, 400, ""},
		{"encoded slash", "POST", "/v1/dev/data/app%2Fcfg", `{"data":{"k":"x"}}`, 400, ""},
		{"empty segment", "POST", "/v1/dev/data/app//cfg", `{"data":{"k":"x"}}`, 400, ""},
		{"backslash", "POST", "/v1/dev/data/app%5Ccfg", `{"data":{"k":"x"}}`, 400, ""},
		{"nul", "POST", "/v1/dev/data/app%00cfg", `{"data":{"k":"x"}}`, 400, ""},
		{"unknown env", "POST", "/v1/nope/data/app/cfg", `{"data":{"k":"x"}}`, 404, "environment not found"},
		{"wrong type cas", "POST", "/v1/dev/data/app/cfg", `{"data":{"k":"x"},"options":{"cas":"one"}}`, 400, "cas"},
		{"method override", "POST", "/v1/dev/data/app/cfg", `{"data":{"k":"x"}}`, 400, "Override"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var status int
			var body string
			if tt.name == "method override" {
				status, body = call(t, s, tt.method, tt.path, s.Token, tt.body, "X-HTTP-Method-Override", "DELETE")
			} else {
				status, body = call(t, s, tt.method, tt.path, s.Token, tt.body)
			}
			var e struct {
				Errors []string `json:"errors"`
			}
			if status != tt.status || json.Unmarshal([]byte(body), &e) != nil || len(e.Errors) == 0 || !strings.Contains(strings.Join(e.Errors, " "), tt.want) {
				t.Fatalf("got %d %s, want %d with an error containing %q", status, body, tt.status, tt.want)
			}
		})
	}
	// Nothing changed: still version 1 with k=v1.
	status, body := call(t, s, "GET", "/v1/dev/data/app/cfg", s.Token, "")
	if status != 200 || !strings.Contains(body, `"k":"v1"`) || !strings.Contains(body, `"version":1`) {
		t.Fatalf("after bad input: %d %s", status, body)
	}
	// Two different tokens in one request.
	status, _ = call(t, s, "GET", "/v1/dev/data/app/cfg", s.Token, "", "Authorization", "Bearer ward_other")
	if status != 400 {
		t.Fatalf("two tokens: %d, want 400", status)
	}
}

// A sealed server answers 503 everywhere but health, seal-status and
// unseal; a wrong share does not open it; the right one does.
func TestSealedServer(t *testing.T) {
	s := startDev(t, "")
	call(t, s, "POST", "/v1/dev/data/app/cfg", s.Token, `{"data":{"k":"v"}}`)
	s.mustWard("", "operator", "seal")
	for _, p := range []string{"/v1/dev/data/app/cfg", "/v1/sys/policies/acl", "/v1/auth/token/lookup-self", "/v1/nope/anything"} {
		if status, _ := call(t, s, "GET", p, s.Token, ""); status != 503 {
			t.Errorf("sealed GET %s = %d, want 503", p, status)
		}
	}
	if status, _ := call(t, s, "GET", "/v1/sys/health", "", ""); status != 503 {
		t.Errorf("sealed health = %d, want 503", status)
	}
	if status, body := call(t, s, "GET", "/v1/sys/seal-status", "", ""); status != 200 || !strings.Contains(body, `"sealed":true`) {
		t.Errorf("seal-status = %d %s", status, body)
	}
	wrong := make([]byte, 33)
	rand.Read(wrong)
	if _, errOut, code := s.ward("", hex.EncodeToString(wrong)+"\n", "operator", "unseal"); code != 1 || !strings.Contains(errOut, "do not open") {
		t.Fatalf("wrong share: exit %d %s", code, errOut)
	}
	key, err := os.ReadFile(filepath.Join(s.Data, "dev-unseal-key"))
	if err != nil {
		t.Fatal(err)
	}
	if out := s.mustWard(string(key), "operator", "unseal"); !strings.Contains(out, "unsealed") {
		t.Fatalf("unseal: %s", out)
	}
	if status, body := call(t, s, "GET", "/v1/dev/data/app/cfg", s.Token, ""); status != 200 || !strings.Contains(body, `"k":"v"`) {
		t.Fatalf("after unseal: %d %s", status, body)
	}
}

// Deleting an environment kills its tokens; recreating the name gives an
// empty environment where the old tokens stay dead.
func TestEnvironmentLifecycle(t *testing.T) {
	s := startDev(t, "")
	s.mustWard("", "env", "create", "qa")
	call(t, s, "POST", "/v1/qa/data/app/cfg", s.Token, `{"data":{"k":"v"}}`)
	s.mustWard("rules:\n  - path: qa/**\n    capabilities: [read]\n", "policy", "write", "qa-read", "-f", "-")
	out := s.mustWard("", "token", "create", "--env", "qa", "--policy", "qa-read", "--format", "json")
	var a struct {
		ClientToken string `json:"client_token"`
	}
	json.Unmarshal([]byte(out), &a)
	if status, _ := call(t, s, "GET", "/v1/qa/data/app/cfg", a.ClientToken, ""); status != 200 {
		t.Fatalf("qa token before delete: %d", status)
	}
	if _, _, code := s.ward(s.Token, "", "env", "delete", "qa"); code != 2 {
		t.Fatalf("env delete without --yes: exit %d, want 2", code)
	}
	s.mustWard("", "env", "delete", "--yes", "qa")
	s.mustWard("", "env", "create", "qa")
	if status, _ := call(t, s, "GET", "/v1/qa/data/app/cfg", a.ClientToken, ""); status != 403 {
		t.Fatalf("old qa token after recreate: %d, want 403", status)
	}
	if status, _ := call(t, s, "GET", "/v1/qa/data/app/cfg", s.Token, ""); status != 404 {
		t.Fatalf("old secret after recreate: %d, want 404", status)
	}
}

// kill -9 during a write load: every acknowledged version is readable after
// a restart, and the audit log still verifies.
func TestKillDuringWrites(t *testing.T) {
	s := startDev(t, "")
	c := vaultClient(t, s, s.Token)
	var mu sync.Mutex
	acked := map[string]string{}
	var n atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			kv := c.KVv2("prod")
			for i := 0; ctx.Err() == nil; i++ {
				path := fmt.Sprintf("load/w%d/k%d", w, i%5)
				val := fmt.Sprintf("w%d-%d", w, i)
				if _, err := kv.Put(ctx, path, map[string]any{"v": val}); err != nil {
					return
				}
				mu.Lock()
				acked[path] = val
				mu.Unlock()
				n.Add(1)
			}
		}(w)
	}
	deadline := time.Now().Add(30 * time.Second)
	for n.Load() < 300 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	s.Kill()
	cancel()
	wg.Wait()
	if n.Load() < 300 {
		t.Fatalf("only %d writes acknowledged before the kill", n.Load())
	}
	s2 := startDev(t, s.Data)
	kv := vaultClient(t, s2, s.Token).KVv2("prod")
	mu.Lock()
	defer mu.Unlock()
	for path, want := range acked {
		got, err := kv.Get(context.Background(), path)
		if err != nil {
			t.Fatalf("after restart, %s: %v", path, err)
		}
		// A write in flight at the kill may have landed after the last
		// acknowledged one: the value is that or a later one of the writer.
		if got.Data["v"] != want && !laterValue(want, got.Data["v"]) {
			t.Fatalf("after restart, %s = %v, want %s or later", path, got.Data["v"], want)
		}
	}
	s2.Stop()
	out, errOut, code := s2.ward("", "", "audit", "verify", filepath.Join(s.Data, "audit.log"))
	if code != 0 {
		t.Fatalf("audit verify after kill -9: exit %d\n%s%s", code, out, errOut)
	}
}

// laterValue reports whether got is a value written by the same writer
// after want ("w3-17" then "w3-22").
func laterValue(want string, got any) bool {
	g, ok := got.(string)
	if !ok {
		return false
	}
	var ww, wi, gw, gi int
	fmt.Sscanf(want, "w%d-%d", &ww, &wi)
	fmt.Sscanf(g, "w%d-%d", &gw, &gi)
	return ww == gw && gi > wi
}

var _ = vaultapi.ErrSecretNotFound
var _ = bytes.MinRead
