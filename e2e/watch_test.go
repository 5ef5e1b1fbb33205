package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/detect"
)

// receiver is an alert webhook endpoint that checks each delivery's
// signature.
type receiver struct {
	mu     sync.Mutex
	ok     []detect.Alert
	forged int
	got    chan struct{}
}

func newReceiver(t *testing.T, secret string) (*receiver, string) {
	r := &receiver{got: make(chan struct{}, 100)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		err := detect.VerifySignature([]byte(secret), req.Header.Get(detect.SignatureHeader), req.Header.Get(detect.TimestampHeader), body, time.Now(), 5*time.Minute)
		if err != nil {
			r.forged++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var d struct {
			Type  string       `json:"type"`
			Alert detect.Alert `json:"alert"`
		}
		json.Unmarshal(body, &d)
		r.ok = append(r.ok, d.Alert)
		r.got <- struct{}{}
	}))
	t.Cleanup(srv.Close)
	return r, srv.URL
}

const watchValue = "s3cr3t-break-glass-V4LUE"

// TestWatchingAccess runs the real binary end to end: alerts.yaml through
// plan and apply, a live alert from a break-glass read, its signed webhook
// delivery, ward alerts list and ack, ward audit query --alerts, metrics
// over HTTP (no value, token or path; 403 without permission), and the
// detectors' state across a restart.
func TestWatchingAccess(t *testing.T) {
	const secret = "webhook-signing-secret"
	rcv, url := newReceiver(t, secret)
	t.Setenv("WARD_ALERT_WEBHOOK_SECRET", secret)
	data := t.TempDir()
	s := startDev(t, data, "--alerts-webhook", url)

	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "alerts.yaml"), []byte("detectors:\n  sensitive_path:\n    break_glass: [prod/break-glass/*]\n"), 0o644)
	out := s.mustWard("", "plan", "-f", dir)
	if !strings.Contains(out, "alerts.yaml") || !strings.Contains(out, "prod/break-glass/*") {
		t.Fatalf("ward plan does not show the alerts change:\n%s", out)
	}
	s.mustWard("", "apply", "-f", dir, "--yes")
	if out, _, code := s.ward(s.Token, "", "plan", "-f", dir, "--exit-code"); code != 0 {
		t.Fatalf("plan after apply: exit %d\n%s", code, out)
	}

	s.mustWard(`{"password":"`+watchValue+`"}`, "kv", "put", "--env", "prod", "break-glass/root")
	s.mustWard("rules:\n  - path: prod/break-glass/*\n    capabilities: [read]\n", "policy", "write", "oncall", "-f", "-")
	var tok struct {
		ClientToken string `json:"client_token"`
	}
	decodeJSON(t, s.mustWard("", "token", "create", "--env", "prod", "--policy", "oncall", "--format", "json"), &tok)
	if out, errOut, code := s.ward(tok.ClientToken, "", "kv", "get", "--env", "prod", "break-glass/root"); code != 0 {
		t.Fatalf("read: %d %s %s", code, out, errOut)
	}

	// The signed webhook delivery.
	select {
	case <-rcv.got:
	case <-time.After(30 * time.Second):
		t.Fatalf("no webhook delivery in 30s\n%s", s.Logs())
	}
	rcv.mu.Lock()
	delivered := false
	for _, a := range rcv.ok {
		delivered = delivered || a.Detector == "sensitive_path" && a.ID != ""
	}
	if rcv.forged != 0 || !delivered {
		t.Errorf("webhook: %d forged, got %+v", rcv.forged, rcv.ok)
	}
	rcv.mu.Unlock()

	// ward alerts list, ack; a token without permission is refused.
	var alerts []detect.Alert
	decodeJSON(t, s.mustWard("", "alerts", "list", "--unacked", "--format", "json"), &alerts)
	var id string
	for _, a := range alerts {
		if a.Detector == "sensitive_path" && strings.Contains(strings.Join(a.Paths, ","), "prod/break-glass/root") {
			id = a.ID
		}
	}
	if id == "" {
		t.Fatalf("ward alerts list has no sensitive_path alert: %+v", alerts)
	}
	if _, errOut, code := s.ward(tok.ClientToken, "", "alerts", "list"); code == 0 || !strings.Contains(errOut, "permission denied") {
		t.Errorf("alerts list without permission: exit %d, %s", code, errOut)
	}
	s.mustWard("", "alerts", "ack", id)
	decodeJSON(t, s.mustWard("", "alerts", "list", "--unacked", "--format", "json"), &alerts)
	for _, a := range alerts {
		if a.ID == id {
			t.Errorf("acked alert %s still listed as unacked", id)
		}
	}

	// The alert is an audit entry: ward audit query --alerts finds it.
	out = s.mustWard("", "audit", "query", "--log", filepath.Join(data, "audit.log"), "--alerts", "--path", "prod/break-glass/")
	if !strings.Contains(out, "sensitive_path") {
		t.Errorf("audit query --alerts:\n%s", out)
	}

	// Metrics over HTTP. The break-glass secret expires in three days: one
	// expiry due soon.
	s.mustWard("", "kv", "metadata", "put", "--env", "prod", "break-glass/root", "expires_at="+time.Now().Add(72*time.Hour).UTC().Format(time.RFC3339))
	scrape := func(token string) (int, string) {
		req, _ := http.NewRequest("GET", s.Addr+"/v1/sys/metrics", nil)
		req.Header.Set("X-Vault-Token", token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, text := scrape(s.Token)
	if code != 200 {
		t.Fatalf("scrape as root: %d %s", code, text)
	}
	for _, want := range []string{`ward_alerts_total{detector="sensitive_path"}`, "ward_sealed 0", `route="{env}/data/{path...}"`, "ward_audit_write_duration_seconds_bucket", "ward_tokens_live 2",
		"ward_leases_live 0", "ward_lease_revocations_failing 0", `ward_secrets_due{reason="expires_at",state="soon"} 1`,
		`ward_secrets_due{reason="rotate_every",state="overdue"} 0`, `ward_rotations_total{result="failed"} 0`} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, never := range []string{watchValue, s.Token, tok.ClientToken, "break-glass"} {
		if strings.Contains(text, never) {
			t.Errorf("metrics hold %q", never)
		}
	}
	if code, _ := scrape(tok.ClientToken); code != 403 {
		t.Errorf("scrape without permission: %d, want 403", code)
	}

	// A restart keeps the alerts (and their acks) and the thresholds.
	s.Stop()
	for _, f := range []string{detect.StateFile, detect.AlertsFile} {
		if b, err := os.ReadFile(filepath.Join(data, f)); err != nil || strings.Contains(string(b), watchValue) {
			t.Errorf("%s: %v (or it holds the value)", f, err)
		}
	}
	s2 := startDev(t, data, "--alerts-webhook", url)
	out, errOut, code := s2.ward(s.Token, "", "alerts", "list", "--format", "json")
	if code != 0 {
		t.Fatalf("alerts list after a restart: %d %s", code, errOut)
	}
	decodeJSON(t, out, &alerts)
	acked := false
	for _, a := range alerts {
		acked = acked || a.ID == id && a.AckedBy != ""
	}
	if !acked {
		t.Errorf("after a restart the acked alert is gone: %+v", alerts)
	}
	if out, _, code := s2.ward(s.Token, "", "plan", "-f", dir, "--exit-code"); code != 0 {
		t.Errorf("plan after a restart: exit %d\n%s", code, out)
	}
}

// TestHangingWebhookBlocksNoRequest: a receiver that never answers, or
// redirects, does not slow a request.
func TestHangingWebhookBlocksNoRequest(t *testing.T) {
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
			return
		}
		<-hang
	}))
	defer srv.Close()
	defer close(hang)
	t.Setenv("WARD_ALERT_WEBHOOK_SECRET", "x")
	for _, path := range []string{"/hang", "/redirect"} {
		s := startDev(t, "", "--alerts-webhook", srv.URL+path)
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "alerts.yaml"), []byte("detectors:\n  sensitive_path:\n    break_glass: [prod/bg/*]\n"), 0o644)
		s.mustWard("", "apply", "-f", dir, "--yes")
		s.mustWard(`{"k":"v"}`, "kv", "put", "--env", "prod", "bg/a")
		start := time.Now()
		for range 20 {
			s.mustWard("", "kv", "get", "--env", "prod", "bg/a")
		}
		if took := time.Since(start); took > 30*time.Second {
			t.Errorf("%s: 20 reads took %v", path, took)
		}
		if !strings.Contains(s.mustWard("", "alerts", "list"), "sensitive_path") {
			t.Errorf("%s: the alert is not listed", path)
		}
		s.Stop()
	}
}
