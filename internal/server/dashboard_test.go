package server

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/auth/totp"
)

func TestInventoryEndpoint(t *testing.T) {
	s := newTestServer(t)
	for _, p := range []string{"payments/db", "payments/stripe", "api/key", "worker/queue"} {
		for _, env := range []string{"staging", "prod"} {
			if st, out := s.do("POST", "/v1/"+env+"/data/"+p, s.root, `{"data":{"v":"CANARY-value"}}`); st != 200 {
				t.Fatalf("write %s/%s: %d %v", env, p, st, out)
			}
		}
	}
	if st, out := s.do("POST", "/v1/staging/metadata/payments/db", s.root, `{"custom_metadata":{"owner":"team-payments","rotate_every":"30d"}}`); st != 204 {
		t.Fatalf("metadata: %d %v", st, out)
	}
	s.do("GET", "/v1/staging/data/payments/db", s.root, "")
	// list on payments/ and read on api/key only.
	tok := s.token("staging", "rules:\n  - path: staging/payments/\n    capabilities: [list]\n  - path: staging/api/key\n    capabilities: [read]\n")

	st, out := s.do("GET", "/v1/sys/ward/inventory/staging?sort=path", tok, "")
	if st != 200 {
		t.Fatalf("inventory: %d %v", st, out)
	}
	data := out["data"].(map[string]any)
	page := data["page"].(map[string]any)
	var paths []string
	for _, r := range page["rows"].([]any) {
		row := r.(map[string]any)
		paths = append(paths, row["path"].(string))
		if row["path"] == "payments/db" {
			if row["owner"] != "team-payments" || row["rotate_every"] != "30d" || row["next_rotation"] == nil {
				t.Errorf("payments/db row %v", row)
			}
			if _, ok := row["last_read"]; ok {
				t.Errorf("payments/db: a token without read on it is told its last read: %v", row)
			}
		}
	}
	if got := strings.Join(paths, ","); got != "api/key,payments/db,payments/stripe" {
		t.Errorf("inventory lists %s; want the secrets the token may list or read", got)
	}
	if sum := data["summary"].(map[string]any); sum["secrets"] != float64(3) {
		t.Errorf("summary %v", sum)
	}
	if strings.Contains(fmt.Sprint(out), "CANARY") {
		t.Error("the inventory carries a secret value")
	}

	// root sees last reads; the answer is paged and searched.
	_, out = s.do("GET", "/v1/sys/ward/inventory/staging?q=PAYMENTS/D&per_page=1", s.root, "")
	page = out["data"].(map[string]any)["page"].(map[string]any)
	rows := page["rows"].([]any)
	if len(rows) != 1 || rows[0].(map[string]any)["last_reader"] != "root" || page["total"] != float64(1) {
		t.Errorf("root's search for payments/d: %v", page)
	}

	for _, c := range []struct {
		query string
		want  int
	}{
		{"prod", 403},                    // another environment
		{"staging?sort=secret", 400},     // unknown sort
		{"staging?status=late", 400},     // unknown status
		{"staging?page=0", 400},          // pages start at 1
		{"staging?per_page=100000", 400}, // too many
		{"staging?order=sideways", 400},  // neither asc nor desc
		{"staging?within=" + url.QueryEscape("-1d"), 400},
		{"nowhere", 404},
	} {
		if st, out := s.do("GET", "/v1/sys/ward/inventory/"+c.query, tok, ""); st != c.want {
			t.Errorf("inventory/%s: %d %v; want %d", c.query, st, out, c.want)
		}
	}
}

