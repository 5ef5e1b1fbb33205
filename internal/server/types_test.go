package server

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/wardhq/ward/internal/vault"
)

const pgOK = `{"host":"db.internal","port":5432,"user":"payments","password":"pw-1","database":"payments","sslmode":"require"}`

// version returns a secret's current version, 0 when it has none.
func (s *testServer) version(env, p string) int {
	s.t.Helper()
	st, body := s.do("GET", "/v1/"+env+"/metadata/"+p, s.root, "")
	if st == 404 {
		return 0
	}
	n, _ := body["data"].(map[string]any)["current_version"].(float64)
	return int(n)
}

func errorsOf(body map[string]any) string {
	b, _ := body["errors"].([]any)
	var out []string
	for _, e := range b {
		out = append(out, e.(string))
	}
	return strings.Join(out, "\n")
}

func TestTypeAPI(t *testing.T) {
	s := newTestServer(t)
	schema := `{"type":"object","required":["token"],"properties":{"token":{"type":"string","minLength":20},"region":{"type":"string","x-ward-sensitive":false}}}`
	st, body := s.do("PUT", "/v1/sys/ward/types/svc-token", s.root, mustJSON(map[string]any{"schema": schema}))
	if st != 200 {
		t.Fatalf("write: %d %v", st, body)
	}
	st, body = s.do("GET", "/v1/sys/ward/types/svc-token", s.root, "")
	data, _ := body["data"].(map[string]any)
	if st != 200 || data["schema"] != schema || mustJSON(data["non_sensitive"]) != `["region"]` || data["builtin"] != false {
		t.Fatalf("read: %d %v", st, body)
	}
	st, body = s.do("GET", "/v1/sys/ward/types/postgres", s.root, "")
	if data, _ := body["data"].(map[string]any); st != 200 || data["builtin"] != true {
		t.Fatalf("read built-in: %d %v", st, body)
	}
	st, body = s.do("LIST", "/v1/sys/ward/types", s.root, "")
	if keys := mustJSON(body["data"].(map[string]any)["keys"]); st != 200 || !strings.Contains(keys, `"svc-token"`) || !strings.Contains(keys, `"postgres"`) {
		t.Fatalf("list: %d %v", st, body)
	}
	tests := []struct {
		name, method, path, body string
		status                   int
		msg                      string
	}{
		{"not json", "PUT", "svc-bad", mustJSON(map[string]any{"schema": "{\n\"type\": \"object\",\n\"properties\": {,}}"}), 400, `type "svc-bad", line 3: not JSON`},
		{"does not compile", "PUT", "svc-bad", mustJSON(map[string]any{"schema": "{\n\"properties\": {\"a\": {\"minLength\": \"x\"}}}"}), 400, `type "svc-bad", line 2 (at /properties/a/minLength): not a valid schema`},
		{"built-in", "PUT", "postgres", mustJSON(map[string]any{"schema": schema}), 400, `"postgres" ships with ward and cannot be replaced`},
		{"bad name", "PUT", "Bad", mustJSON(map[string]any{"schema": schema}), 400, `invalid type name "Bad"`},
		{"no schema", "PUT", "svc-bad", `{}`, 400, `missing "schema"`},
		{"unknown field", "PUT", "svc-bad", `{"schema": "{}", "dryrun": true}`, 400, `unknown field "dryrun"`},
		{"unknown type", "GET", "svc-tokne", "", 404, `type not found: "svc-tokne"; did you mean "svc-token"?`},
		{"delete built-in", "DELETE", "tls", "", 400, `"tls" ships with ward and cannot be deleted`},
	}
	for _, tt := range tests {
		st, body := s.do(tt.method, "/v1/sys/ward/types/"+tt.path, s.root, tt.body)
		if st != tt.status || !strings.Contains(errorsOf(body), tt.msg) {
			t.Errorf("%s: %d %q, want %d …%s…", tt.name, st, errorsOf(body), tt.status, tt.msg)
		}
	}
	if st, _ := s.do("GET", "/v1/sys/ward/types/svc-bad", s.root, ""); st != 404 {
		t.Errorf("a refused type was stored: %d", st)
	}
	// A policy decides who may read and write types.
	tok := s.token("dev", "rules:\n  - path: sys/ward/types/*\n    capabilities: [read]\n")
	if st, _ := s.do("GET", "/v1/sys/ward/types/svc-token", tok, ""); st != 200 {
		t.Errorf("read with read: %d", st)
	}
	if st, _ := s.do("PUT", "/v1/sys/ward/types/svc-token", tok, mustJSON(map[string]any{"schema": schema})); st != 403 {
		t.Errorf("write with read only: %d", st)
	}
}

