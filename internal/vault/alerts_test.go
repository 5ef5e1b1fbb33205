package vault

import (
	"context"
	"errors"
	"testing"

	"github.com/wardhq/ward/internal/detect"
	"github.com/wardhq/ward/internal/plan"
	"github.com/wardhq/ward/internal/storage/memory"
)

func alertsState(distinct int) *plan.State {
	cfg := detect.DefaultConfig()
	cfg.Enumeration.DistinctPaths = distinct
	return &plan.State{Manages: plan.Manages{Alerts: true},
		Alerts: &plan.Alerts{Config: cfg, Source: plan.Source{File: plan.AlertsFile, Line: 1}}}
}

// TestApplyAlerts: plan shows alerts.yaml's changes, apply stores them and
// hands them to the detectors, and they are back after a restart.
func TestApplyAlerts(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	svc := detect.NewService(detect.ServiceConfig{Config: detect.DefaultConfig()})
	v, res := openTestVault(t, Config{Storage: store, Detect: svc})

	changes, _, err := v.Plan(ctx, alertsState(99), ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 1 || changes[0].Kind != plan.KindAlerts || changes[0].Action != plan.Create {
		t.Fatalf("plan of a first alerts.yaml = %+v, want one alerts create", changes)
	}
	found := false
	for _, f := range changes[0].Fields {
		if f.Field == "enumeration.distinct_paths" && f.New == "99" {
			found = true
		}
	}
	if !found {
		t.Errorf("the plan does not show enumeration.distinct_paths becoming 99: %+v", changes[0].Fields)
	}
	if _, err := v.Apply(ctx, alertsState(99), ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := svc.Config().Enumeration.DistinctPaths; got != 99 {
		t.Errorf("after apply the detectors run with distinct_paths %d, want 99", got)
	}
	if changes, _, _ := v.Plan(ctx, alertsState(99), ApplyOptions{}); len(changes) != 0 {
		t.Errorf("plan after apply = %+v, want none", changes)
	}
	changes, _, _ = v.Plan(ctx, alertsState(50), ApplyOptions{})
	if len(changes) != 1 || changes[0].Action != plan.Update {
		t.Errorf("plan of a changed threshold = %+v, want one update", changes)
	}

	// A restart: a new service starts from the defaults, and unseal gives
	// it the stored thresholds.
	if err := v.Seal(); err != nil {
		t.Fatal(err)
	}
	svc2 := detect.NewService(detect.ServiceConfig{Config: detect.DefaultConfig()})
	v2, err := Open(Config{Storage: store, AuditPath: v.cfg.AuditPath, Detect: svc2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v2.Close() })
	if _, err := v2.Unseal(ctx, res.Shares[0]); err != nil {
		t.Fatal(err)
	}
	if got := svc2.Config().Enumeration.DistinctPaths; got != 99 {
		t.Errorf("after a restart the detectors run with distinct_paths %d, want 99", got)
	}
	// Another server sharing the store applies; ReloadAlerts picks it up.
	svc2.SetConfig(detect.DefaultConfig())
	if err := v2.ReloadAlerts(ctx); err != nil {
		t.Fatal(err)
	}
	if got := svc2.Config().Enumeration.DistinctPaths; got != 99 {
		t.Errorf("after ReloadAlerts the detectors run with distinct_paths %d, want 99", got)
	}
}

func TestAlertsWithoutDetectors(t *testing.T) {
	ctx := context.Background()
	v, _ := newTestVault(t)
	changes, _, err := v.Plan(ctx, alertsState(99), ApplyOptions{})
	if err != nil || len(changes) != 0 {
		t.Errorf("a vault without detectors planned %+v, %v; want nothing", changes, err)
	}
	if _, err := v.Alerts(detect.Filter{}); !errors.Is(err, ErrNoDetectors) {
		t.Errorf("Alerts without detectors: %v, want ErrNoDetectors", err)
	}
}
