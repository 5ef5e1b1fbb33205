package e2e

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ward scan --known --env finds the vault's own secrets, plain and encoded,
// with a report that names the secret and holds no value.
func TestScanKnown(t *testing.T) {
	s := startDev(t, "")
	const pw = "Zq8w-not-a-pattern-any-rule-knows"
	s.mustWard(`{"password":"`+pw+`","user":"svc"}`, "kv", "put", "--env", "prod", "payments/db")
	dir := t.TempDir()
	logText := "step 1 ok\nconnecting with " + base64.StdEncoding.EncodeToString([]byte(pw)) + "\nretry: " + pw + "\n"
	os.WriteFile(filepath.Join(dir, "build.log"), []byte(logText), 0o600)
	out, errOut, code := s.ward(s.Token, "", "scan", "--known", "--env", "prod", "--format", "json", dir)
	if code != 1 {
		t.Fatalf("scan --known: exit %d, want 1 (findings)\n%s\n%s", code, out, errOut)
	}
	if strings.Contains(out+errOut, pw) || strings.Contains(out+errOut, base64.StdEncoding.EncodeToString([]byte(pw))) {
		t.Fatal("the report holds the secret")
	}
	var findings []struct {
		Line  int `json:"start_line"`
		Known *struct {
			Path    string `json:"path"`
			Field   string `json:"field"`
			Version int    `json:"version"`
		} `json:"known"`
		Encoding string `json:"encoding"`
	}
	if err := json.Unmarshal([]byte(out), &findings); err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	lines := map[int]bool{}
	for _, f := range findings {
		if f.Known != nil && f.Known.Path == "payments/db" && f.Known.Field == "password" && f.Known.Version == 1 {
			lines[f.Line] = true
		}
	}
	if !lines[2] || !lines[3] {
		t.Fatalf("known matches on lines %v, want 2 (base64) and 3 (plain):\n%s", lines, out)
	}
	// With a bad token the vault refuses, and the scan says so.
	if _, errOut, code := s.ward("ward_revoked", "", "scan", "--known", "--env", "prod", dir); code != 1 || !strings.Contains(errOut, "403") {
		t.Fatalf("scan --known with a bad token: exit %d %s", code, errOut)
	}
}
