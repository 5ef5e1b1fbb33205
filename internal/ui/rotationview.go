package ui

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wardhq/ward/internal/audit"
	"github.com/wardhq/ward/internal/rotate"
)

// The rotation view reads three API answers with the session's token:
// sys/ward/expiring (what is due, failing or waiting for a person), the
// audit log's rotation events (type=event) and the answered rotate,
// retire and drill requests (who ran them), and for each secret rotated
// lately its rotation status (who may still hold the old version).

// expiringRow is one secret of sys/ward/expiring's answer.
type expiringRow struct {
	Env      string    `json:"env"`
	Path     string    `json:"path"`
	Reason   string    `json:"reason"` // expires_at, rotate_every or rotation
	Due      time.Time `json:"due_time"`
	Overdue  bool      `json:"overdue"`
	Owner    string    `json:"owner"`
	Rotation string    `json:"rotation"` // "", "needs a person", "failed: REASON"
	NextTry  time.Time `json:"next_try"`
}

// Failure is the reason of a failed scheduled rotation; "" when none.
func (e expiringRow) Failure() string {
	r, _ := strings.CutPrefix(e.Rotation, "failed: ")
	if r == e.Rotation {
		return ""
	}
	return r
}

// rotationEvent is one audited rotation step.
type rotationEvent struct {
	Seq    uint64
	Time   time.Time
	Kind   string // rotated, retired, rolled-back, failed, needs-person
	Path   string // within the environment
	From   string
	To     string
	Owner  string
	Reason string
	By     string // who asked, for a retirement: from its answered request
	Drill  string
}

// Retirement reports whether e is the retirement of a whole secret (its
// tombstone), rather than of an old version at the end of its overlap.
func (e rotationEvent) Retirement() bool {
	return e.Kind == "retired" && strings.HasPrefix(e.Reason, "retired")
}

// WhyRetired is a retirement's reason as given.
func (e rotationEvent) WhyRetired() string {
	return strings.TrimPrefix(strings.TrimPrefix(e.Reason, "retired"), ": ")
}

// overlapRow is a secret whose previous version is still valid.
type overlapRow struct {
	Path     string
	From, To int
	RetireAt time.Time
	Holders  []string
	Reason   string
}

// drillReport is one drill as the audit log tells it.
type drillReport struct {
	ID      string
	Time    time.Time
	By      string
	Prefix  string
	DryRun  bool
	Steps   []rotationEvent // oldest first
	Results []drillResult
}

// drillResult is what a drill did to one secret.
type drillResult struct {
	Path    string
	Outcome string // "rotated, old version retired", "needs a person (owner)", ...
	OK      bool
}

// rotationPage is the rotation view.
type rotationPage struct {
	Env         string
	Due         []expiringRow // due or overdue, nothing failed
	Failed      []expiringRow
	NeedsPerson []expiringRow
	DueErr      string
	Overlap     []overlapRow
	Recent      []rotationEvent // rotations and retirements, newest first
	Drills      []drillReport   // newest first
	EventsErr   string
	Truncated   bool
	Now         time.Time
}

// rotationWithin is how far ahead the view lists what is due.
const rotationWithin = "14d"

// eventsRead is how many audit events, and answered requests, the view reads.
const eventsRead = 1000

// overlapLookups bounds the rotation status calls of one page.
const overlapLookups = 25

func (h *Handler) rotation(w http.ResponseWriter, r *http.Request, s *session) {
	p := &rotationPage{Env: s.env, Now: h.cfg.Now()}
	if err := h.rotationDue(r, s, p); err != nil {
		h.failAPI(w, r, s, err)
		return
	}
	events, err := h.rotationEvents(r, s, p)
	if err != nil {
		h.failAPI(w, r, s, err)
		return
	}
	h.rotationOverlap(r, s, p, events)
	h.render(w, r, http.StatusOK, "rotation", &view{Title: "Rotation in " + s.env, Nav: "rotation", Session: s, Data: p})
}

// rotationDue sorts sys/ward/expiring's secrets of the environment.
func (h *Handler) rotationDue(r *http.Request, s *session, p *rotationPage) error {
	res, err := get[struct {
		Secrets []expiringRow `json:"secrets"`
	}](h, r, s, "sys/ward/expiring", url.Values{"within": {rotationWithin}})
	switch {
	case err == nil:
	case isStatus(err, http.StatusForbidden):
		p.DueErr = "Your token may not list this environment's secrets, so what is due is not shown."
		return nil
	default:
		return err
	}
	for _, e := range res.Secrets {
		switch {
		case e.Env != s.env:
		case e.Rotation == "needs a person":
			p.NeedsPerson = append(p.NeedsPerson, e)
		case e.Failure() != "":
			p.Failed = append(p.Failed, e)
		default:
			p.Due = append(p.Due, e)
		}
	}
	return nil
}

