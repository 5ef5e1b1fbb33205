package metrics

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/wardhq/ward/internal/detect"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	var b strings.Builder
	if err := m.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	// The output must parse as Prometheus' text format.
	p := expfmt.NewTextParser(model.UTF8Validation)
	if _, err := p.TextToMetricFamilies(strings.NewReader(b.String())); err != nil {
		t.Fatalf("not Prometheus text: %v\n%s", err, b.String())
	}
	return b.String()
}

func TestMetrics(t *testing.T) {
	sealed := true
	m := New(Options{
		Sealed: func() bool { return sealed },
		Tokens: func() (int, error) { return 7, nil },
		Detect: func() detect.ServiceStats {
			return detect.ServiceStats{Engine: detect.Stats{Lines: 10, Unparsable: 2}, Duplicates: 3}
		},
	})
	m.Request("{env}/data/{path...}", "GET", 200, "prod/db/password", 3*time.Millisecond)
	m.Request("{env}/data/{path...}", "GET", 403, "prod/db/password", time.Millisecond)
	m.Request("", "GET", 404, "", time.Millisecond)
	m.AuditBatch(time.Millisecond, nil)
	m.AuditBatch(time.Millisecond, errors.New("disk full"))
	m.Alert("first_read")
	m.Alert("first_read")
	out := scrape(t, m)
	for _, want := range []string{
		`ward_requests_total{code="200",method="GET",route="{env}/data/{path...}"} 1`,
		`ward_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`ward_denials_total{route="{env}/data/{path...}"} 1`,
		`ward_request_duration_seconds_count{method="GET",route="{env}/data/{path...}"} 2`,
		"ward_audit_writes_total 1",
		"ward_audit_write_failures_total 1",
		"ward_sealed 1",
		"ward_tokens_live 7",
		`ward_alerts_total{detector="first_read"} 2`,
		"ward_detect_unparsable_total 2",
		`ward_detect_alerts_suppressed_total{reason="duplicate"} 3`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
	if strings.Contains(out, "prod/db/password") {
		t.Error("a secret's path is a label value without PathLabels")
	}
	sealed = false
	if !strings.Contains(scrape(t, m), "ward_sealed 0") {
		t.Error("ward_sealed did not follow the vault")
	}
}

func TestPathLabelsWhenTurnedOn(t *testing.T) {
	m := New(Options{PathLabels: true})
	m.Request("{env}/data/{path...}", "GET", 200, "prod/db/password", time.Millisecond)
	if out := scrape(t, m); !strings.Contains(out, `path="prod/db/password"`) {
		t.Errorf("PathLabels on, no path label:\n%s", out)
	}
}
