package detect

import (
	"slices"
	"strings"
	"testing"
	"time"
)

const day = 24 * time.Hour

func TestFirstRead(t *testing.T) {
	r := newRec(t, DefaultConfig())
	workdays(8, func(ts time.Time) {
		r.eng.Observe(userEv(ts, "alice", "read", "prod/data/app/db", 200))
		if ts.Before(start.Add(2 * day)) {
			r.eng.Observe(userEv(ts, "alice", "read", "prod/data/app/learned-"+ts.Format("15"), 200))
		}
	})
	if n := r.count(DetFirstRead); n != 0 {
		t.Fatalf("%d first_read alerts while learning or for known paths: %v", n, r.take())
	}
	late := start.Add(9*day + 10*time.Hour)
	r.eng.Observe(userEv(late, "alice", "read", "prod/data/app/learned-10", 200))
	r.eng.Observe(userEv(late, "alice", "read", "prod/data/payments/stripe", 403)) // denied: not a read
	r.eng.Observe(userEv(late, "alice", "read", "prod/data/payments/stripe", 200))
	got := r.take()
	if len(got) != 1 || got[0].Detector != DetFirstRead || !slices.Equal(got[0].Paths, []string{"prod/payments/stripe"}) || got[0].Identity != "user:alice" {
		t.Fatalf("want one first_read of prod/payments/stripe by user:alice, got %+v", got)
	}
	if got[0].ID == "" || got[0].Rule == "" || !strings.Contains(got[0].Summary, "prod/payments/stripe") {
		t.Errorf("alert lacks id, rule or summary: %+v", got[0])
	}
}

func TestNewCIContext(t *testing.T) {
	r := newRec(t, DefaultConfig())
	for d := range 8 {
		ts := start.Add(time.Duration(d)*day + 10*time.Hour)
		r.eng.Observe(ciRead(ts, "octo/api", "refs/heads/main", "app/db"))
		r.eng.Observe(ciRead(ts, "octo/api", "refs/pull/"+string(rune('1'+d))+"/merge", "app/db"))
	}
	late := start.Add(9*day + 10*time.Hour)
	r.eng.Observe(ciRead(late, "octo/api", "refs/pull/99/merge", "app/db")) // grouped with the other PRs
	if got := r.take(); len(got) != 0 {
		t.Fatalf("alerts for known contexts: %+v", got)
	}
	r.eng.Observe(ciRead(late, "mallory/fork", "refs/heads/main", "app/db"))
	r.eng.Observe(ciRead(late.Add(time.Minute), "mallory/fork", "refs/heads/main", "app/db"))
	if n := r.count(DetNewCIContext); n != 1 {
		t.Fatalf("want 1 new_ci_context alert for the new repository, got %d: %+v", n, r.alerts)
	}
	if a := r.alerts[0]; !strings.Contains(a.Subject, "mallory/fork@refs/heads/main") {
		t.Errorf("subject %q does not name the new context", a.Subject)
	}
}

func TestCrossEnvironment(t *testing.T) {
	r := newRec(t, DefaultConfig())
	ev := ciRead(start, "octo/api", "refs/heads/main", "app/db")
	ev.Path, ev.Environment, ev.Status = "staging/data/app/db", "", 403
	ev.Error = "permission denied: this token is bound to another environment"
	r.eng.Observe(ev)
	got := r.take()
	if len(got) != 1 || got[0].Detector != DetCrossEnv || got[0].Subject != "staging" {
		t.Fatalf("want one cross_environment alert on staging, got %+v", got)
	}
}

func TestDenialBurst(t *testing.T) {
	r := newRec(t, DefaultConfig()) // 10 within 1m
	for i := range 9 {
		r.eng.Observe(userEv(start.Add(time.Duration(i)*5*time.Second), "bob", "read", "prod/data/x", 403))
	}
	if len(r.alerts) != 0 {
		t.Fatalf("alert before the threshold: %+v", r.alerts)
	}
	for i := range 5 {
		r.eng.Observe(userEv(start.Add(50*time.Second+time.Duration(i)*time.Second), "bob", "read", "prod/data/x", 403))
	}
	if n := r.count(DetDenialBurst); n != 1 {
		t.Fatalf("want 1 denial_burst alert, got %d", n)
	}
	// The same number spread over an hour is no burst.
	r2 := newRec(t, DefaultConfig())
	for i := range 30 {
		r2.eng.Observe(userEv(start.Add(time.Duration(i)*2*time.Minute), "bob", "read", "prod/data/x", 403))
	}
	if len(r2.alerts) != 0 {
		t.Fatalf("slow denials alerted: %+v", r2.alerts)
	}
}

