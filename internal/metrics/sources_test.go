package metrics

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/rotate"
)

func TestLeaseGauges(t *testing.T) {
	m := New(Options{})
	if out := scrape(t, m); strings.Contains(out, "ward_leases_live") {
		t.Error("leases reported with no source")
	}
	var err error
	m.SetLeases(func() (LeaseCounts, error) { return LeaseCounts{Live: 12, Failing: 2}, err })
	out := scrape(t, m)
	for _, want := range []string{"ward_leases_live 12", "ward_lease_revocations_failing 2"} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
	err = errors.New("sealed")
	if out := scrape(t, m); strings.Contains(out, "ward_leases_live") {
		t.Error("leases reported while their source fails")
	}
}

func TestDueCountedAtMostOnceAMinute(t *testing.T) {
	now := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	calls, fail := 0, false
	m := New(Options{Now: func() time.Time { return now }, Due: func() (DueCounts, error) {
		calls++
		if fail {
			return DueCounts{}, errors.New("sealed")
		}
		return DueCounts{RotateOverdue: calls, RotateSoon: 4, ExpireOverdue: 1, ExpireSoon: 2}, nil
	}})
	out := scrape(t, m)
	for _, want := range []string{
		`ward_secrets_due{reason="rotate_every",state="overdue"} 1`,
		`ward_secrets_due{reason="rotate_every",state="soon"} 4`,
		`ward_secrets_due{reason="expires_at",state="overdue"} 1`,
		`ward_secrets_due{reason="expires_at",state="soon"} 2`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
	now = now.Add(59 * time.Second)
	scrape(t, m)
	if calls != 1 {
		t.Fatalf("Due called %d times within a minute, want 1", calls)
	}
	now = now.Add(time.Second)
	if out := scrape(t, m); calls != 2 || !strings.Contains(out, `ward_secrets_due{reason="rotate_every",state="overdue"} 2`) {
		t.Errorf("after a minute: %d calls, scrape:\n%s", calls, out)
	}
	fail = true
	now = now.Add(time.Minute)
	if out := scrape(t, m); strings.Contains(out, "ward_secrets_due") {
		t.Error("due counts reported while their source fails")
	}
	fail = false
	if scrape(t, m); calls != 4 {
		t.Errorf("a failed count was kept: %d calls, want 4", calls)
	}
}

func TestRotationResults(t *testing.T) {
	m := New(Options{})
	out := scrape(t, m)
	// Every event kind of the rotation engine has a series from the start.
	for _, k := range []rotate.EventKind{rotate.EventRotated, rotate.EventFailed, rotate.EventRolledBack, rotate.EventRetired, rotate.EventNeedsPerson} {
		if want := `ward_rotations_total{result="` + string(k) + `"} 0`; !strings.Contains(out, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
	m.Rotation(string(rotate.EventFailed))
	m.Rotation(string(rotate.EventFailed))
	m.Rotation(string(rotate.EventRotated))
	out = scrape(t, m)
	for _, want := range []string{`ward_rotations_total{result="failed"} 2`, `ward_rotations_total{result="rotated"} 1`} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
}
