package detect

import (
	"fmt"
	"testing"
	"time"
)

// start is the time the test histories begin: a Monday, 00:00 UTC.
var start = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)

// rec is an engine that records its alerts.
type rec struct {
	eng    *Engine
	alerts []Alert
}

func newRec(t *testing.T, cfg Config) *rec {
	t.Helper()
	if errs := cfg.Validate(); len(errs) > 0 {
		t.Fatalf("invalid test config: %v", errs)
	}
	r := &rec{}
	r.eng = NewEngine(cfg, Options{Emit: func(a Alert) { r.alerts = append(r.alerts, a) }})
	return r
}

// take returns the alerts recorded since the last take.
func (r *rec) take() []Alert {
	out := r.alerts
	r.alerts = nil
	return out
}

func (r *rec) count(detector string) int {
	n := 0
	for _, a := range r.alerts {
		if a.Detector == detector {
			n++
		}
	}
	return n
}

// ciRead is a successful read by a CI job of role deploy from repo at
// main, workflow ci.yml.
func ciRead(t time.Time, repo, ref, path string) *Event {
	return &Event{
		Time: t, Identity: "jwt-repo:" + repo, Token: "hmac-sha256:tok-" + repo + t.Format("150405"),
		Environment: "prod", Path: "prod/data/" + path, Operation: "read", RemoteAddr: "10.1.2.3:5000", Status: 200,
		Role: "deploy", Repository: repo, Ref: ref, Workflow: repo + "/.github/workflows/ci.yml@" + ref,
	}
}

// userEv is a request by a user signed in with a password.
func userEv(t time.Time, user, op, path string, status int) *Event {
	return &Event{
		Time: t, Identity: "userpass-" + user, Token: "hmac-sha256:tok-" + user,
		Environment: "prod", Path: path, Operation: op, RemoteAddr: "192.0.2.10:40000", Status: status,
	}
}

// workdays calls fn for each hour from 09:00 to 17:00 of n days from start.
func workdays(n int, fn func(t time.Time)) {
	for d := range n {
		for h := 9; h <= 17; h++ {
			fn(start.Add(time.Duration(d)*24*time.Hour + time.Duration(h)*time.Hour))
		}
	}
}

func paths(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("app/secret-%02d", i)
	}
	return out
}
