package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardhq/ward/client"
)

// One request fetches many secrets; each is checked and audited on its own,
// and a missing or denied one is named, not an opaque failure.
func TestBatchedFetch(t *testing.T) {
	s := startDev(t, "")
	s.mustWard(`{"password":"db-pw","host":"db"}`, "kv", "put", "--env", "staging", "payments/db")
	s.mustWard(`{"secret_key":"sk-1"}`, "kv", "put", "--env", "staging", "payments/stripe")
	s.mustWard(`{"x":"y"}`, "kv", "put", "--env", "staging", "payments/gone")
	s.mustWard("", "kv", "delete", "--env", "staging", "payments/gone")
	s.mustWard(`{"x":"admin"}`, "kv", "put", "--env", "staging", "admin/root")
	s.mustWard("rules:\n  - path: staging/payments/*\n    capabilities: [read]\n", "policy", "write", "api", "-f", "-")
	tok, _, _ := s.ward(s.Token, "", "token", "create", "--env", "staging", "--policy", "api", "--format", "json")
	var tokenOut struct {
		ClientToken string `json:"client_token"`
	}
	decodeJSON(t, tok, &tokenOut)
	c, err := client.New(client.Config{Address: s.Addr, Token: tokenOut.ClientToken})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Fetch(context.Background(), "staging", []string{"payments/db", "payments/stripe", "payments/missing", "payments/gone", "admin/root", "a/../b"})
	if err != nil {
		t.Fatalf("fetch: %v", err)
	}
	want := []string{"ok", "ok", "not_found", "deleted", "denied", "error"}
	if len(res) != len(want) {
		t.Fatalf("%d results, want %d", len(res), len(want))
	}
	for i, w := range want {
		if res[i].Status != w {
			t.Errorf("%s: status %q (%s), want %q", res[i].Path, res[i].Status, res[i].Error, w)
		}
	}
	if !strings.Contains(string(res[0].Data), "db-pw") || res[0].Metadata.Version != 1 {
		t.Errorf("payments/db: %s %+v", res[0].Data, res[0].Metadata)
	}
	if res[4].Data != nil {
		t.Errorf("a denied secret came back with data")
	}
	// Another environment is out of reach altogether.
	if _, err := c.Fetch(context.Background(), "prod", []string{"payments/db"}); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("fetch from prod with a staging token: %v", err)
	}
	// The audit log has a read entry per secret.
	s.Stop()
	b, err := os.ReadFile(filepath.Join(s.Data, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"staging/data/payments/db", "staging/data/payments/stripe", "staging/data/admin/root"} {
		if !strings.Contains(string(b), `"path":"`+p+`"`) {
			t.Errorf("no audit entry for %s", p)
		}
	}
	if strings.Contains(string(b), "db-pw") {
		t.Error("a fetched value is in the audit log in the clear")
	}
}
