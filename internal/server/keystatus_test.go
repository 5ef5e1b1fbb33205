package server

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/vault"
)

// sys/key-status answers Vault's shape: the active term and its
// install_time, set by init and by each rotation on the vault's clock.
func TestKeyStatusInstallTime(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	var now atomic.Int64
	now.Store(t0.UnixNano())
	s := startServer(t, vault.Config{Now: func() time.Time { return time.Unix(0, now.Load()) }}, Config{})
	check := func(wantTerm float64, want time.Time) {
		t.Helper()
		st, body := s.do("GET", "/v1/sys/key-status", s.root, "")
		if st != 200 {
			t.Fatalf("key-status: %d %v", st, body)
		}
		got, err := time.Parse(time.RFC3339Nano, body["install_time"].(string))
		if err != nil || !got.Equal(want) || body["term"] != wantTerm {
			t.Fatalf("key-status: %v (%v); want term %v installed %v", body, err, wantTerm, want)
		}
		if data, _ := body["data"].(map[string]any); data["install_time"] != body["install_time"] || data["term"] != wantTerm {
			t.Fatalf("key-status data: %v", body["data"])
		}
	}
	check(1, t0)
	later := t0.Add(36 * time.Hour)
	now.Store(later.UnixNano())
	if st, body := s.do("PUT", "/v1/sys/rotate", s.root, ""); st != 204 {
		t.Fatalf("rotate: %d %v", st, body)
	}
	check(2, later)
}