// Every data write and patch of a typed secret is validated; a failure
// names env, path, field and rule, and writes nothing.
func TestTypedWrites(t *testing.T) {
	s := newTestServer(t)
	if st, b := s.do("POST", "/v1/prod/data/payments/db", s.root, `{"data":`+pgOK+`}`); st != 200 {
		t.Fatal(st, b)
	}
	if st, b := s.do("POST", "/v1/prod/metadata/payments/db", s.root, `{"custom_metadata":{"type":"postgres","owner":"payments"}}`); st != 204 {
		t.Fatal(st, b)
	}
	patch := []string{"Content-Type", "application/merge-patch+json"}
	tests := []struct {
		name, method, body, want string
	}{
		{"port too big", "POST", `{"data":{"host":"db","port":70000,"user":"u","password":"p","database":"d"}}`, `prod/payments/db: field "port": must be an integer between 1 and 65535`},
		{"missing password", "POST", `{"data":{"host":"db","port":5432,"user":"u","database":"d"}}`, `prod/payments/db: field "password": is required`},
		{"sslmode", "POST", `{"data":{"host":"db","port":5432,"user":"u","password":"p","database":"d","sslmode":"yes"}}`, `prod/payments/db: field "sslmode": must be one of "disable", "allow", "prefer", "require", "verify-ca", "verify-full"`},
		{"unknown field", "POST", `{"data":{"host":"db","port":5432,"user":"u","password":"p","database":"d","pass":"x"}}`, `prod/payments/db: field "pass": is not a field of type postgres`},
		{"patch breaks port", "PATCH", `{"data":{"port":"5432"}}`, `prod/payments/db: field "port": must be an integer between 1 and 65535`},
		{"patch removes user", "PATCH", `{"data":{"user":null}}`, `prod/payments/db: field "user": is required`},
	}
	for _, tt := range tests {
		var hdr []string
		if tt.method == "PATCH" {
			hdr = patch
		}
		st, body := s.do(tt.method, "/v1/prod/data/payments/db", s.root, tt.body, hdr...)
		if st != 400 || errorsOf(body) != tt.want {
			t.Errorf("%s: %d %q\nwant 400 %q", tt.name, st, errorsOf(body), tt.want)
		}
	}
	if v := s.version("prod", "payments/db"); v != 1 {
		t.Fatalf("refused writes changed the secret: version %d", v)
	}
	if st, b := s.do("PATCH", "/v1/prod/data/payments/db", s.root, `{"data":{"port":6432}}`, patch...); st != 200 {
		t.Fatalf("a conforming patch: %d %v", st, b)
	}
}

func TestTypeMetadata(t *testing.T) {
	s := newTestServer(t)
	s.do("POST", "/v1/prod/data/payments/db", s.root, `{"data":{"host":"db","port":99999,"user":"u","password":"p","database":"d"}}`)
	tests := []struct {
		name, body string
		status     int
		want       string
	}{
		{"unknown type", `{"custom_metadata":{"type":"postgress"}}`, 400, `prod/payments/db: metadata "type" names "postgress", which is not a type; did you mean "postgres"?; hint: ward type list`},
		{"value does not conform", `{"custom_metadata":{"type":"postgres"}}`, 400, `prod/payments/db: field "port": must be an integer between 1 and 65535; the current value does not conform to type postgres: fix it first (ward kv patch --env prod payments/db FIELD=@FILE) or name another type`},
		{"expires_at", `{"custom_metadata":{"expires_at":"next year"}}`, 400, `prod/payments/db: metadata "expires_at" must be an RFC 3339 time, like 2027-01-31T00:00:00Z`},
		{"rotate_every", `{"custom_metadata":{"rotate_every":"90 days"}}`, 400, `prod/payments/db: metadata "rotate_every" must be a duration like 90d, 2w or 36h`},
		{"fine", `{"custom_metadata":{"owner":"payments","rotate_every":"90d"}}`, 204, ""},
	}
	for _, tt := range tests {
		st, body := s.do("POST", "/v1/prod/metadata/payments/db", s.root, tt.body)
		if st != tt.status || errorsOf(body) != tt.want {
			t.Errorf("%s: %d %q\nwant %d %q", tt.name, st, errorsOf(body), tt.status, tt.want)
		}
	}
	// A type may be set on a secret with no value yet; its first write is checked.
	if st, b := s.do("POST", "/v1/prod/metadata/new/db", s.root, `{"custom_metadata":{"type":"postgres"}}`); st != 204 {
		t.Fatalf("type on a new secret: %d %v", st, b)
	}
	if st, b := s.do("POST", "/v1/prod/data/new/db", s.root, `{"data":{"host":"db"}}`); st != 400 || !strings.Contains(errorsOf(b), `prod/new/db: field "database": is required`) {
		t.Fatalf("first write of a typed secret: %d %v", st, b)
	}
}

