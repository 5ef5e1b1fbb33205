package detect

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/audit"
)

// TestServiceFollow runs the service on a log as it is written: the lines
// already there first, then each batch after a tick of the test's own
// clock.
func TestServiceFollow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	l, err := audit.Open(audit.Config{Path: path, HMACKey: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	write := func(p string) {
		e := entry(start, "response", 200, p, "")
		if err := l.Write(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	write("prod/data/bg/old")
	cfg := DefaultConfig()
	cfg.SensitivePath.BreakGlass = []string{"prod/bg/*"}
	alerts := make(chan Alert, 10)
	s := NewService(ServiceConfig{Config: cfg, OnAlert: func(a Alert) { alerts <- a }})
	tick := make(chan time.Time)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Follow(ctx, path, func() <-chan time.Time { return tick }) }()
	next := func(want string) {
		t.Helper()
		select {
		case a := <-alerts:
			if a.Paths[0] != want {
				t.Fatalf("alert on %v, want %s", a.Paths, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no alert on %s", want)
		}
	}
	next("prod/bg/old")
	write("prod/data/bg/new")
	tick <- time.Time{}
	next("prod/bg/new")
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := s.Follow(context.Background(), filepath.Join(t.TempDir(), "none.log"), nil); !os.IsNotExist(err) {
		t.Errorf("Follow of a missing log: %v", err)
	}
}
