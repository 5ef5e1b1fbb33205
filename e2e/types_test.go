package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// secretVersion is the current version of a secret, 0 when it has none.
func (s *devServer) secretVersion(env, path string) int {
	s.t.Helper()
	out, _, code := s.ward(s.Token, "", "kv", "history", "--env", env, "--format", "json", path)
	if code != 0 {
		return 0
	}
	var md struct {
		CurrentVersion int `json:"current_version"`
	}
	decodeJSON(s.t, out, &md)
	return md.CurrentVersion
}

// A Go service's and a Rust service's secrets, typed and held to prod's
// required metadata, through the real binary: every schema rule, every
// metadata rule and the argv rule refuse with the expected message and
// change nothing.
func TestTypedSecrets(t *testing.T) {
	s := startDev(t, "")
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// The Rust indexer's search key has a type of its own.
	schema := file("search-key.schema.json", `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "required": ["key", "index"],
  "properties": {
    "key":   {"type": "string", "pattern": "^sk_[a-f0-9]{32}$"},
    "index": {"type": "string", "minLength": 1, "x-ward-sensitive": false}
  },
  "additionalProperties": false
}
`)
	out := s.mustWard("", "type", "write", "search-key", "-f", schema)
	if !strings.Contains(out, "type search-key written") {
		t.Fatalf("type write: %s", out)
	}
	if out := s.mustWard("", "type", "list"); !strings.Contains(out, "search-key") || !strings.Contains(out, "postgres") {
		t.Fatalf("type list:\n%s", out)
	}
	bad := file("bad.schema.json", "{\n  \"type\": \"object\",\n  \"properties\": {\"port\": {\"minimum\": \"one\"}}\n}\n")
	if _, errOut, code := s.ward(s.Token, "", "type", "write", "broken", "-f", bad); code == 0 || !strings.Contains(errOut, `type "broken", line 3 (at /properties/port/minimum): not a valid schema`) {
		t.Fatalf("a schema that does not compile: exit %d\n%s", code, errOut)
	}

	s.mustWard("", "env", "rules", "set", "prod", "--require", "owner", "--require", "type", "--require", "recipients", "--require", "expires_at,rotate_every")
	if out := s.mustWard("", "env", "rules", "show", "prod"); !strings.Contains(out, "requires metadata owner, type, recipients, expires_at or rotate_every") {
		t.Fatalf("rules show: %s", out)
	}

	// Required metadata, each rule.
	metaTests := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"data before metadata", pgJSON, []string{"kv", "put", "--env", "prod", "payments/db"},
			`prod/payments/db: environment "prod" requires metadata owner, type, recipients, expires_at or rotate_every; add it with: ward kv metadata put --env prod payments/db owner=... type=... recipients=... expires_at=...`},
		{"no owner", "", []string{"kv", "metadata", "put", "--env", "prod", "payments/db", "type=postgres", "recipients=api", "rotate_every=90d"},
			`prod/payments/db: environment "prod" requires metadata owner; add it with: ward kv metadata put --env prod payments/db owner=...`},
		{"no type", "", []string{"kv", "metadata", "put", "--env", "prod", "payments/db", "owner=payments", "recipients=api", "rotate_every=90d"},
			`prod/payments/db: environment "prod" requires metadata type; add it with: ward kv metadata put --env prod payments/db type=...`},
		{"no recipients", "", []string{"kv", "metadata", "put", "--env", "prod", "payments/db", "owner=payments", "type=postgres", "expires_at=2030-01-01T00:00:00Z"},
			`prod/payments/db: environment "prod" requires metadata recipients; add it with: ward kv metadata put --env prod payments/db recipients=...`},
		{"no expiry", "", []string{"kv", "metadata", "put", "--env", "prod", "payments/db", "owner=payments", "type=postgres", "recipients=api"},
			`requires metadata expires_at or rotate_every`},
		{"bad rotate_every", "", []string{"kv", "metadata", "put", "--env", "prod", "payments/db", "owner=payments", "type=postgres", "recipients=api", "rotate_every=quarterly"},
			`prod/payments/db: metadata "rotate_every" must be a duration like 90d, 2w or 36h`},
		{"bad expires_at", "", []string{"kv", "metadata", "put", "--env", "prod", "payments/db", "owner=payments", "type=postgres", "recipients=api", "expires_at=2027-01-31"},
			`prod/payments/db: metadata "expires_at" must be an RFC 3339 time, like 2027-01-31T00:00:00Z`},
		{"unknown type", "", []string{"kv", "metadata", "put", "--env", "prod", "payments/db", "owner=payments", "type=postgress", "recipients=api", "rotate_every=90d"},
			`prod/payments/db: metadata "type" names "postgress", which is not a type; did you mean "postgres"?`},
	}
	for _, tt := range metaTests {
		_, errOut, code := s.ward(s.Token, tt.stdin, tt.args...)
		if code == 0 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%s: exit %d\n%s\nwant …%s…", tt.name, code, errOut, tt.want)
		}
	}
	if v := s.secretVersion("prod", "payments/db"); v != 0 {
		t.Fatalf("refused writes made version %d", v)
	}

	// The Go API's database, typed postgres.
	s.mustWard("", "kv", "metadata", "put", "--env", "prod", "payments/db", "owner=payments", "type=postgres", "recipients=api,indexer", "rotate_every=90d")
	pw := file("db-password", "pw-e2e-1\n")
	out = s.mustWard("", "kv", "put", "--env", "prod", "payments/db",
		"host=db.internal", "port=5432", "user=payments", "database=payments", "sslmode=verify-full", "password=@"+pw)
	if !strings.Contains(out, "version 1 written") {
		t.Fatalf("typed put: %s", out)
	}
	if got := s.mustWard("", "kv", "get", "--env", "prod", "--field", "password", "payments/db"); got != "pw-e2e-1\n" {
		t.Fatalf("password read back as %q", got)
	}
	if got := s.mustWard("", "kv", "get", "--env", "prod", "--field", "port", "payments/db"); got != "5432\n" {
		t.Fatalf("port read back as %q (want a number)", got)
	}

	// The Rust indexer's search key.
	s.mustWard("", "kv", "metadata", "put", "--env", "prod", "indexer/search", "owner=search", "type=search-key", "recipients=indexer", "expires_at="+time.Now().Add(72*time.Hour).UTC().Format(time.RFC3339))
	s.mustWard("sk_0123456789abcdef0123456789abcdef\n", "kv", "put", "--env", "prod", "indexer/search", "index=products", "key=-")

	// The Rust indexer's upstream API token, typed api-token.
	s.mustWard("", "kv", "metadata", "put", "--env", "prod", "indexer/upstream", "owner=search", "type=api-token", "recipients=indexer", "rotate_every=30d")
	tokFile := file("upstream-token", "tok_live_0123456789abcdef\n")
	s.mustWard("", "kv", "put", "--env", "prod", "indexer/upstream", "token=@"+tokFile, "header=Authorization")
	shortTok := file("short-token", "tok_short\n")

	// Each schema rule, and the argv rule; nothing changes.
	const canary = "CANARY-e2e-5d41402abc4b2a76"
	keyFile := file("key", canary)
	ruleTests := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"port range", "", []string{"kv", "patch", "--env", "prod", "payments/db", "port=70000"}, `prod/payments/db: field "port": must be an integer between 1 and 65535`},
		{"port type", "", []string{"kv", "patch", "--env", "prod", "payments/db", "port=fifty"}, `prod/payments/db: field "port": must be an integer between 1 and 65535`},
		{"sslmode enum", "", []string{"kv", "patch", "--env", "prod", "payments/db", "sslmode=on"}, `prod/payments/db: field "sslmode": must be one of "disable", "allow", "prefer", "require", "verify-ca", "verify-full"`},
		{"host pattern", "", []string{"kv", "patch", "--env", "prod", "payments/db", "host=db internal"}, `prod/payments/db: field "host": must match the pattern`},
		{"required", `{"host":"db","port":5432,"user":"u","database":"d"}`, []string{"kv", "put", "--env", "prod", "payments/db"}, `prod/payments/db: field "password": is required`},
		{"unknown field", `{"host":"db","port":5432,"user":"u","database":"d","password":"p","pwd":"p"}`, []string{"kv", "put", "--env", "prod", "payments/db"}, `prod/payments/db: field "pwd": is not a field of type postgres`},
		{"user length", "", []string{"kv", "patch", "--env", "prod", "payments/db", "user=" + strings.Repeat("u", 64)}, `prod/payments/db: field "user": must be 1 to 63 characters long`},
		{"argv: sensitive literal", "", []string{"kv", "patch", "--env", "prod", "payments/db", "password=hunter2"},
			`field "password" cannot be given on the command line: type postgres marks it sensitive (literals are allowed for database, host, port, sslmode, user)`},
		{"argv: pattern canary", "", []string{"kv", "put", "--env", "prod", "indexer/search", "index=products", "key=@" + keyFile}, `prod/indexer/search: field "key": must match the pattern ^sk_[a-f0-9]{32}$`},
		{"argv: rust key literal", "", []string{"kv", "patch", "--env", "prod", "indexer/search", "key=sk_0123456789abcdef0123456789abcdef"}, `field "key" cannot be given on the command line: type search-key marks it sensitive`},
		{"token length", "", []string{"kv", "put", "--env", "prod", "indexer/upstream", "token=@" + shortTok}, `prod/indexer/upstream: field "token": must be 16 to 4096 characters long`},
		{"token header pattern", "", []string{"kv", "patch", "--env", "prod", "indexer/upstream", "header=Bad Header"}, `prod/indexer/upstream: field "header": must match the pattern ^[A-Za-z0-9-]+$`},
		{"index required", "", []string{"kv", "put", "--env", "prod", "indexer/search", "key=@" + keyFile}, `prod/indexer/search: field "index": is required`},
	}
	for _, tt := range ruleTests {
		stdout, errOut, code := s.ward(s.Token, tt.stdin, tt.args...)
		if code == 0 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%s: exit %d\n%s\nwant …%s…", tt.name, code, errOut, tt.want)
		}
		if strings.Contains(stdout+errOut, canary) {
			t.Errorf("%s: the canary is in the CLI's output", tt.name)
		}
	}
	if v := s.secretVersion("prod", "payments/db"); v != 1 {
		t.Errorf("payments/db is at version %d after refused writes, want 1", v)
	}
	for _, p := range []string{"indexer/search", "indexer/upstream"} {
		if v := s.secretVersion("prod", p); v != 1 {
			t.Errorf("%s is at version %d after refused writes, want 1", p, v)
		}
	}
	// Untyped secrets take no literal values at all.
	_, errOut, code := s.ward(s.Token, "", "kv", "put", "--env", "dev", "misc/x", "note=hello")
	if code == 0 || !strings.Contains(errOut, `field "note" cannot be given on the command line: dev/misc/x has no type, so every field is sensitive`) || !strings.Contains(errOut, "hint: give it as note=@FILE, note=- (stdin) or note alone (a prompt)") {
		t.Errorf("untyped literal: exit %d\n%s", code, errOut)
	}
	if _, errOut, code := s.ward(s.Token, "", "kv", "put", "--env", "dev", "misc/x", "note"); code == 0 || !strings.Contains(errOut, "there is no terminal to ask on") {
		t.Errorf("prompt without a terminal: exit %d\n%s", code, errOut)
	}

	// Replacing a type: --dry-run lists the secrets that would break.
	stricter := file("search-key-v2.schema.json", strings.Replace(mustRead(t, schema), `"minLength": 1,`, `"pattern": "^idx-",`, 1))
	out = s.mustWard("", "type", "write", "search-key", "-f", stricter, "--dry-run")
	if !strings.Contains(out, "not written (dry run)") || !strings.Contains(out, `prod/indexer/search: field "index": must match the pattern ^idx-`) {
		t.Fatalf("dry run:\n%s", out)
	}
	if out := s.mustWard("", "type", "read", "search-key"); strings.Contains(out, "^idx-") {
		t.Fatal("a dry run stored the schema")
	}
	if _, errOut, code := s.ward(s.Token, "", "type", "delete", "search-key"); code == 0 || !strings.Contains(errOut, `type "search-key" is named by prod/indexer/search`) {
		t.Errorf("deleting a type in use: exit %d\n%s", code, errOut)
	}

	// Usage: a read with the KV API, and the Rust indexer's CI job reading
	// through ward check's batched fetch.
	s.mustWard("", "kv", "get", "--env", "prod", "indexer/search")
	policy := file("indexer.yaml", "rules:\n  - path: prod/indexer/*\n    capabilities: [read, list]\n")
	s.mustWard("", "policy", "write", "indexer", "-f", policy)
	out = s.mustWard("", "token", "create", "--env", "prod", "--policy", "indexer", "--display-name", "ci-indexer", "--format", "json")
	var ci struct {
		ClientToken string `json:"client_token"`
	}
	decodeJSON(t, out, &ci)
	manifest := file("ward.yaml", "version: 1\ncomponents:\n  indexer:\n    language: rust\n    env:\n      SEARCH_KEY: {from: indexer/search, field: key}\n")
	if out, errOut, code := s.ward(ci.ClientToken, "", "check", "--env", "prod", "-f", manifest); code != 0 {
		t.Fatalf("ward check as the indexer: exit %d\n%s%s", code, out, errOut)
	}
	out = s.mustWard("", "kv", "usage", "--env", "prod", "--format", "json", "indexer/search")
	var usage struct {
		LastReader string `json:"last_reader"`
		Readers    map[string]struct {
			Version int `json:"version"`
		} `json:"readers"`
	}
	decodeJSON(t, out, &usage)
	if usage.LastReader != "token-ci-indexer" || usage.Readers["root"].Version != 1 || usage.Readers["token-ci-indexer"].Version != 1 {
		t.Errorf("usage: %s", out)
	}
	if out := s.mustWard("", "kv", "usage", "--env", "prod", "indexer/search"); !strings.Contains(out, "last read") || !strings.Contains(out, "by token-ci-indexer") {
		t.Errorf("usage:\n%s", out)
	}
	out = s.mustWard("", "kv", "expiring", "--within", "7d", "--format", "json")
	var exp []struct {
		Env, Path, Reason string
		Overdue           bool
	}
	decodeJSON(t, out, &exp)
	if len(exp) != 1 || exp[0].Path != "indexer/search" || exp[0].Reason != "expires_at" || exp[0].Overdue {
		t.Errorf("expiring: %s", out)
	}
	if out := s.mustWard("", "kv", "expiring", "--within", "1d"); !strings.Contains(out, "nothing expires") {
		t.Errorf("expiring within 1d:\n%s", out)
	}

	// The canary is in no log line and no audit entry.
	audit, err := os.ReadFile(filepath.Join(s.Data, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(audit), canary) || strings.Contains(s.Logs(), canary) {
		t.Fatal("the canary reached the audit log or the server's log")
	}
	if !strings.Contains(string(audit), "must match the pattern") {
		t.Error("the audit log does not record why the write was refused")
	}
}

const pgJSON = `{"host":"db.internal","port":5432,"user":"payments","password":"pw","database":"payments"}`

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