// Replacing a type reports, dry run or not, every secret that would no
// longer conform; a dry run stores nothing.
func TestTypeReplaceDryRun(t *testing.T) {
	s := newTestServer(t)
	v1 := `{"type":"object","required":["token"],"properties":{"token":{"type":"string"}}}`
	v2 := `{"type":"object","required":["token"],"properties":{"token":{"type":"string","pattern":"^tok_"}}}`
	s.do("PUT", "/v1/sys/ward/types/svc-token", s.root, mustJSON(map[string]any{"schema": v1}))
	for _, env := range []string{"dev", "prod"} {
		s.do("POST", "/v1/"+env+"/metadata/api/key", s.root, `{"custom_metadata":{"type":"svc-token"}}`)
		s.do("POST", "/v1/"+env+"/data/api/key", s.root, `{"data":{"token":"legacy-DRYRUN-CANARY"}}`)
	}
	s.do("POST", "/v1/staging/metadata/api/key", s.root, `{"custom_metadata":{"type":"svc-token"}}`)
	s.do("POST", "/v1/staging/data/api/key", s.root, `{"data":{"token":"tok_fine"}}`)
	st, body := s.do("PUT", "/v1/sys/ward/types/svc-token", s.root, mustJSON(map[string]any{"schema": v2, "dry_run": true}))
	if st != 200 {
		t.Fatal(st, body)
	}
	got := mustJSON(body["data"].(map[string]any)["conflicts"])
	want := `[{"env":"dev","path":"api/key","problems":[{"field":"token","message":"must match the pattern ^tok_","rule":"pattern"}]},{"env":"prod","path":"api/key","problems":[{"field":"token","message":"must match the pattern ^tok_","rule":"pattern"}]}]`
	if got != want {
		t.Fatalf("conflicts:\n got %s\nwant %s", got, want)
	}
	_, body = s.do("GET", "/v1/sys/ward/types/svc-token", s.root, "")
	if body["data"].(map[string]any)["schema"] != v1 {
		t.Fatal("a dry run stored the new schema")
	}
	if strings.Contains(mustJSON(body), "CANARY") {
		t.Fatal("a value leaked")
	}
	// Deleting a type in use is refused, naming its secrets.
	st, body = s.do("DELETE", "/v1/sys/ward/types/svc-token", s.root, "")
	if st != 409 || !strings.Contains(errorsOf(body), `type "svc-token" is named by dev/api/key, prod/api/key, staging/api/key`) {
		t.Fatalf("delete in use: %d %v", st, body)
	}
}

