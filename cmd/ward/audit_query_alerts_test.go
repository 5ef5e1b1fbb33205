package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/audit"
	"github.com/wardhq/ward/internal/detect"
)

func TestAuditQueryAlerts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	base := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	l, err := audit.Open(audit.Config{Path: path, HMACKey: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	alerts := []detect.Alert{
		{ID: "alert-1", Time: base, Detector: "sensitive_path", Rule: "sensitive_path: break_glass prod/bg/*", Identity: "user:ann",
			Environment: "prod", Paths: []string{"prod/bg/root"}, Summary: "ann read a break-glass secret"},
		{ID: "alert-2", Time: base.Add(time.Hour), Detector: "denial_burst", Identity: "token:ci", Environment: "staging",
			Paths: []string{"staging/app/a"}, Summary: "12 denials"},
	}
	for _, a := range alerts {
		if err := l.Write(context.Background(), a.AuditEntry()); err != nil {
			t.Fatal(err)
		}
		// A request around it, which is no alert.
		if err := l.Write(context.Background(), &audit.Entry{Time: a.Time, Type: "response", Path: "prod/data/bg/root", Status: 200}); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("garbage that is no audit entry\n")
	f.Close()

	tests := []struct {
		path, since string
		want        []string
	}{
		{"", "", []string{"alert-1", "alert-2"}},
		{"prod/bg/", "", []string{"alert-1"}},
		{"staging/app/a", "", []string{"alert-2"}},
		{"prod/other", "", nil},
		{"", "2026-11-25T10:30:00Z", []string{"alert-2"}},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		o := auditQueryOptions{log: path, path: tt.path, since: tt.since, alerts: true, format: "json",
			now: func() time.Time { return base }, stdout: &out, stderr: &errOut}
		if err := runAuditQuery(context.Background(), o); err != nil {
			t.Fatalf("%+v: %v", tt, err)
		}
		var hits []alertHit
		if err := json.Unmarshal(out.Bytes(), &hits); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, h := range hits {
			ids = append(ids, h.ID)
		}
		if strings.Join(ids, ",") != strings.Join(tt.want, ",") {
			t.Errorf("--path %q --since %q: %v, want %v", tt.path, tt.since, ids, tt.want)
		}
		if !strings.Contains(errOut.String(), "1 lines") || !strings.Contains(errOut.String(), "line 5") {
			t.Errorf("the unparsable line is not reported: %q", errOut.String())
		}
	}
}
