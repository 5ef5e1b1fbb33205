package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// initUnseal initialises a fresh `ward server` and unseals it; it returns
// the root token.
func initUnseal(t *testing.T, s *devServer) string {
	t.Helper()
	var res struct {
		Keys      []string `json:"keys"`
		RootToken string   `json:"root_token"`
	}
	decodeJSON(t, s.mustWard("", "operator", "init", "--format", "json"), &res)
	for _, k := range res.Keys[:3] {
		s.mustWard(k+"\n", "operator", "unseal")
	}
	return res.RootToken
}

// waitLog waits until the server's log matches re, and returns the match.
func waitLog(t *testing.T, s *devServer, re *regexp.Regexp, from int) []string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(s.Logs()[from:]); m != nil {
			return m
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the server did not log %s in 30s:\n%s", re, s.Logs())
	return nil
}

// Log rotation as logrotate's create mode does it, against a real ward
// server: rename the audit log, send SIGHUP, and the entries after it land
// in a new file whose chain goes on from the renamed one, so that ward
// audit verify accepts the two files in order, with the vault's key pinned.
func TestAuditLogRotation(t *testing.T) {
	auditDir := t.TempDir()
	auditPath := filepath.Join(auditDir, "audit.log")
	config := filepath.Join(t.TempDir(), "server.yaml")
	// The audit log's path comes from the config file; the log level from
	// the command line (startWard gives debug) wins over the file's.
	writeFile(t, config, "audit-log: "+auditPath+"\nlog-level: error\nlogin-max-failures: 3\n")
	s := startWard(t, "server", "", "--config", config)
	root := initUnseal(t, s)
	s.Token = root
	key := waitLog(t, s, regexp.MustCompile(`"key":"(ed25519:[^"]+)"`), 0)[1]

	s.mustWard("", "env", "create", "prod")
	if _, errOut, code := s.ward(root, `{"password":"before-rotation"}`, "kv", "put", "--env", "prod", "app/db"); code != 0 {
		t.Fatalf("put: %s", errOut)
	}
	rotated := auditPath + ".1"
	if err := os.Rename(auditPath, rotated); err != nil {
		t.Fatal(err)
	}
	// Until the signal, entries go on into the renamed file: no request
	// fails for the rotation.
	if _, errOut, code := s.ward(root, "", "kv", "get", "--env", "prod", "app/db"); code != 0 {
		t.Fatalf("a read between the rename and SIGHUP: %s", errOut)
	}
	mark := len(s.Logs())
	s.cmd.Process.Signal(syscall.SIGHUP)
	waitLog(t, s, regexp.MustCompile(`"msg":"audit log reopened"`), mark)
	if _, errOut, code := s.ward(root, `{"password":"after-rotation"}`, "kv", "put", "--env", "prod", "app/db"); code != 0 {
		t.Fatalf("put after the rotation: %s", errOut)
	}
	s.mustWard("", "kv", "get", "--env", "prod", "app/db")

	newLog, err := os.ReadFile(auditPath)
	if err != nil {
		t.Fatalf("no new audit log after SIGHUP: %v", err)
	}
	if n := strings.Count(string(newLog), `"type":"request"`); n < 2 {
		t.Fatalf("the new file holds %d requests, want the put and the get after the rotation:\n%s", n, newLog)
	}
	old, _ := os.ReadFile(rotated)
	if !strings.Contains(string(old), `"type":"checkpoint"`) {
		t.Fatalf("the renamed file does not end with the checkpoint signed before reopening:\n%s", old)
	}

	out, errOut, code := s.ward("", "", "audit", "verify", "--key", key, "--format", "json", rotated, auditPath)
	var res struct {
		OK          bool     `json:"ok"`
		Entries     int      `json:"entries"`
		Files       []string `json:"files"`
		Checkpoints int      `json:"checkpoints"`
		KeyPinned   bool     `json:"key_pinned"`
	}
	decodeJSON(t, out, &res)
	if code != 0 || !res.OK || res.Checkpoints < 1 || !res.KeyPinned || res.Entries != strings.Count(string(old)+string(newLog), "\n") {
		t.Fatalf("verify of both files: exit %d %+v\n%s%s", code, res, out, errOut)
	}
	// The new file alone shows that it continues another; in the wrong
	// order, the files do not verify.
	if _, errOut, code := s.ward("", "", "audit", "verify", auditPath); code != 1 || !strings.Contains(errOut, auditPath+":1:") {
		t.Fatalf("verify of the new file alone: exit %d %s", code, errOut)
	}
	if _, _, code := s.ward("", "", "audit", "verify", auditPath, rotated); code != 1 {
		t.Fatalf("verify of the files newest first: exit %d, want 1", code)
	}

	// Sealed, the vault has no audit log open: SIGHUP says so and changes
	// nothing.
	s.mustWard("", "operator", "seal")
	mark = len(s.Logs())
	s.cmd.Process.Signal(syscall.SIGHUP)
	waitLog(t, s, regexp.MustCompile(`audit log is not open while the vault is sealed`), mark)
	if status, _ := call(t, s, "GET", "/v1/sys/health", "", ""); status != 503 {
		t.Fatalf("health after SIGHUP while sealed = %d, want 503 (sealed, still serving)", status)
	}
}