func TestEnvRules(t *testing.T) {
	s := newTestServer(t)
	rules := `{"required_metadata":[["owner"],["type"],["recipients"],["expires_at","rotate_every"]]}`
	if st, b := s.do("POST", "/v1/sys/ward/envs/prod/rules", s.root, rules); st != 204 {
		t.Fatal(st, b)
	}
	st, body := s.do("GET", "/v1/sys/ward/envs/prod/rules", s.root, "")
	if st != 200 || mustJSON(body["data"].(map[string]any)["required_metadata"]) != `[["owner"],["type"],["recipients"],["expires_at","rotate_every"]]` {
		t.Fatalf("read rules: %d %v", st, body)
	}
	tests := []struct {
		name, method, path, body string
		status                   int
		want                     string
	}{
		{"data without metadata", "POST", "/v1/prod/data/payments/db", `{"data":` + pgOK + `}`, 400,
			`prod/payments/db: environment "prod" requires metadata owner, type, recipients, expires_at or rotate_every; add it with: ward kv metadata put --env prod payments/db owner=... type=... recipients=... expires_at=...`},
		{"metadata missing one", "POST", "/v1/prod/metadata/payments/db", `{"custom_metadata":{"owner":"payments","type":"postgres","recipients":"api,indexer"}}`, 400,
			`prod/payments/db: environment "prod" requires metadata expires_at or rotate_every; add it with: ward kv metadata put --env prod payments/db expires_at=...`},
		{"metadata complete", "POST", "/v1/prod/metadata/payments/db", `{"custom_metadata":{"owner":"payments","type":"postgres","recipients":"api,indexer","rotate_every":"90d"}}`, 204, ""},
		{"data now", "POST", "/v1/prod/data/payments/db", `{"data":` + pgOK + `}`, 200, ""},
		{"other env unaffected", "POST", "/v1/dev/data/payments/db", `{"data":{"k":"v"}}`, 200, ""},
		{"rules misspelt", "POST", "/v1/sys/ward/envs/prod/rules", `{"required_metdata":[]}`, 400, `invalid request: unknown field "required_metdata"`},
		{"empty group", "POST", "/v1/sys/ward/envs/prod/rules", `{"required_metadata":[[]]}`, 400, `invalid environment rules: required_metadata group 1 is empty; list at least one key`},
		{"no such env", "POST", "/v1/sys/ward/envs/nope/rules", rules, 404, `environment not found: "nope"`},
	}
	for _, tt := range tests {
		st, body := s.do(tt.method, tt.path, s.root, tt.body)
		if st != tt.status || errorsOf(body) != tt.want {
			t.Errorf("%s: %d %q\nwant %d %q", tt.name, st, errorsOf(body), tt.status, tt.want)
		}
	}
	if v := s.version("prod", "payments/db"); v != 1 {
		t.Errorf("version %d, want 1", v)
	}
	// Clearing the rules lifts them.
	s.do("POST", "/v1/sys/ward/envs/prod/rules", s.root, `{"required_metadata":[]}`)
	if st, b := s.do("POST", "/v1/prod/data/free/x", s.root, `{"data":{"k":"v"}}`); st != 200 {
		t.Errorf("after clearing: %d %v", st, b)
	}
}

// syncBuffer is a log destination the server writes from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// A canary that breaks a pattern appears in no response, no log line and no
// audit entry.
func TestTypeCanary(t *testing.T) {
	logs := &syncBuffer{}
	s := startServer(t, vault.Config{}, Config{Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})

	const canary = "CANARY-d41d8cd98f00b204"
	var responses []string
	record := func(st int, body map[string]any) { responses = append(responses, mustJSON(body)) }
	record(s.do("POST", "/v1/prod/metadata/aws/ci", s.root, `{"custom_metadata":{"type":"aws-access-key"}}`))
	st, body := s.do("POST", "/v1/prod/data/aws/ci", s.root, `{"data":{"access_key_id":"`+canary+`","secret_access_key":"`+canary+`"}}`)
	record(st, body)
	if st != 400 || !strings.Contains(errorsOf(body), `prod/aws/ci: field "access_key_id": must match the pattern ^(AKIA|ASIA)[A-Z2-7]{16}$`) {
		t.Fatalf("canary write: %d %v", st, body)
	}
	record(s.do("PUT", "/v1/sys/ward/types/canary", s.root, mustJSON(map[string]any{"schema": `{"properties":{"k":{"pattern":"^x"}}}`})))
	record(s.do("POST", "/v1/prod/metadata/c/1", s.root, `{"custom_metadata":{"type":"canary"}}`))
	record(s.do("POST", "/v1/prod/data/c/1", s.root, `{"data":{"k":"`+canary+`"}}`))
	record(s.do("PATCH", "/v1/prod/data/c/1", s.root, `{"data":{"k":"`+canary+`"}}`, "Content-Type", "application/merge-patch+json"))
	record(s.do("PUT", "/v1/sys/ward/types/canary", s.root, mustJSON(map[string]any{"schema": `{"properties":{"k":{"pattern":"^y"}}}`, "dry_run": true})))
	raw, err := os.ReadFile(s.audit)
	if err != nil {
		t.Fatal(err)
	}
	for what, text := range map[string]string{"a response": strings.Join(responses, "\n"), "a log line": logs.String(), "the audit log": string(raw)} {
		if strings.Contains(text, canary) || strings.Contains(text, "CANARY") {
			t.Errorf("the canary is in %s", what)
		}
	}
	if !strings.Contains(string(raw), `must match the pattern`) {
		t.Error("the audit log does not record the refusal's reason")
	}
}