func TestEnumeration(t *testing.T) {
	cfg := DefaultConfig() // 40 paths or 30 lists within 5m
	r := newRec(t, cfg)
	for i, p := range paths(45) {
		r.eng.Observe(userEv(start.Add(time.Duration(i)*time.Second), "eve", "read", "prod/data/"+p, 200))
	}
	if n := r.count(DetEnumeration); n != 1 {
		t.Fatalf("want 1 enumeration alert for 45 paths in 45s, got %d", n)
	}
	r = newRec(t, cfg)
	for i := range 35 {
		r.eng.Observe(userEv(start.Add(time.Duration(i)*time.Second), "eve", "list", "prod/metadata/app/", 200))
	}
	if n := r.count(DetEnumeration); n != 1 {
		t.Fatalf("want 1 enumeration alert for 35 lists, got %d", n)
	}
	r = newRec(t, cfg)
	for i, p := range paths(45) {
		r.eng.Observe(userEv(start.Add(time.Duration(i)*10*time.Minute), "eve", "read", "prod/data/"+p, 200))
	}
	if n := r.count(DetEnumeration); n != 0 {
		t.Fatalf("45 paths over 7 hours alerted %d times", n)
	}
}

func TestReadVolume(t *testing.T) {
	cfg := DefaultConfig() // > 200 reads and > 5x the usual per hour
	r := newRec(t, cfg)
	workdays(8, func(ts time.Time) {
		for i := range 20 {
			r.eng.Observe(userEv(ts.Add(time.Duration(i)*time.Minute), "svc", "read", "prod/data/app/db", 200))
		}
	})
	if len(r.take()) != 0 {
		t.Fatal("alert during the baseline")
	}
	hour := start.Add(9*day + 11*time.Hour)
	for i := range 99 {
		r.eng.Observe(userEv(hour.Add(time.Duration(i)*30*time.Second), "svc", "read", "prod/data/app/db", 200))
	}
	if len(r.take()) != 0 {
		t.Fatal("alert at 99 reads, below 5x the usual 20")
	}
	hour = hour.Add(time.Hour)
	for i := range 600 {
		r.eng.Observe(userEv(hour.Add(time.Duration(i)*5*time.Second), "svc", "read", "prod/data/app/db", 200))
	}
	got := r.take()
	if len(got) != 1 || got[0].Detector != DetReadVolume {
		t.Fatalf("want one read_volume alert, got %+v", got)
	}
	if !strings.Contains(got[0].Summary, "most before was 20") {
		t.Errorf("summary %q does not give the baseline", got[0].Summary)
	}
	// A day of usual reads every hour, then a second burst: alerted too.
	next := hour.Add(2 * time.Hour)
	for h := range 24 {
		for i := range 20 {
			r.eng.Observe(userEv(next.Add(time.Duration(h)*time.Hour+time.Duration(i)*time.Minute), "svc", "read", "prod/data/app/db", 200))
		}
	}
	burst := next.Add(25 * time.Hour)
	for i := range 600 {
		r.eng.Observe(userEv(burst.Add(time.Duration(i)*5*time.Second), "svc", "read", "prod/data/app/db", 200))
	}
	if n := r.count(DetReadVolume); n != 1 {
		t.Fatalf("want one read_volume alert for the second burst, got %+v", r.take())
	}
}

func TestUnusualHour(t *testing.T) {
	r := newRec(t, DefaultConfig()) // after 100 requests, 1 hour tolerance
	workdays(14, func(ts time.Time) {
		r.eng.Observe(userEv(ts.Add(15*time.Minute), "alice", "read", "prod/data/app/db", 200))
	})
	late := start.Add(15 * day)
	r.eng.Observe(userEv(late.Add(18*time.Hour+30*time.Minute), "alice", "read", "prod/data/app/db", 200)) // within tolerance
	if len(r.take()) != 0 {
		t.Fatal("alert at 18:30, next to a used hour")
	}
	r.eng.Observe(userEv(late.Add(3*time.Hour), "alice", "read", "prod/data/app/db", 200))
	r.eng.Observe(userEv(late.Add(3*time.Hour+time.Minute), "alice", "read", "prod/data/app/db", 200))
	got := r.take()
	if len(got) != 1 || got[0].Detector != DetUnusualHour || got[0].Subject != "03:00" {
		t.Fatalf("want one unusual_hour alert at 03:00, got %+v", got)
	}
}

func TestTokenAddresses(t *testing.T) {
	r := newRec(t, DefaultConfig())
	ev := func(addr string, i int) *Event {
		e := userEv(start.Add(time.Duration(i)*time.Minute), "carol", "read", "prod/data/app/db", 200)
		e.RemoteAddr = addr
		return e
	}
	r.eng.Observe(ev("10.0.0.5:1000", 0))
	r.eng.Observe(ev("10.0.0.5:2000", 1)) // another port: the same address
	if len(r.alerts) != 0 {
		t.Fatalf("alert for one address: %+v", r.alerts)
	}
	r.eng.Observe(ev("203.0.113.9:3000", 2))
	r.eng.Observe(ev("198.51.100.1:3000", 3)) // alerted once per token
	got := r.take()
	if len(got) != 1 || got[0].Detector != DetTokenAddresses || !slices.Equal(got[0].Addresses, []string{"10.0.0.5", "203.0.113.9"}) {
		t.Fatalf("want one token_addresses alert naming both, got %+v", got)
	}
	cfg := DefaultConfig()
	cfg.TokenAddresses.PrefixV4 = 24
	r = newRec(t, cfg)
	r.eng.Observe(ev("10.0.0.5:1000", 0))
	r.eng.Observe(ev("10.0.0.77:1000", 1))
	if len(r.alerts) != 0 {
		t.Fatalf("alert within one /24: %+v", r.alerts)
	}
}

