package server

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

// auth/token/revoke-orphan revokes a token alone: its children become
// orphans and keep working. Root only, as Vault's sudo path; audited.
func TestTokenRevokeOrphan(t *testing.T) {
	s := newTestServer(t)
	s.do("POST", "/v1/staging/data/app/db", s.root, `{"data":{"password":"x"}}`)
	parent := s.token("staging", "rules:\n  - path: staging/app/**\n    capabilities: [read, create, update]\n  - path: auth/token/create\n    capabilities: [create]\n")
	st, body := s.do("POST", "/v1/auth/token/create", parent, `{"policies":["pstaging"]}`)
	if st != 200 {
		t.Fatalf("child: %d %v", st, body)
	}
	child := body["auth"].(map[string]any)["client_token"].(string)

	// Bad input changes nothing.
	for _, bad := range []string{``, `{}`, `{"token":42}`, `{"token":"ward_not-a-token"}`, `{"token":`} {
		if st, _ := s.do("POST", "/v1/auth/token/revoke-orphan", s.root, bad); st != 400 {
			t.Errorf("revoke-orphan %s: %d, want 400", bad, st)
		}
	}
	if st, _ := s.do("POST", "/v1/auth/token/revoke-orphan", parent, mustJSON(map[string]any{"token": child})); st != 403 {
		t.Errorf("revoke-orphan by a non-root token: %d, want 403", st)
	}
	if st, _ := s.do("GET", "/v1/staging/data/app/db", child, ""); st != 200 {
		t.Fatalf("child before: %d", st)
	}

	if st, body := s.do("POST", "/v1/auth/token/revoke-orphan", s.root, mustJSON(map[string]any{"token": parent})); st != 204 {
		t.Fatalf("revoke-orphan: %d %v", st, body)
	}
	if st, _ := s.do("GET", "/v1/staging/data/app/db", parent, ""); st != 403 {
		t.Errorf("the revoked parent still reads: %d", st)
	}
	if st, _ := s.do("GET", "/v1/staging/data/app/db", child, ""); st != 200 {
		t.Fatalf("the orphaned child no longer reads: %d", st)
	}
	st, body = s.do("GET", "/v1/auth/token/lookup-self", child, "")
	if st != 200 {
		t.Fatalf("lookup-self: %d %v", st, body)
	}
	if data, _ := body["data"].(map[string]any); data["orphan"] != true {
		t.Errorf("the child is not an orphan: %v", data)
	}
	if st, _ := s.do("POST", "/v1/auth/token/revoke-orphan", s.root, mustJSON(map[string]any{"token": parent})); st != 400 {
		t.Errorf("revoke-orphan of a gone token: %d, want 400", st)
	}

	raw, err := os.ReadFile(s.audit)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), parent) || strings.Contains(string(raw), child) {
		t.Fatal("a token is in the audit log in the clear")
	}
	var found []string
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatal(err)
		}
		if e["path"] == "auth/token/revoke-orphan" {
			found = append(found, fmt.Sprint(e["type"], " ", e["status"]))
		}
	}
	// 5 bad bodies, 1 denied, 1 done, 1 gone: a request and a response each.
	if len(found) != 16 || !strings.Contains(strings.Join(found, ","), "response 204") {
		t.Fatalf("audit entries of revoke-orphan: %v", found)
	}
}