func TestUsageAndExpiring(t *testing.T) {
	s := newTestServer(t)
	s.do("POST", "/v1/prod/data/payments/db", s.root, `{"data":`+pgOK+`}`)
	s.do("POST", "/v1/prod/data/payments/db", s.root, `{"data":`+pgOK+`}`)
	s.do("POST", "/v1/prod/metadata/payments/db", s.root, `{"custom_metadata":{"expires_at":"2000-01-01T00:00:00Z","owner":"payments"}}`)
	s.do("POST", "/v1/prod/data/other/x", s.root, `{"data":{"k":"v"}}`)
	s.do("POST", "/v1/prod/metadata/other/x", s.root, `{"custom_metadata":{"rotate_every":"1d"}}`)
	tok := s.token("prod", "rules:\n  - path: prod/payments/*\n    capabilities: [read, list]\n")
	if st, _ := s.do("GET", "/v1/prod/data/payments/db?version=1", tok, ""); st != 200 {
		t.Fatal(st)
	}
	if st, _ := s.do("POST", "/v1/sys/ward/fetch/prod", s.root, `{"paths":["payments/db"]}`); st != 200 {
		t.Fatal(st)
	}
	st, body := s.do("GET", "/v1/sys/ward/usage/prod/payments/db", tok, "")
	if st != 200 {
		t.Fatalf("usage: %d %v", st, body)
	}
	data := body["data"].(map[string]any)
	readers := data["readers"].(map[string]any)
	if data["last_reader"] != "root" || len(readers) != 2 || readers["root"].(map[string]any)["version"] != 2.0 || readers["token"].(map[string]any)["version"] != 1.0 {
		t.Fatalf("usage: %v", data)
	}
	// The record is sealed with prod's key, like the secret.
	var usageKeys []string
	var walk func(prefix string)
	walk = func(prefix string) {
		names, _ := s.raw.List(context.Background(), prefix)
		for _, n := range names {
			if strings.HasSuffix(n, "/") {
				walk(prefix + n)
			} else if strings.Contains(prefix+n, "/usage/") {
				usageKeys = append(usageKeys, prefix+n)
			}
		}
	}
	walk("env/")
	if len(usageKeys) == 0 {
		t.Fatal("no usage record under env/")
	}
	for _, k := range usageKeys {
		e, err := s.raw.Get(context.Background(), k)
		if err != nil || strings.Contains(string(e.Value), "last_reader") || strings.Contains(string(e.Value), "root") {
			t.Fatalf("usage record %s is not sealed: %v", k, err)
		}
	}
	// Destroying a secret forgets its reads: a new secret at the path starts unread.
	s.do("DELETE", "/v1/prod/metadata/payments/db", s.root, "")
	s.do("POST", "/v1/prod/data/payments/db", s.root, `{"data":`+pgOK+`}`)
	if _, body := s.do("GET", "/v1/sys/ward/usage/prod/payments/db", s.root, ""); body["data"].(map[string]any)["last_reader"] != "" {
		t.Errorf("usage of a recreated secret: %v", body)
	}
	s.do("GET", "/v1/prod/data/payments/db", s.root, "")
	s.do("POST", "/v1/prod/metadata/payments/db", s.root, `{"custom_metadata":{"expires_at":"2000-01-01T00:00:00Z","owner":"payments"}}`)
	if st, _ := s.do("GET", "/v1/sys/ward/usage/prod/other/x", tok, ""); st != 403 {
		t.Errorf("usage of a secret the token may not read: %d", st)
	}
	if st, _ := s.do("GET", "/v1/sys/ward/usage/prod/no/such", s.root, ""); st != 404 {
		t.Errorf("usage of no secret: %d", st)
	}
	st, body = s.do("GET", "/v1/sys/ward/expiring?within=14d", tok, "")
	list := mustJSON(body["data"].(map[string]any)["secrets"])
	if st != 200 || !strings.Contains(list, `"path":"payments/db"`) || strings.Contains(list, "other/x") || !strings.Contains(list, `"overdue":true`) {
		t.Fatalf("expiring for a payments token: %d %s", st, list)
	}
	_, body = s.do("GET", "/v1/sys/ward/expiring?within=14d", s.root, "")
	if list := mustJSON(body["data"].(map[string]any)["secrets"]); !strings.Contains(list, `"path":"other/x"`) {
		t.Fatalf("expiring for root: %s", list)
	}
	if st, body := s.do("GET", "/v1/sys/ward/expiring?within=soon", s.root, ""); st != 400 || !strings.Contains(errorsOf(body), "within: invalid duration") {
		t.Errorf("bad within: %d %v", st, body)
	}
	staging := s.token("staging", "rules:\n  - path: \"**\"\n    capabilities: [read, list]\n")
	if _, body := s.do("GET", "/v1/sys/ward/expiring", staging, ""); mustJSON(body["data"].(map[string]any)["secrets"]) != "[]" {
		t.Errorf("a staging token sees prod's secrets: %v", body)
	}
}
