package plan

import (
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/detect"
)

func loadAlerts(t *testing.T, src string) *Alerts {
	t.Helper()
	var ps problems
	a := parseAlerts([]byte(src), &ps)
	validateAlerts(a, &ps)
	if err := ps.err(); err != nil {
		t.Fatalf("alerts.yaml refused: %v", err)
	}
	return a
}

func TestAlertsDefaultsKept(t *testing.T) {
	a := loadAlerts(t, "detectors:\n  denial_burst: {denials: 20}\n")
	want := detect.DefaultConfig()
	want.DenialBurst.Denials = 20
	got, exp := AlertFields(&a.Config), AlertFields(&want)
	for k, v := range exp {
		if got[k] != v {
			t.Errorf("%s = %s, want %s", k, got[k], v)
		}
	}
	if a.Lines["denial_burst.denials"] != 2 {
		t.Errorf("line of denial_burst.denials = %d, want 2", a.Lines["denial_burst.denials"])
	}
}

func TestDiffAlerts(t *testing.T) {
	desired := &State{Manages: Manages{Alerts: true}, Alerts: loadAlerts(t, "learn_for: 14d\ndetectors:\n  denial_burst: {within: 90s}\n  first_read: {enabled: false}\n")}

	// A server that does not report its thresholds is told nothing.
	if c := Diff(&State{}, desired, Options{}); len(c) != 0 {
		t.Fatalf("changes for a server that does not manage alerts: %+v", c)
	}
	// A server on the defaults: one change, the three fields.
	cur := &State{Manages: Manages{Alerts: true}}
	c := Diff(cur, desired, Options{})
	if len(c) != 1 || c[0].Kind != KindAlerts || c[0].Action != Create {
		t.Fatalf("want one alerts create, got %+v", c)
	}
	got := map[string]FieldChange{}
	for _, f := range c[0].Fields {
		got[f.Field] = f
	}
	want := map[string][2]string{
		"learn_for":           {"7d", "14d"},
		"denial_burst.within": {"1m", "1m30s"},
		"first_read.enabled":  {"true", "false"},
	}
	if len(got) != len(want) {
		t.Errorf("fields %+v, want %v", c[0].Fields, want)
	}
	for k, v := range want {
		if got[k].Old != v[0] || got[k].New != v[1] {
			t.Errorf("%s: %q -> %q, want %q -> %q", k, got[k].Old, got[k].New, v[0], v[1])
		}
	}
	// The server holds them already: nothing to do.
	cur.Alerts = &Alerts{Config: desired.Alerts.Config}
	if c := Diff(cur, desired, Options{}); len(c) != 0 {
		t.Fatalf("changes when the server has the thresholds: %+v", c)
	}
	cur.Alerts.Config.LearnFor = time.Hour
	c = Diff(cur, desired, Options{})
	if len(c) != 1 || c[0].Action != Update || len(c[0].Fields) != 1 || c[0].Fields[0].Old != "1h" {
		t.Fatalf("want one update of learn_for from 1h, got %+v", c)
	}
}

// TestValidateAlertsAtLines checks a state that reached the server: its
// problems still name alerts.yaml and the line.
func TestValidateAlertsAtLines(t *testing.T) {
	a := loadAlerts(t, "learn_for: 7d\ndetectors:\n  read_volume:\n    factor: 3\n")
	a.Config.ReadVolume.Factor = 0.5 // as a hostile client might send it
	err := Validate(&State{Alerts: a}, nil)
	if err == nil || !strings.Contains(err.Error(), "alerts.yaml:4: read_volume.factor") {
		t.Fatalf("Validate = %v, want the problem at alerts.yaml:4", err)
	}
}

func FuzzAlerts(f *testing.F) {
	f.Add("learn_for: 14d\ndetectors:\n  read_volume: {factor: 2.5}\n  sensitive_path: {retired: [a/b]}\n")
	f.Add("detectors: {unusual_hour: {watch: [ci], except: ['*']}}\n")
	f.Add("rate_limit: &a {alerts: 1}\nx: *a\n")
	f.Fuzz(func(t *testing.T, src string) {
		var ps problems
		a := parseAlerts([]byte(src), &ps)
		validateAlerts(a, &ps)
		if len(ps) == 0 && len(a.Config.Validate()) != 0 {
			t.Fatalf("accepted invalid thresholds: %v", a.Config.Validate())
		}
		for _, p := range ps {
			if p.File != AlertsFile {
				t.Fatalf("problem in %q", p.File)
			}
		}
	})
}

func TestLoadAlerts(t *testing.T) {
	cfg, err := LoadAlerts("testdata/load/alerts")
	if err != nil || cfg.LearnFor != 14*24*time.Hour || cfg.UnusualHour.Enabled {
		t.Fatalf("LoadAlerts: %v, learn_for %s", err, cfg.LearnFor)
	}
	if _, err := LoadAlerts("testdata/load/alerts-bad"); err == nil || !strings.Contains(err.Error(), "alerts.yaml:1:12") {
		t.Fatalf("bad file: %v", err)
	}
	cfg, err = LoadAlerts(t.TempDir())
	if err != nil || cfg.LearnFor != detect.DefaultConfig().LearnFor {
		t.Fatalf("no file: %v, %+v", err, cfg)
	}
}
