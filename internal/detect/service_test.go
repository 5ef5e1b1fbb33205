package detect

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/audit"
)

type auditRec struct {
	mu      sync.Mutex
	entries []*audit.Entry
	fail    bool
}

func (a *auditRec) Write(_ context.Context, e *audit.Entry) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fail {
		return errors.New("disk full")
	}
	a.entries = append(a.entries, e)
	return nil
}

func TestLimiter(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DedupeFor, cfg.RateLimit = time.Hour, RateLimit{Alerts: 3, Per: time.Hour}
	l := newLimiter(100)
	mk := func(subject string, at time.Duration) *Alert {
		return &Alert{Time: start.Add(at), Detector: DetFirstRead, Identity: "user:a", Subject: subject}
	}
	if l.allow(mk("p1", 0), &cfg) != letThrough {
		t.Fatal("first alert held")
	}
	if l.allow(mk("p1", time.Minute), &cfg) != duplicate {
		t.Error("repeat within dedupe_for let through")
	}
	for i := 2; i <= 3; i++ {
		if l.allow(mk(fmt.Sprint("p", i), time.Minute), &cfg) != letThrough {
			t.Errorf("alert %d of 3 held", i)
		}
	}
	for i := 4; i <= 7; i++ {
		if l.allow(mk(fmt.Sprint("p", i), 2*time.Minute), &cfg) != rateLimited {
			t.Errorf("alert %d let through past the rate limit", i)
		}
	}
	other := mk("p9", 2*time.Minute)
	other.Identity = "user:b"
	if l.allow(other, &cfg) != letThrough {
		t.Error("another identity was limited by the first one's alerts")
	}
	next := mk("p8", 61*time.Minute)
	if l.allow(next, &cfg) != letThrough || next.Suppressed != 4 {
		t.Errorf("after the window: suppressed %d, want 4", next.Suppressed)
	}
	if l.allow(mk("p1", 62*time.Minute), &cfg) != letThrough {
		t.Error("a repeat after dedupe_for was held")
	}
}

func TestStore(t *testing.T) {
	now := start.Add(100 * day)
	s := NewStore(3, func() time.Time { return now })
	for i := range 3 {
		a := Alert{Time: start.Add(time.Duration(i) * time.Hour), Detector: Detectors[i], Identity: "user:a", Subject: fmt.Sprint(i)}
		a.setID()
		s.Add(a)
		s.Add(a) // the same id again is ignored
	}
	all := s.List(Filter{})
	if len(all) != 3 || all[0].Subject != "2" {
		t.Fatalf("list %+v: want 3, newest first", all)
	}
	acked, err := s.Ack(all[2].ID, "alice")
	if err != nil || acked.AckedBy != "alice" || !acked.AckedAt.Equal(now) {
		t.Fatalf("ack: %+v %v", acked, err)
	}
	if again, _ := s.Ack(all[2].ID, "bob"); again.AckedBy != "alice" {
		t.Error("a second ack replaced the first")
	}
	if _, err := s.Ack("alert-nope", "x"); !errors.Is(err, ErrNoAlert) {
		t.Errorf("ack of an unknown id: %v", err)
	}
	if n := len(s.List(Filter{Unacked: true})); n != 2 {
		t.Errorf("unacked: %d, want 2", n)
	}
	if l := s.List(Filter{Detector: Detectors[1]}); len(l) != 1 || l[0].Subject != "1" {
		t.Errorf("by detector: %+v", l)
	}
	if l := s.List(Filter{Since: start.Add(90 * time.Minute)}); len(l) != 1 {
		t.Errorf("since: %+v", l)
	}
	// Full: the acknowledged alert goes first, not the oldest unacked one.
	a := Alert{Time: start.Add(5 * time.Hour), Detector: DetFirstRead, Identity: "user:b", Subject: "new"}
	a.setID()
	s.Add(a)
	l := s.List(Filter{})
	if len(l) != 3 || l[2].Subject != "1" || l[0].Subject != "new" {
		t.Errorf("after overflow: %+v", l)
	}
}

// TestServiceRoutesAlerts checks that an alert let through lands in the
// store, the audit log and the webhook, and that audit failures are
// counted without stopping anything.
func TestServiceRoutesAlerts(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SensitivePath.BreakGlass = []string{"prod/break-glass/*"}
	aud := &auditRec{}
	s := NewService(ServiceConfig{Config: cfg, Audit: aud})
	s.Engine().Observe(userEv(start, "ops", "read", "prod/data/break-glass/root", 200))
	if len(s.Alerts(Filter{})) != 1 || len(aud.entries) != 1 || aud.entries[0].Type != "alert" {
		t.Fatalf("alert not routed: store %v audit %v", s.Alerts(Filter{}), aud.entries)
	}
	aud.fail = true
	s.Engine().Observe(userEv(start, "ops", "read", "prod/data/break-glass/other", 200))
	if st := s.Stats(); st.AuditFailures != 1 || st.Raised != 2 {
		t.Errorf("stats %+v", st)
	}
}

// TestOfferNeverBlocks fills the backlog of a service that is not
// running: Offer returns at once and counts what it drops.
func TestOfferNeverBlocks(t *testing.T) {
	s := NewService(ServiceConfig{Config: DefaultConfig(), Backlog: 2})
	line := []byte(`{"type":"response"}`)
	for range 5 {
		s.Offer(line)
	}
	if d := s.Stats().Dropped; d != 3 {
		t.Fatalf("dropped %d, want 3", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.Start(ctx)
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n := s.Stats().Engine.Lines; n != 2 {
		t.Fatalf("processed %d lines, want the 2 queued", n)
	}
}

// TestServiceFlood: thousands of alerts of one detector about one
// identity within the hour reach the store and the audit log as the rate
// limit allows, the rest counted; the first let through in the next hour
// says how many were held.
func TestServiceFlood(t *testing.T) {
	cfg := DefaultConfig() // 10 per hour
	cfg.SensitivePath.BreakGlass = []string{"prod/bg/*"}
	aud := &auditRec{}
	s := NewService(ServiceConfig{Config: cfg, Audit: aud})
	for i := range 5000 {
		s.Engine().Observe(userEv(start.Add(time.Duration(i)*100*time.Millisecond), "mallory", "read", fmt.Sprintf("prod/data/bg/%d", i), 200))
	}
	// The same reads are an enumeration too (two 5-minute windows): those
	// alerts are limited apart.
	st := s.Stats()
	sensitive := s.Alerts(Filter{Detector: DetSensitivePath})
	if len(sensitive) != 10 || st.RateLimited != 4990 || st.Raised != 12 || len(aud.entries) != 12 {
		t.Fatalf("sensitive %d, raised %d, limited %d, audit %d: want 10, 12, 4990, 12", len(sensitive), st.Raised, st.RateLimited, len(aud.entries))
	}
	s.Engine().Observe(userEv(start.Add(2*time.Hour), "mallory", "read", "prod/data/bg/next", 200))
	if a := s.Alerts(Filter{Limit: 1, Detector: DetSensitivePath}); len(a) != 1 || a[0].Suppressed != 4990 {
		t.Fatalf("next alert %+v, want suppressed 4990", a)
	}
}
