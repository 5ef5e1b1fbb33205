package detect

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/audit"
)

// writeLog writes entries through a real audit.Log and returns the file.
func writeLog(t *testing.T, entries []*audit.Entry) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.log")
	l, err := audit.Open(audit.Config{Path: path, HMACKey: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, e := range entries {
		if err := l.Write(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func entry(ts time.Time, typ string, status int, path, errText string) *audit.Entry {
	return &audit.Entry{
		Time: ts, Type: typ, Identity: "jwt-repo:octo/api", Token: "ward_tok_SECRETVALUE", Accessor: "acc1",
		Environment: "prod", Path: path, Operation: "read", RemoteAddr: "10.0.0.1:1234", Status: status, Error: errText,
		Data: map[string]any{"data": map[string]any{"password": "hunter2-SECRETVALUE"}},
		Meta: map[string]string{"role": "deploy", "ci_repository": "octo/api", "ci_ref": "refs/heads/main", "ci_workflow": "octo/api/.github/workflows/ci.yml@refs/heads/main"},
	}
}

// TestReplayRealLog replays a log written by audit.Log, with an alert
// entry and garbage in it, and checks what the detectors saw and raised.
func TestReplayRealLog(t *testing.T) {
	var entries []*audit.Entry
	for i := range 12 {
		ts := start.Add(time.Duration(i) * time.Second)
		entries = append(entries, entry(ts, "request", 0, "staging/data/app/db", ""))
		entries = append(entries, entry(ts, "response", 403, "staging/data/app/db", "permission denied: this token is bound to another environment"))
	}
	a := Alert{Time: start, Detector: DetDenialBurst, Identity: "x", Subject: "y"}
	a.setID()
	entries = append(entries, a.AuditEntry())
	path := writeLog(t, entries)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	raw = append(raw, "not json at all\n{\"type\":\"response\",\"time\":\"yesterday\"}\n"...)
	raw = append(raw, bytes.Repeat([]byte{'x'}, 3<<20)...) // a huge torn line
	s := NewService(ServiceConfig{Config: DefaultConfig()})
	if err := s.Replay(context.Background(), bytes.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	st := s.Stats()
	if st.Engine.Events != 12 || st.Engine.Skipped != 13 || st.Engine.Unparsable != 3 || st.Engine.LastUnparsable != 28 {
		t.Fatalf("stats %+v: want 12 events, 13 skipped (12 requests, 1 alert), 3 unparsable, the last at line 28", st.Engine)
	}
	got := s.Alerts(Filter{})
	kinds := map[string]int{}
	for _, a := range got {
		kinds[a.Detector]++
	}
	// 12 cross-environment denials of one path: one alert (the rest are
	// duplicates), and one denial burst.
	if kinds[DetCrossEnv] != 1 || kinds[DetDenialBurst] != 1 || len(got) != 2 {
		t.Fatalf("alerts %v, want one cross_environment and one denial_burst", kinds)
	}
	if st.Duplicates != 11 {
		t.Errorf("duplicates %d, want 11", st.Duplicates)
	}
	for _, a := range got {
		if strings.Contains(a.Summary+a.Rule+a.Subject+strings.Join(a.Paths, ""), "SECRETVALUE") {
			t.Errorf("alert carries a secret: %+v", a)
		}
	}
}

// TestAlertAuditEntry writes an alert through a real audit log and reads
// it back: type alert, the detector as operation, everything in meta.
func TestAlertAuditEntry(t *testing.T) {
	a := Alert{Time: start, Detector: DetSensitivePath, Rule: "sensitive_path", Identity: "user:ops", DisplayName: "userpass-ops",
		Environment: "prod", Paths: []string{"prod/break-glass/root"}, Subject: "prod/break-glass/root read", Summary: "s", Suppressed: 3}
	a.setID()
	raw, err := os.ReadFile(writeLog(t, []*audit.Entry{a.AuditEntry()}))
	if err != nil {
		t.Fatal(err)
	}
	line := string(raw)
	for _, want := range []string{`"type":"alert"`, `"request_id":"` + a.ID + `"`, `"operation":"sensitive_path"`, `"path":"prod/break-glass/root"`,
		`"identity":"user:ops"`, `"suppressed":"3"`, `"detector":"sensitive_path"`} {
		if !strings.Contains(line, want) {
			t.Errorf("alert line lacks %s:\n%s", want, line)
		}
	}
	if _, err := audit.Verify(bytes.NewReader(raw)); err != nil {
		t.Errorf("alert line breaks the chain: %v", err)
	}
}
