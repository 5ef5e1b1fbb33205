package rotate_test

import (
	"sync"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/rotate"
)

func TestScheduler(t *testing.T) {
	f := newFixture(false)
	f.seed("every-hour", rotate.Meta{Type: "password", RotateEvery: time.Hour, Overlap: 10 * time.Minute})
	f.seed("expiring", rotate.Meta{Type: "password", ExpiresAt: t0.Add(48 * time.Hour), Overlap: 24 * time.Hour})
	f.seed("not-due", rotate.Meta{Type: "password"})
	f.store.Put("prod", "cert", rotate.Meta{Type: "tls", Owner: "team-edge", RotateEvery: time.Hour}, map[string]any{"cert": "c", "key": "k"})
	r := f.rotator(nil)
	var mu sync.Mutex
	var events []rotate.Event
	s := rotate.NewScheduler(rotate.SchedulerConfig{
		Engines: []rotate.Engine{r}, Now: f.clock.Now, RetryBase: time.Minute, RetryMax: 8 * time.Minute,
		Events: func(ev rotate.Event) { mu.Lock(); events = append(events, ev); mu.Unlock() },
	})
	tick := func(want rotate.TickReport) {
		t.Helper()
		got, err := s.Tick(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("at %v: tick %+v; want %+v", f.clock.Now().Sub(t0), got, want)
		}
	}
	tick(rotate.TickReport{})
	f.clock.Advance(time.Hour)
	// every-hour is due; cert needs a person.
	tick(rotate.TickReport{Due: 2, Rotated: 1, NeedsPerson: 1})
	if v := f.mustHold(t, "every-hour").Version; v != 2 {
		t.Fatalf("every-hour at version %d", v)
	}
	fails := s.Failures()
	if len(fails) != 1 || !fails[0].NeedsPerson || fails[0].Item.Path != "cert" || fails[0].Item.Owner != "team-edge" {
		t.Fatalf("failures %+v", fails)
	}
	// The reminder is not repeated for the same due date.
	f.clock.Advance(11 * time.Minute)
	tick(rotate.TickReport{Retired: 1})
	// ahead of expires_at by the overlap: at 24h.
	f.clock.Advance(23*time.Hour - 11*time.Minute)
	f.target.SetDown(true)
	rep, err := s.Tick(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed != 2 || rep.Rotated != 0 {
		t.Fatalf("tick with the target down: %+v", rep)
	}
	if s, _ := f.store.Read(ctx, "prod", "expiring"); s.Version != 1 {
		t.Fatal("a failed rotation changed the current version")
	}
	var failed *rotate.Failure
	for _, fl := range s.Failures() {
		if fl.Item.Path == "expiring" {
			failed = &fl
		}
	}
	if failed == nil || failed.Attempts != 1 || failed.Reason == "" || !failed.NextTry.Equal(f.clock.Now().Add(time.Minute)) {
		t.Fatalf("failure %+v", failed)
	}
	// Backing off: not retried before NextTry.
	f.clock.Advance(30 * time.Second)
	if rep, _ := s.Tick(ctx); rep.Failed+rep.Rotated != 0 {
		t.Fatalf("retried during backoff: %+v", rep)
	}
	f.clock.Advance(30 * time.Second)
	if rep, _ := s.Tick(ctx); rep.Failed != 2 {
		t.Fatalf("second attempt: %+v", rep)
	}
	for _, fl := range s.Failures() {
		if fl.Item.Path == "expiring" && (fl.Attempts != 2 || !fl.NextTry.Equal(f.clock.Now().Add(2*time.Minute))) {
			t.Fatalf("second failure %+v", fl)
		}
	}
	f.target.SetDown(false)
	f.clock.Advance(2 * time.Minute)
	if rep, _ := s.Tick(ctx); rep.Rotated != 2 {
		t.Fatalf("after the target came back: %+v", rep)
	}
	if cur := f.mustHold(t, "expiring"); cur.Version == 1 || cur.Data["password"] == dbPassword["password"] {
		t.Fatal("expiring did not rotate ahead of its expiry")
	}
	for _, fl := range s.Failures() {
		if !fl.NeedsPerson {
			t.Fatalf("failure left after success: %+v", fl)
		}
	}
	kinds := map[rotate.EventKind]int{}
	for _, ev := range events {
		kinds[ev.Kind]++
	}
	if kinds[rotate.EventFailed] != 4 {
		t.Fatalf("events %v", kinds)
	}
	// needs-person: each due date once (the cert is due again after
	// every failed check only when its due date moves; it does not).
	needs := 0
	for _, ev := range f.events {
		if ev.Kind == rotate.EventNeedsPerson {
			needs++
		}
	}
	if needs != 1 {
		t.Fatalf("%d needs-person events; want 1", needs)
	}
}
