package ui

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wardhq/ward/internal/detect"
	"github.com/wardhq/ward/internal/lazyre"
)

// detectorInfo says what an alert of one detector means and what to do
// about it, for the person reading it.
type detectorInfo struct {
	Title   string
	Meaning string
	Action  string
}

// detectors explains each of detect.Detectors.
var detectors = map[string]detectorInfo{
	detect.DetFirstRead: {"First read of a path",
		"An identity read a secret it had never read before.",
		"Expected after a deploy or a new job; otherwise check who the identity is and whether its policy is too wide."},
	detect.DetNewCIContext: {"CI role from a new context",
		"A CI role logged in from a repository, ref or workflow it never came from.",
		"Check the role's bound claims: a fork or a new branch should not reach production's secrets."},
	detect.DetCrossEnv: {"Token tried another environment",
		"A token bound to one environment asked for another environment's secrets.",
		"A misconfigured job, or a stolen token probing: find the pipeline run in the audit view."},
	detect.DetDenialBurst: {"Burst of denials",
		"Many requests by one identity were refused in a short window.",
		"A broken job retrying, or someone guessing paths: look at the denied paths in the audit view."},
	detect.DetEnumeration: {"Enumeration",
		"One identity touched many distinct paths, or listed many folders, in a short window.",
		"Jobs read what their manifest declares; walking the tree is what an intruder does first."},
	detect.DetReadVolume: {"Read volume far above usual",
		"An identity read far more than its own baseline in one window.",
		"A new job may explain it; otherwise treat the secrets read as exposed."},
	detect.DetUnusualHour: {"Access at an unusual hour",
		"An identity was active at an hour of the day it never uses.",
		"Confirm with the person or the schedule behind the identity."},
	detect.DetTokenAddresses: {"One token from two addresses",
		"The same token was used from two source addresses.",
		"Tokens are short-lived and used from one runner: a copy elsewhere means it leaked. Revoke it."},
	detect.DetSensitivePath: {"Break-glass or retired secret read",
		"A secret marked break-glass or retired in alerts.yaml was read.",
		"Break-glass reads need a reason on record; a retired secret should never be read: rotate it if it was."},
}

// alertRow is one alert as the page shows it.
type alertRow struct {
	detect.Alert
	Info detectorInfo
}

// alertsPage is the alerts view.
type alertsPage struct {
	Env       string
	Detector  string
	State     string // "open" (not acknowledged) or "all"
	Detectors []string
	Rows      []alertRow
	Hidden    int    // alerts of other environments, not shown
	Acked     string // the alert just acknowledged
	Error     string
	Now       time.Time
}

// alertsShown is how many alerts the view asks the API for.
const alertsShown = 200

var alertIDRE = lazyre.New(`^alert-[0-9a-f]{1,64}$`)

// inScope reports whether a session of env shows a: an alert of its own
// environment; one of no environment (an address without a token) only
// to a root session, which reaches every environment.
func inScope(s *session, a *detect.Alert) bool {
	return a.Environment == s.env || a.Environment == "" && s.root
}

func (h *Handler) alerts(w http.ResponseWriter, r *http.Request, s *session) {
	in := r.URL.Query()
	p := &alertsPage{Env: s.env, Detector: in.Get("detector"), State: in.Get("state"), Detectors: detect.Detectors, Now: h.cfg.Now()}
	if p.State != "all" {
		p.State = "open"
	}
	if id := in.Get("acked"); alertIDRE().MatchString(id) {
		p.Acked = id
	}
	q := url.Values{"list": {"true"}, "limit": {strconv.Itoa(alertsShown)}}
	if p.State == "open" {
		q.Set("unacked", "true")
	}
	if p.Detector != "" {
		if !slices.Contains(detect.Detectors, p.Detector) {
			p.Error = "There is no detector " + p.Detector + "; pick one from the list."
			p.Detector = ""
		} else {
			q.Set("detector", p.Detector)
		}
	}
	res, err := get[struct {
		Alerts []detect.Alert `json:"alerts"`
	}](h, r, s, "sys/ward/alerts", q)
	switch {
	case err == nil:
	case isStatus(err, http.StatusForbidden):
		p.Error = "Your token may not list alerts (it needs list on sys/ward/alerts/)."
	case isStatus(err, http.StatusNotFound):
		p.Error = "This server runs no detectors (it was started with --no-detect), so there are no alerts."
	default:
		h.failAPI(w, r, s, err)
		return
	}
	for _, a := range res.Alerts {
		if !inScope(s, &a) {
			p.Hidden++
			continue
		}
		p.Rows = append(p.Rows, alertRow{Alert: a, Info: detectors[a.Detector]})
	}
	h.render(w, r, http.StatusOK, "alerts", &view{Title: "Alerts in " + s.env, Nav: "alerts", Session: s, Data: p})
}

// ackAlert acknowledges one alert of the session's environment, as the
// signed-in person, and goes back to the list it came from.
func (h *Handler) ackAlert(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PostFormValue("id")
	if !alertIDRE().MatchString(id) {
		h.fail(w, r, s, http.StatusBadRequest, "That is not an alert's id.")
		return
	}
	a, err := get[detect.Alert](h, r, s, "sys/ward/alerts/"+id, nil)
	if err == nil && !inScope(s, &a) {
		err = &apiError{Status: http.StatusNotFound}
	}
	if err == nil {
		err = h.api(r.Context(), r, s.token, call{method: "POST", path: "sys/ward/alerts/" + id + "/ack"}, nil)
	}
	if err != nil {
		h.failAPI(w, r, s, err)
		return
	}
	back := url.Values{"acked": {id}}
	for _, k := range []string{"detector", "state"} {
		if v := strings.TrimSpace(r.PostFormValue(k)); v != "" {
			back.Set(k, v)
		}
	}
	http.Redirect(w, r, "/ui/alerts?"+back.Encode(), http.StatusSeeOther)
}
