package detect

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestServiceStateAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	s := NewService(ServiceConfig{Config: DefaultConfig()})
	if err := s.LoadState(dir); err != nil {
		t.Fatalf("LoadState of an empty directory: %v", err)
	}
	a := Alert{Time: time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC), Detector: "sensitive_path", Identity: "user:ann", Subject: "prod/bg/root"}
	a.setID()
	s.Store().Add(a)
	if _, err := s.Ack(a.ID, "bob"); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveState(dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{StateFile, AlertsFile} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v; want 0600", f, err, fi.Mode())
		}
	}
	s2 := NewService(ServiceConfig{Config: DefaultConfig()})
	if err := s2.LoadState(dir); err != nil {
		t.Fatal(err)
	}
	got := s2.Alerts(Filter{})
	if len(got) != 1 || got[0].ID != a.ID || got[0].AckedBy != "bob" {
		t.Errorf("after a restart: %+v, want the acked alert", got)
	}
	os.WriteFile(filepath.Join(dir, AlertsFile), []byte("{not json"), 0o600)
	if err := NewService(ServiceConfig{}).LoadState(dir); err == nil || !strings.Contains(err.Error(), AlertsFile) {
		t.Errorf("a damaged alerts file: %v, want an error naming it", err)
	}
}