func TestAuditEndpoint(t *testing.T) {
	s := newTestServer(t)
	s.do("POST", "/v1/staging/data/app/db", s.root, `{"data":{"v":"x"}}`)
	s.do("POST", "/v1/prod/data/app/db", s.root, `{"data":{"v":"x"}}`)
	staging := s.token("staging", "rules:\n  - path: sys/ward/audit\n    capabilities: [read]\n")
	none := s.token("dev", "rules:\n  - path: dev/*\n    capabilities: [read]\n")

	st, out := s.do("GET", "/v1/sys/ward/audit?path=prod/", staging, "")
	if st != 200 {
		t.Fatalf("audit: %d %v", st, out)
	}
	if recs := out["data"].(map[string]any)["records"].([]any); len(recs) != 0 {
		t.Errorf("a staging token reads prod's audit entries: %v", recs)
	}
	_, out = s.do("GET", "/v1/sys/ward/audit?path=staging/data/app/db", staging, "")
	recs := out["data"].(map[string]any)["records"].([]any)
	if len(recs) != 1 || recs[0].(map[string]any)["operation"] != "create" || recs[0].(map[string]any)["identity"] != "root" {
		t.Errorf("staging's write of app/db: %v", recs)
	}
	head := out["data"].(map[string]any)["head"].(float64)
	s.do("GET", "/v1/staging/metadata/app/db", s.root, "")
	_, out = s.do("GET", fmt.Sprintf("/v1/sys/ward/audit?after=%d", int(head)), staging, "")
	recs = out["data"].(map[string]any)["records"].([]any)
	if len(recs) != 1 || recs[0].(map[string]any)["path"] != "staging/metadata/app/db" {
		t.Errorf("records after %d: %v", int(head), recs)
	}

	for _, c := range []struct {
		token, query string
		want         int
	}{
		{staging, "env=prod", 403},
		{none, "", 403},
		{staging, "since=yesterday", 400},
		{staging, "limit=0", 400},
		{staging, "limit=100000", 400},
		{staging, "after=-1", 400},
		{s.root, "env=prod&path=prod/data/", 200},
		{staging, "type=request", 400},
		{staging, "type=event", 200},
	} {
		if st, out := s.do("GET", "/v1/sys/ward/audit?"+c.query, c.token, ""); st != c.want {
			t.Errorf("audit?%s: %d %v; want %d", c.query, st, out, c.want)
		}
	}
}

// TestAuditEvents: type=event answers the environment's rotation events,
// and a drill's answer names the drill it ran.
func TestAuditEvents(t *testing.T) {
	s := newTestServer(t)
	for _, env := range []string{"staging", "prod"} {
		s.do("POST", "/v1/"+env+"/data/app/db", s.root, `{"data":{"v":"x"}}`)
		if st, out := s.do("POST", "/v1/sys/ward/retire/"+env+"/app/db", s.root, `{"reason":"replaced"}`); st != 200 {
			t.Fatalf("retire in %s: %d %v", env, st, out)
		}
	}
	staging := s.token("staging", "rules:\n  - path: sys/ward/audit\n    capabilities: [read]\n")
	_, out := s.do("GET", "/v1/sys/ward/audit?type=event", staging, "")
	recs := out["data"].(map[string]any)["records"].([]any)
	if len(recs) != 1 || recs[0].(map[string]any)["operation"] != "rotation-retired" || recs[0].(map[string]any)["path"] != "staging/app/db" {
		t.Errorf("staging's events: %v", recs)
	}
	_, out = s.do("POST", "/v1/sys/ward/drill/staging", s.root, `{"prefix":"app","dry_run":true}`)
	id, _ := out["data"].(map[string]any)["id"].(string)
	_, out = s.do("GET", "/v1/sys/ward/audit?path=sys/ward/drill/staging", staging, "")
	recs = out["data"].(map[string]any)["records"].([]any)
	if id == "" || len(recs) != 1 {
		t.Fatalf("the drill's answer: id %q, records %v", id, recs)
	}
	meta, _ := recs[0].(map[string]any)["meta"].(map[string]any)
	if meta["drill_id"] != id || meta["drill_prefix"] != "app" || meta["drill_dry_run"] != "true" {
		t.Errorf("the drill's answer's meta: %v, want drill %s of app, dry", meta, id)
	}
}

func TestMFAVerifyEndpoint(t *testing.T) {
	s, clk := newMFAServer(t, nil)
	tok, secret := mfaEnrolledUser(t, s, clk, "rules:\n  - path: dev/*\n    capabilities: [read]\n")
	clk.advance(totp.Period)
	code := totpCode(t, secret, clk.now())
	s.mfaMust(403, "POST", "/v1/sys/ward/mfa/totp/verify", tok, "")
	n, _ := strconv.Atoi(code)
	wrong := fmt.Sprintf("%06d", (n+1)%1000000)
	s.mfaMust(403, "POST", "/v1/sys/ward/mfa/totp/verify", tok, "", MFAHeader, wrong)
	out := s.mfaMust(200, "POST", "/v1/sys/ward/mfa/totp/verify", tok, "", MFAHeader, code)
	if out["data"].(map[string]any)["identity"] != "userpass/alice" {
		t.Errorf("verify: %v", out)
	}
	s.mfaMust(403, "POST", "/v1/sys/ward/mfa/totp/verify", tok, "", MFAHeader, code) // spent
	s.mfaMust(400, "POST", "/v1/sys/ward/mfa/totp/verify", s.root, "", MFAHeader, code)
}