func TestSensitivePath(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SensitivePath.BreakGlass = []string{"prod/break-glass/*"}
	cfg.SensitivePath.Retired = []string{"*/legacy-db"}
	r := newRec(t, cfg)
	r.eng.Observe(userEv(start, "ops", "read", "prod/data/app/db", 200))
	r.eng.Observe(userEv(start, "ops", "read", "prod/data/break-glass/root", 200))
	r.eng.Observe(userEv(start, "ops", "read", "staging/data/legacy-db", 403))
	got := r.take()
	if len(got) != 2 {
		t.Fatalf("want 2 sensitive_path alerts, got %+v", got)
	}
	if !strings.Contains(got[0].Summary, "break-glass") || !strings.Contains(got[1].Summary, "retired") || !strings.Contains(got[1].Summary, "denied") {
		t.Errorf("summaries do not say which kind: %q / %q", got[0].Summary, got[1].Summary)
	}
}

func TestDisabledDetectorsAreSilent(t *testing.T) {
	r := newRec(t, Config{DedupeFor: time.Hour, RateLimit: RateLimit{Alerts: 1, Per: time.Hour}})
	for i := range 50 {
		r.eng.Observe(userEv(start.Add(time.Duration(i)*time.Second), "x", "list", "prod/metadata/", 403))
	}
	if len(r.alerts) != 0 {
		t.Fatalf("alerts with every detector off: %+v", r.alerts)
	}
}

func TestGlob(t *testing.T) {
	for _, c := range []struct {
		p, s string
		want bool
	}{
		{"refs/pull/*", "refs/pull/12/merge", true},
		{"refs/pull/*", "refs/heads/main", false},
		{"prod/*/db", "prod/a/b/db", true},
		{"prod/*/db", "prod/db", false},
		{"*", "", true},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
		{"exact", "exact", true},
		{"exact", "exactly", false},
	} {
		if got := glob(c.p, c.s); got != c.want {
			t.Errorf("glob(%q, %q) = %v, want %v", c.p, c.s, got, c.want)
		}
	}
}

// TestReadVolumeAcrossWindows: a burst split by a window boundary, neither
// half above the threshold alone, still alerts, and only once.
func TestReadVolumeAcrossWindows(t *testing.T) {
	r := newRec(t, DefaultConfig())
	workdays(8, func(ts time.Time) {
		for i := range 20 {
			r.eng.Observe(userEv(ts.Add(time.Duration(i)*time.Minute), "svc", "read", "prod/data/app/db", 200))
		}
	})
	burst := start.Add(9*day + 10*time.Hour + 50*time.Minute)
	for i := range 360 { // 180 before 11:00, 180 after: each under min_reads 200
		r.eng.Observe(userEv(burst.Add(time.Duration(i)*time.Second*10/3), "svc", "read", "prod/data/app/db", 200))
	}
	if n := r.count(DetReadVolume); n != 1 {
		t.Fatalf("want 1 read_volume alert for a burst across 11:00, got %d: %+v", n, r.alerts)
	}
}

func TestUnusualHourExcept(t *testing.T) {
	cfg := DefaultConfig()
	cfg.UnusualHour.Except = []string{"user:oncall-*"}
	r := newRec(t, cfg)
	workdays(14, func(ts time.Time) {
		r.eng.Observe(userEv(ts, "oncall-ann", "read", "prod/data/app/db", 200))
		r.eng.Observe(userEv(ts, "bob", "read", "prod/data/app/db", 200))
	})
	night := start.Add(15*day + 3*time.Hour)
	r.eng.Observe(userEv(night, "oncall-ann", "read", "prod/data/app/db", 200))
	r.eng.Observe(userEv(night, "bob", "read", "prod/data/app/db", 200))
	if got := r.take(); len(got) != 1 || got[0].Identity != "user:bob" {
		t.Fatalf("want one unusual_hour alert, for bob only: %+v", got)
	}
}

// TestUnusualHourWatch: CI jobs are not watched by default (they run when
// people push); with watch: [ci] they are.
func TestUnusualHourWatch(t *testing.T) {
	for _, c := range []struct {
		watch []string
		want  int
	}{{nil, 0}, {[]string{"user", "token", "ci"}, 1}} {
		cfg := DefaultConfig()
		if c.watch != nil {
			cfg.UnusualHour.Watch = c.watch
		}
		r := newRec(t, cfg)
		workdays(14, func(ts time.Time) { r.eng.Observe(ciRead(ts, "octo/api", "refs/heads/main", "app/db")) })
		r.eng.Observe(ciRead(start.Add(15*day+3*time.Hour), "octo/api", "refs/heads/main", "app/db"))
		if n := r.count(DetUnusualHour); n != c.want {
			t.Errorf("watch %v: %d alerts, want %d", c.watch, n, c.want)
		}
	}
}
