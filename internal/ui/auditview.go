package ui

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wardhq/ward/internal/audit"
)

// auditPage is the audit timeline: answered requests, newest first.
type auditPage struct {
	Env        string
	Identity   string
	Path       string
	Repository string
	Since      string
	Until      string
	Query      string // the filters, encoded, for the live feed
	Result     *audit.Result
	Error      string
	Now        time.Time
}

var auditParams = []string{"identity", "path", "repository", "since", "until"}

// auditFilters reads the timeline's filters from r; the path is given in
// the environment ("payments/db"), and searched among the API paths of it.
func auditFilters(r *http.Request, s *session) url.Values {
	in := r.URL.Query()
	q := url.Values{}
	for _, k := range auditParams {
		if v := strings.TrimSpace(in.Get(k)); v != "" {
			q.Set(k, v)
		}
	}
	return q
}

func (h *Handler) auditQuery(r *http.Request, s *session, f url.Values, after string) (*audit.Result, error) {
	q := url.Values{"limit": {"100"}}
	for k, v := range f {
		q[k] = v
	}
	if p := f.Get("path"); p != "" {
		// Every KV path of a secret starts ENV/data/ or ENV/metadata/...;
		// the filter matches the data path, which reads and writes share.
		if !strings.HasPrefix(p, s.env+"/") {
			p = s.env + "/data/" + strings.TrimPrefix(p, "/")
		}
		q.Set("path", p)
	}
	if s.root {
		q.Set("env", s.env)
	}
	if after != "" {
		q.Set("after", after)
	}
	res, err := get[audit.Result](h, r, s, "sys/ward/audit", q)
	if err != nil {
		return nil, err
	}
	return &res, nil
}

func (h *Handler) audit(w http.ResponseWriter, r *http.Request, s *session) {
	f := auditFilters(r, s)
	p := &auditPage{Env: s.env, Identity: f.Get("identity"), Path: f.Get("path"), Repository: f.Get("repository"),
		Since: f.Get("since"), Until: f.Get("until"), Query: f.Encode(), Now: h.cfg.Now()}
	res, err := h.auditQuery(r, s, f, "")
	switch {
	case err == nil:
		p.Result = res
	case isStatus(err, http.StatusBadRequest):
		p.Error = msgOf(err)
	case isStatus(err, http.StatusForbidden):
		p.Error = "Your token may not read the audit log (it needs read on sys/ward/audit)."
	default:
		h.failAPI(w, r, s, err)
		return
	}
	h.render(w, r, http.StatusOK, "audit", &view{Title: "Audit in " + s.env, Nav: "audit", Session: s, Data: p})
}

// feedRecord is one record of the live feed, as ui.js shows it.
type feedRecord struct {
	Seq       uint64 `json:"seq"`
	Time      string `json:"time"`
	Identity  string `json:"identity"`
	Operation string `json:"operation"`
	Path      string `json:"path"`
	Status    int    `json:"status"`
	Error     string `json:"error"`
	Pipeline  string `json:"pipeline"`
	Remote    string `json:"remote"`
}

// auditFeed answers the timeline's live updates: the records after seq
// "after", newest first, as JSON.
func (h *Handler) auditFeed(w http.ResponseWriter, r *http.Request, s *session) {
	after := r.URL.Query().Get("after")
	if _, err := strconv.ParseUint(after, 10, 64); err != nil {
		http.Error(w, `{"error":"after must be a line number"}`, http.StatusBadRequest)
		return
	}
	res, err := h.auditQuery(r, s, auditFilters(r, s), after)
	if err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		json.NewEncoder(w).Encode(map[string]string{"error": msgOf(err)})
		return
	}
	out := struct {
		Head    uint64       `json:"head"`
		Records []feedRecord `json:"records"`
	}{Head: res.Head, Records: []feedRecord{}}
	for _, rec := range res.Records {
		out.Records = append(out.Records, feedRecord{Seq: rec.Seq, Time: when(rec.Time), Identity: rec.Identity, Operation: rec.Operation,
			Path: rec.Path, Status: rec.Status, Error: rec.Error, Pipeline: pipeline(rec.Meta), Remote: rec.RemoteAddr})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}
