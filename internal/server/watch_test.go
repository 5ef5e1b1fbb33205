package server

import (
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/audit"
	"github.com/wardhq/ward/internal/detect"
	"github.com/wardhq/ward/internal/metrics"
	"github.com/wardhq/ward/internal/vault"
)

// vaultAudit writes alerts to the vault's audit log once it is open.
type vaultAudit struct{ v atomic.Pointer[vault.Vault] }

func (a *vaultAudit) Write(ctx context.Context, e *audit.Entry) error {
	return a.v.Load().WriteAudit(ctx, e)
}

// startWatched serves a vault whose audit log feeds live detectors, with
// metrics.
func startWatched(t *testing.T) (*testServer, *detect.Service) {
	t.Helper()
	cfg := detect.DefaultConfig()
	cfg.SensitivePath.BreakGlass = []string{"prod/breakglass/*"}
	aw := &vaultAudit{}
	var ts *testServer
	var svc *detect.Service
	m := metrics.New(metrics.Options{Sealed: func() bool { return ts.v.Sealed() }, Detect: func() detect.ServiceStats { return svc.Stats() }})
	svc = detect.NewService(detect.ServiceConfig{Config: cfg, Audit: aw, OnAlert: func(a detect.Alert) { m.Alert(a.Detector) }})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	svc.Start(ctx)
	ts = startServer(t, vault.Config{Detect: svc, AuditOnEntries: svc.OfferEntries, AuditOnBatch: m.AuditBatch}, Config{Metrics: m})
	aw.v.Store(ts.v)
	return ts, svc
}

func TestAlertsLiveFromTheAuditLog(t *testing.T) {
	ts, svc := startWatched(t)
	const value = "s3cr3t-V4LUE-never-shown"
	if st, b := ts.do("PUT", "/v1/prod/data/breakglass/root", ts.root, `{"data":{"password":"`+value+`"}}`); st != 200 {
		t.Fatalf("write: %d %v", st, b)
	}
	reader := ts.token("prod", `rules:
  - path: prod/breakglass/*
    capabilities: [read]
`)
	// A flood: the same read six times is one alert, five duplicates.
	for range 6 {
		if st, _ := ts.do("GET", "/v1/prod/data/breakglass/root", reader, ""); st != 200 {
			t.Fatalf("read: %d", st)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := svc.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	admin := ts.token("dev", `rules:
  - path: sys/ward/alerts/**
    capabilities: [list, read, update]
  - path: sys/metrics
    capabilities: [read]
`)
	st, body := ts.do("LIST", "/v1/sys/ward/alerts", admin, "")
	if st != 200 {
		t.Fatalf("LIST alerts: %d %v", st, body)
	}
	alerts := body["data"].(map[string]any)["alerts"].([]any)
	var id string
	for _, a := range alerts {
		a := a.(map[string]any)
		if a["detector"] == "sensitive_path" {
			id = a["id"].(string)
		}
	}
	if id == "" {
		t.Fatalf("no sensitive_path alert after a break-glass read: %v", alerts)
	}
	if n := len(alerts); n != 2 { // the root's write and the reader's reads
		t.Errorf("%d alerts after a write and six identical reads, want 2: %v", n, alerts)
	}
	if st, body := ts.do("POST", "/v1/sys/ward/alerts/"+id+"/ack", admin, ""); st != 200 || body["data"].(map[string]any)["acked_by"] == "" {
		t.Fatalf("ack: %d %v", st, body)
	}
	if st, body := ts.do("GET", "/v1/sys/ward/alerts?unacked=true", admin, ""); st != 200 || strings.Contains(mustJSON(body), id) {
		t.Errorf("an acked alert is still listed as unacked: %d %v", st, body)
	}
	if st, _ := ts.do("POST", "/v1/sys/ward/alerts/alert-nope/ack", admin, ""); st != 404 {
		t.Errorf("ack of an unknown alert: %d, want 404", st)
	}
	if st, _ := ts.do("GET", "/v1/sys/ward/alerts?limit=lots", admin, ""); st != 400 {
		t.Errorf("a bad limit: %d, want 400", st)
	}
	if st, _ := ts.do("LIST", "/v1/sys/ward/alerts", reader, ""); st != 403 {
		t.Errorf("LIST alerts without permission: %d, want 403", st)
	}

	// The alert is an audit entry of its own.
	raw, err := os.ReadFile(ts.audit)
	if err != nil {
		t.Fatal(err)
	}
	if log := string(raw); !strings.Contains(log, `"type":"alert"`) || strings.Contains(log, value) {
		t.Errorf("the audit log lacks the alert entry, or holds the value")
	}

	// Metrics: over HTTP, policy-checked, with no value, token or path.
	text := scrapeMetrics(t, ts, admin, 200)
	for _, want := range []string{
		`ward_requests_total{code="200",method="GET",route="{env}/data/{path...}"} 6`,
		`ward_denials_total{route="sys/ward/alerts/"} 1`,
		`ward_alerts_total{detector="sensitive_path"}`,
		"ward_sealed 0",
		"ward_audit_writes_total",
		`ward_detect_alerts_suppressed_total{reason="duplicate"} 5`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, never := range []string{value, ts.root, reader, admin, "breakglass"} {
		if strings.Contains(text, never) {
			t.Errorf("metrics hold %q", never)
		}
	}
	scrapeMetrics(t, ts, reader, 403)
	scrapeMetrics(t, ts, "", 403)
}

func scrapeMetrics(t *testing.T, ts *testServer, token string, want int) string {
	t.Helper()
	req, _ := http.NewRequest("GET", ts.url+"/v1/sys/metrics", nil)
	if token != "" {
		req.Header.Set("X-Vault-Token", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("scrape: %d, want %d: %s", resp.StatusCode, want, b)
	}
	if want == 200 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("scrape Content-Type %q", resp.Header.Get("Content-Type"))
	}
	return string(b)
}
