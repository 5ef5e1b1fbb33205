package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/audit"
)

// writeAuditLog writes a log with reads of prod/payments/db by a CI token
// and by a person, and other traffic around them.
func writeAuditLog(t *testing.T) (string, time.Time) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.log")
	base := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	l, err := audit.Open(audit.Config{Path: path, HMACKey: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ci := map[string]string{"role": "prod", "ci_platform": "github", "ci_repository": "acme/api", "ci_ref": "refs/heads/main",
		"ci_workflow": "acme/api/.github/workflows/deploy.yml@refs/heads/main", "ci_run_id": "987654", "ci_environment": "production"}
	entries := []struct {
		at                      time.Duration
		path, op, identity, env string
		status                  int
		meta                    map[string]string
	}{
		{0, "prod/data/payments/db", "read", "token-alice", "prod", 200, nil},
		{time.Hour, "prod/data/payments/db", "read", "jwt-repo:acme/api:environment:production", "prod", 200, ci},
		{time.Hour, "prod/data/payments/dbx", "read", "token-bob", "prod", 200, nil},
		{time.Hour, "staging/data/payments/db", "read", "token-bob", "staging", 200, nil},
		{2 * time.Hour, "prod/metadata/payments/db", "delete", "token-mallory", "prod", 403, nil},
		{2 * time.Hour, "prod/data/payments/stripe", "read", "token-alice", "prod", 200, nil},
	}
	for i, e := range entries {
		for _, typ := range []string{"request", "response"} {
			ae := &audit.Entry{Time: base.Add(e.at), Type: typ, RequestID: string(rune('a' + i)), Identity: e.identity, Token: "ward_secret",
				Path: e.path, Operation: e.op, Environment: e.env, Meta: e.meta}
			if typ == "response" {
				ae.Status = e.status
			}
			if err := l.Write(context.Background(), ae); err != nil {
				t.Fatal(err)
			}
		}
	}
	return path, base
}

func TestAuditQuery(t *testing.T) {
	log, base := writeAuditLog(t)
	tests := []struct {
		name       string
		path, env  string
		since      string
		wantIDs    []string
		wantInText []string
	}{
		{"one secret", "prod/payments/db", "", "", []string{"token-alice", "jwt-repo:acme/api:environment:production", "token-mallory"},
			[]string{"github acme/api ref=refs/heads/main workflow=acme/api/.github/workflows/deploy.yml@refs/heads/main run=987654 ci-env=production role=prod"}},
		{"with --env", "payments/db", "prod", "", []string{"token-alice", "jwt-repo:acme/api:environment:production", "token-mallory"}, nil},
		{"since a duration", "prod/payments/db", "", "90m", []string{"token-mallory"}, []string{"403"}},
		{"since a time", "prod/payments/db", "", "2026-11-25T10:30:00Z", []string{"jwt-repo:acme/api:environment:production", "token-mallory"}, nil},
		{"a folder", "prod/payments/", "", "", []string{"token-alice", "jwt-repo:acme/api:environment:production", "token-bob", "token-mallory", "token-alice"}, nil},
		{"another environment", "staging/payments/db", "", "", []string{"token-bob"}, nil},
		{"nothing", "dev/payments/db", "", "", []string{}, []string{"no request on dev/payments/db"}},
	}
	now := func() time.Time { return base.Add(3 * time.Hour) }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			o := auditQueryOptions{log: log, path: tt.path, env: tt.env, since: tt.since, format: "json", now: now, stdout: &out}
			if err := runAuditQuery(context.Background(), o); err != nil {
				t.Fatal(err)
			}
			var hits []auditHit
			if err := json.Unmarshal(out.Bytes(), &hits); err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			var ids []string
			for _, h := range hits {
				ids = append(ids, h.Identity)
			}
			if strings.Join(ids, ",") != strings.Join(tt.wantIDs, ",") {
				t.Fatalf("identities %v, want %v", ids, tt.wantIDs)
			}
			out.Reset()
			o.format = "text"
			if err := runAuditQuery(context.Background(), o); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.wantInText {
				if !strings.Contains(out.String(), w) {
					t.Errorf("text output lacks %q:\n%s", w, out.String())
				}
			}
			if strings.Contains(out.String(), "ward_secret") {
				t.Error("a token in the output")
			}
		})
	}
	for _, bad := range []struct {
		o    auditQueryOptions
		want string
	}{
		{auditQueryOptions{path: "prod/payments/db"}, "missing --log"},
		{auditQueryOptions{log: log}, "missing --path"},
		{auditQueryOptions{log: log, path: "prod"}, "names no secret"},
		{auditQueryOptions{log: log, path: "prod/payments/db", since: "yesterday"}, "--since"},
		{auditQueryOptions{log: log + ".nope", path: "prod/x"}, "reading audit log"},
	} {
		bad.o.format, bad.o.now, bad.o.stdout = "text", now, &bytes.Buffer{}
		if err := runAuditQuery(context.Background(), bad.o); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%+v: got %v, want %q", bad.o, err, bad.want)
		}
	}
}