// rotationEvents reads the environment's rotation events and the answered
// requests that started them, and fills the recent list and the drills.
// It returns the events, newest first.
func (h *Handler) rotationEvents(r *http.Request, s *session, p *rotationPage) ([]rotationEvent, error) {
	q := url.Values{"type": {"event"}, "env": {s.env}, "path": {s.env + "/"}, "limit": {strconv.Itoa(eventsRead)}}
	res, err := get[audit.Result](h, r, s, "sys/ward/audit", q)
	switch {
	case err == nil:
	case isStatus(err, http.StatusForbidden):
		p.EventsErr = "Your token may not read the audit log (it needs read on sys/ward/audit), so recent rotations and drills are not shown."
		return nil, nil
	default:
		return nil, err
	}
	p.Truncated = res.Truncated
	var events []rotationEvent
	for _, rec := range res.Records {
		kind, ok := strings.CutPrefix(rec.Operation, "rotation-")
		if !ok || rec.Environment != s.env {
			continue
		}
		m := rec.Meta
		events = append(events, rotationEvent{Seq: rec.Seq, Time: rec.Time, Kind: kind, Path: strings.TrimPrefix(rec.Path, s.env+"/"),
			From: m["from_version"], To: m["to_version"], Owner: m["owner"], Reason: m["reason"], Drill: m["drill_id"]})
	}
	retires, err := h.answered(r, s, "sys/ward/retire/"+s.env+"/")
	if err != nil {
		return nil, err
	}
	drills, err := h.answered(r, s, "sys/ward/drill/"+s.env)
	if err != nil {
		return nil, err
	}
	for i := range events {
		e := &events[i]
		if e.Retirement() {
			e.By = firstAfter(retires, e.Seq, "sys/ward/retire/"+s.env+"/"+e.Path).Identity
		}
		if e.Drill == "" && (e.Kind == "rotated" || e.Retirement() || e.Kind == "rolled-back") {
			p.Recent = append(p.Recent, *e)
		}
	}
	p.Drills = drillReports(events, drills)
	return events, nil
}

// answered is the successful answers of requests under prefix in the
// session's environment, newest first.
func (h *Handler) answered(r *http.Request, s *session, prefix string) ([]audit.Record, error) {
	res, err := get[audit.Result](h, r, s, "sys/ward/audit", url.Values{"env": {s.env}, "path": {prefix}, "limit": {strconv.Itoa(eventsRead)}})
	if err != nil {
		return nil, err
	}
	out := res.Records[:0]
	for _, rec := range res.Records {
		if rec.Status < 300 && rec.Operation != "read" {
			out = append(out, rec)
		}
	}
	return out, nil
}

// firstAfter is the answer at path written first after the event at seq:
// a request's events are audited before its answer.
func firstAfter(answers []audit.Record, seq uint64, path string) audit.Record {
	var best audit.Record
	for _, a := range answers { // newest first
		if a.Seq > seq && a.Path == path {
			best = a
		}
	}
	return best
}

// drillReports groups the drills' steps by drill id, with who ran each
// over which prefix from its answered request (meta.drill_id), newest
// first. A dry run has no steps; its answer alone lists it.
func drillReports(events []rotationEvent, answers []audit.Record) []drillReport {
	byID := map[string]*drillReport{}
	var order []string
	add := func(id string) *drillReport {
		d := byID[id]
		if d == nil {
			d = &drillReport{ID: id}
			byID[id] = d
			order = append(order, id)
		}
		return d
	}
	for _, a := range answers {
		id := a.Meta["drill_id"]
		if id == "" {
			continue
		}
		d := add(id)
		d.Time, d.By, d.Prefix, d.DryRun = a.Time, a.Identity, a.Meta["drill_prefix"], a.Meta["drill_dry_run"] == "true"
	}
	for i := len(events) - 1; i >= 0; i-- { // oldest first
		e := events[i]
		if e.Drill == "" {
			continue
		}
		d := add(e.Drill)
		if d.Time.IsZero() { // its answer was not among those read
			d.Time = e.Time
		}
		d.Steps = append(d.Steps, e)
	}
	out := make([]drillReport, 0, len(order))
	for _, id := range order {
		d := byID[id]
		d.Results = drillResults(d.Steps)
		out = append(out, *d)
	}
	slices.SortStableFunc(out, func(a, b drillReport) int { return b.Time.Compare(a.Time) })
	return out
}

// drillResults sums up a drill's steps per secret, in the order the
// drill reached them.
func drillResults(steps []rotationEvent) []drillResult {
	var out []drillResult
	at := map[string]int{}
	for _, e := range steps {
		i, ok := at[e.Path]
		if !ok {
			i = len(out)
			at[e.Path] = i
			out = append(out, drillResult{Path: e.Path})
		}
		res := &out[i]
		switch e.Kind {
		case "rotated":
			res.Outcome, res.OK = "rotated: version "+e.From+" → "+e.To, true
		case "retired":
			res.Outcome += ", old version retired"
		case "needs-person":
			res.Outcome, res.OK = "needs a person", false
			if e.Owner != "" {
				res.Outcome += " (" + e.Owner + ")"
			}
		case "rolled-back":
			res.Outcome, res.OK = "rolled back: "+e.Reason, false
		case "failed":
			res.Outcome, res.OK = "failed: "+e.Reason, false
		}
	}
	return out
}

// rotationOverlap asks the rotation status of the secrets rotated lately
// (newest first, each once) and keeps those whose old version is still
// valid, with who may still hold it.
func (h *Handler) rotationOverlap(r *http.Request, s *session, p *rotationPage, events []rotationEvent) {
	seen := map[string]bool{}
	for _, e := range events {
		if e.Kind != "rotated" || seen[e.Path] || len(seen) >= overlapLookups {
			continue
		}
		seen[e.Path] = true
		st, err := h.rotationStatus(r, s, e.Path)
		if err != nil || st.Record == nil || st.Record.State != rotate.StateCurrent || st.Due {
			continue // not readable with this token, retired, or no overlap left
		}
		at, err := time.Parse(time.RFC3339, st.RetireAt)
		if err != nil {
			continue
		}
		p.Overlap = append(p.Overlap, overlapRow{Path: e.Path, From: st.Record.From, To: st.Record.To, RetireAt: at, Holders: st.Holders, Reason: st.Record.Reason})
	}
}

// rotationStatus is sys/ward/rotation's answer for the session's secret.
func (h *Handler) rotationStatus(r *http.Request, s *session, p string) (rotate.Status, error) {
	return get[rotate.Status](h, r, s, "sys/ward/rotation/"+url.PathEscape(s.env)+"/"+escapePath(p), nil)
}
