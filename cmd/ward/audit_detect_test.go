package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/detect"
)

// TestAuditDetectFollowsToWebhook follows a log, and an alert raised by a
// line written after the start reaches a receiver that checks its
// signature, and the output; the state is saved when it stops.
func TestAuditDetectFollowsToWebhook(t *testing.T) {
	secret := "whsec-cli-test"
	got := make(chan detect.Alert, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := detect.VerifySignature([]byte(secret), r.Header.Get(detect.SignatureHeader), r.Header.Get(detect.TimestampHeader), body, time.Now(), time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var msg struct{ Alert detect.Alert }
		json.Unmarshal(body, &msg)
		got <- msg.Alert
	}))
	defer srv.Close()

	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	os.MkdirAll(filepath.Join(dir, "ward"), 0o755)
	os.WriteFile(filepath.Join(dir, "ward", "alerts.yaml"), []byte("detectors:\n  sensitive_path: {break_glass: [prod/break-glass/*]}\n"), 0o644)
	l := openTestLog(t, path)
	defer l.Close()
	writeResponse(t, l, "prod", "prod/data/app/db", "userpass-ops", 200)

	out := &lineBuffer{signal: make(chan struct{}, 1)}
	tick := make(chan time.Time)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	state := filepath.Join(dir, "state.json")
	go func() {
		done <- runAuditDetect(ctx, auditDetectOptions{log: path, dir: filepath.Join(dir, "ward"), follow: true, webhook: srv.URL, secret: secret,
			state: state, format: "text", stdout: out, tick: func() <-chan time.Time { return tick }})
	}()
	tick <- time.Time{} // the first read is done once the tick is taken
	writeResponse(t, l, "prod", "prod/data/break-glass/root", "userpass-ops", 200)
	tick <- time.Time{}
	select {
	case a := <-got:
		if a.Detector != detect.DetSensitivePath || a.Paths[0] != "prod/break-glass/root" {
			t.Fatalf("receiver got %+v", a)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery")
	}
	lines := out.waitLines(t, 1)
	if !strings.Contains(lines[0], "sensitive_path  user:ops  ") {
		t.Errorf("output %q", lines)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(state); err != nil {
		t.Errorf("state not saved: %v", err)
	}
	// A webhook without a secret is refused before anything runs.
	err := runAuditDetect(context.Background(), auditDetectOptions{log: path, webhook: srv.URL, format: "text", stdout: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "needs a secret") {
		t.Errorf("webhook without secret: %v", err)
	}
}
