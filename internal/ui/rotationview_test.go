package ui

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/audit"
)

func TestExpiringFailure(t *testing.T) {
	for rotation, want := range map[string]string{
		"":                              "",
		"needs a person":                "",
		"failed: target refused: 502":   "target refused: 502",
		"failed: ":                      "",
		"something failed: not a state": "",
	} {
		if got := (expiringRow{Rotation: rotation}).Failure(); got != want {
			t.Errorf("Failure of %q: %q, want %q", rotation, got, want)
		}
	}
}

func TestRetirement(t *testing.T) {
	for _, c := range []struct {
		e       rotationEvent
		retired bool
		why     string
	}{
		{rotationEvent{Kind: "retired", Reason: "retired: FTP replaced"}, true, "FTP replaced"},
		{rotationEvent{Kind: "retired", Reason: "retired: "}, true, ""},
		{rotationEvent{Kind: "retired"}, false, ""}, // an old version at the end of its overlap
		{rotationEvent{Kind: "rotated", Reason: "retired: x"}, false, "x"},
	} {
		if got := c.e.Retirement(); got != c.retired {
			t.Errorf("%+v: Retirement %v, want %v", c.e, got, c.retired)
		}
		if c.retired && c.e.WhyRetired() != c.why {
			t.Errorf("%+v: WhyRetired %q, want %q", c.e, c.e.WhyRetired(), c.why)
		}
	}
}

func TestDrillReports(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	// Newest first, as the audit log answers.
	events := []rotationEvent{
		{Seq: 9, Time: t0.Add(time.Hour), Kind: "needs-person", Path: "b/key", Owner: "team-b", Drill: "drill-2"},
		{Seq: 8, Time: t0.Add(time.Hour), Kind: "retired", Path: "b/db", From: "1", To: "2", Drill: "drill-2"},
		{Seq: 7, Time: t0.Add(time.Hour), Kind: "rotated", Path: "b/db", From: "1", To: "2", Drill: "drill-2"},
		{Seq: 5, Time: t0, Kind: "rotated", Path: "a/x", From: "3", To: "4"}, // no drill
		{Seq: 3, Time: t0, Kind: "rolled-back", Path: "a/y", From: "1", Reason: "target refused", Drill: "drill-1"},
	}
	answers := []audit.Record{
		{Seq: 11, Time: t0.Add(2 * time.Hour), Identity: "carol", Meta: map[string]string{"drill_id": "drill-3", "drill_prefix": "c", "drill_dry_run": "true"}},
		{Seq: 10, Time: t0.Add(time.Hour), Identity: "alice", Meta: map[string]string{"drill_id": "drill-2", "drill_prefix": "b", "drill_dry_run": "false"}},
		{Seq: 6, Time: t0, Identity: "bob"}, // a drill refused before it had an id
	}
	got := drillReports(events, answers)
	want := []drillReport{
		{ID: "drill-3", Time: t0.Add(2 * time.Hour), By: "carol", Prefix: "c", DryRun: true},
		{ID: "drill-2", Time: t0.Add(time.Hour), By: "alice", Prefix: "b", Steps: []rotationEvent{events[2], events[1], events[0]},
			Results: []drillResult{{Path: "b/db", Outcome: "rotated: version 1 → 2, old version retired", OK: true}, {Path: "b/key", Outcome: "needs a person (team-b)"}}},
		// Its answer was not among those read: when is its first step.
		{ID: "drill-1", Time: t0, Steps: []rotationEvent{events[4]}, Results: []drillResult{{Path: "a/y", Outcome: "rolled back: target refused"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("drillReports:\n got %+v\nwant %+v", got, want)
	}
}

func TestFirstAfter(t *testing.T) {
	answers := []audit.Record{ // newest first
		{Seq: 30, Path: "sys/ward/retire/staging/a", Identity: "late"},
		{Seq: 20, Path: "sys/ward/retire/staging/a", Identity: "alice"},
		{Seq: 15, Path: "sys/ward/retire/staging/b", Identity: "bob"},
		{Seq: 10, Path: "sys/ward/retire/staging/a", Identity: "early"},
	}
	for _, c := range []struct {
		seq  uint64
		path string
		want string
	}{
		{12, "sys/ward/retire/staging/a", "alice"},
		{12, "sys/ward/retire/staging/b", "bob"},
		{31, "sys/ward/retire/staging/a", ""},
		{12, "sys/ward/retire/staging/c", ""},
	} {
		if got := firstAfter(answers, c.seq, c.path).Identity; got != c.want {
			t.Errorf("firstAfter(%d, %s): %q, want %q", c.seq, c.path, got, c.want)
		}
	}
}

// TestRotationViewRefused: a token that may neither list the secrets nor
// read the audit log gets the page with what it lacks said, and the view
// asks the API nothing but reads.
func TestRotationViewRefused(t *testing.T) {
	h, api := newTestHandler()
	h.sessions["sid"] = &session{id: "sid", token: "tok", env: "staging", csrf: "c", expires: time.Now().Add(time.Hour)}
	r := httptest.NewRequest("GET", "/ui/rotation", nil)
	r.AddCookie(&http.Cookie{Name: sessionCookie, Value: "sid"})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	body := w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(body, "may not list this environment") || !strings.Contains(body, "needs read on sys/ward/audit") {
		t.Errorf("GET /ui/rotation with a refused token: %d\n%s", w.Code, body)
	}
	for _, p := range api.paths {
		if !strings.HasPrefix(p, "GET /v1/") {
			t.Errorf("the rotation view called %s", p)
		}
	}
	if !slices.Contains(api.paths, "GET /v1/sys/ward/expiring") || !slices.Contains(api.paths, "GET /v1/sys/ward/audit") {
		t.Errorf("the rotation view asked %v", api.paths)
	}
}
