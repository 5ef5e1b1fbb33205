package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The README's walk-through, as a new user would run it.
func TestCLIWalkthrough(t *testing.T) {
	s := startDev(t, "")
	if s.Token == "" || !strings.HasPrefix(s.Token, "ward_") {
		t.Fatalf("ward dev wrote no ward token to %s", s.Home)
	}
	fi, err := os.Stat(filepath.Join(s.Home, "token"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode: %v %v, want 0600", fi, err)
	}
	for _, want := range []string{"dev server on " + s.Addr, "environments dev, prod, staging", "export WARD_ADDR=" + s.Addr} {
		if !strings.Contains(s.Logs(), want) {
			t.Errorf("ward dev's banner lacks %q:\n%s", want, s.Logs())
		}
	}

	s.mustWard(`{"host":"db.internal","port":5432,"password":"pw-one"}`, "kv", "put", "--env", "staging", "payments/db")
	s.mustWard(`{"host":"db.internal","port":5432,"password":"pw-two"}`, "kv", "put", "--env", "staging", "payments/db")

	out := s.mustWard("", "kv", "get", "--env", "staging", "payments/db")
	if !strings.Contains(out, "pw-two") || !strings.Contains(out, "5432") {
		t.Fatalf("kv get table:\n%s", out)
	}
	out = s.mustWard("", "kv", "get", "--env", "staging", "--format", "json", "payments/db")
	var got struct {
		Data     map[string]any `json:"data"`
		Metadata struct {
			Version int `json:"version"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("kv get --format json is not JSON: %v\n%s", err, out)
	}
	if got.Data["password"] != "pw-two" || got.Metadata.Version != 2 {
		t.Fatalf("kv get json = %+v", got)
	}
	if out := s.mustWard("", "kv", "get", "--env", "staging", "--field", "password", "payments/db"); out != "pw-two\n" {
		t.Fatalf("kv get --field = %q", out)
	}

	out = s.mustWard("", "kv", "history", "--env", "staging", "payments/db")
	if !strings.Contains(out, "2") || !strings.Contains(out, "(current)") {
		t.Fatalf("kv history:\n%s", out)
	}
	s.mustWard("", "kv", "rollback", "--env", "staging", "--version", "1", "payments/db")
	if out := s.mustWard("", "kv", "get", "--env", "staging", "--field", "password", "payments/db"); out != "pw-one\n" {
		t.Fatalf("after rollback, password = %q, want pw-one", out)
	}

	// A policy as code, and a token bound to staging with it.
	policyFile := filepath.Join(t.TempDir(), "ci-api.yaml")
	os.WriteFile(policyFile, []byte("rules:\n  - path: staging/payments/*\n    capabilities: [read, list]\n"), 0o600)
	s.mustWard("", "policy", "write", "ci-api", "-f", policyFile)
	out = s.mustWard("", "token", "create", "--env", "staging", "--policy", "ci-api", "--ttl", "15m", "--format", "json")
	var auth struct {
		ClientToken string `json:"client_token"`
	}
	if err := json.Unmarshal([]byte(out), &auth); err != nil || auth.ClientToken == "" {
		t.Fatalf("token create json: %v\n%s", err, out)
	}
	ci := auth.ClientToken
	if out, errOut, code := s.ward(ci, "", "kv", "get", "--env", "staging", "--field", "password", "payments/db"); code != 0 || out != "pw-one\n" {
		t.Fatalf("ci token reading staging: exit %d %q %s", code, out, errOut)
	}
	if _, errOut, code := s.ward(ci, `{"a":"b"}`, "kv", "put", "--env", "staging", "payments/db"); code != 1 || !strings.Contains(errOut, "permission denied") {
		t.Fatalf("ci token writing: exit %d, %s", code, errOut)
	}
	if _, errOut, code := s.ward(ci, "", "kv", "get", "--env", "prod", "payments/db"); code != 1 || !strings.Contains(errOut, "permission denied") {
		t.Fatalf("ci token reading prod: exit %d, %s", code, errOut)
	}

	// The audit log verifies.
	out = s.mustWard("", "audit", "verify", filepath.Join(s.Data, "audit.log"))
	_ = out
}

func TestCLIUsageErrors(t *testing.T) {
	s := startDev(t, "")
	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"no env", `{"a":"b"}`, []string{"kv", "put", "payments/db"}, 2, "missing --env"},
		{"not json", `password=hunter2`, []string{"kv", "put", "--env", "dev", "payments/db"}, 2, "not valid JSON"},
		{"not an object", `["x"]`, []string{"kv", "put", "--env", "dev", "payments/db"}, 2, "one JSON object"},
		{"empty", ``, []string{"kv", "put", "--env", "dev", "payments/db"}, 2, "no value"},
		{"unknown env", `{"a":"b"}`, []string{"kv", "put", "--env", "nope", "payments/db"}, 1, "environment not found"},
		{"bad path", `{"a":"b"}`, []string{"kv", "put", "--env", "dev", "a/../b"}, 1, "400"},
		{"unknown command", ``, []string{"frobnicate"}, 2, "unknown command"},
		{"unknown flag", ``, []string{"kv", "get", "--nope"}, 2, "unknown flag"},
		{"bad env name", ``, []string{"env", "create", "Prod"}, 1, `did you mean "prod"`},
		{"reserved env", ``, []string{"env", "create", "sys"}, 1, "reserved"},
		{"policy unknown field", "rules:\n  - path: dev/*\n    capabilties: [read]\n", []string{"policy", "write", "p", "-f", "-"}, 1, "line 3"},
		{"unseal from argv", ``, []string{"operator", "unseal", "abcd"}, 2, "never from the command line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := s.ward(s.Token, tt.stdin, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Fatalf("exit %d (want %d), stderr %q (want it to contain %q), stdout %q", code, tt.code, errOut, tt.want, out)
			}
			if tt.stdin != "" && strings.Contains(errOut, "hunter2") {
				t.Fatalf("an error echoed the value: %s", errOut)
			}
		})
	}
}
