package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/wardhq/ward/internal/detect"
	"github.com/wardhq/ward/internal/vault"
)

// alertList answers LIST|GET sys/ward/alerts (list on sys/ward/alerts/):
// the detectors' alerts, newest first, in data.alerts. Query parameters
// narrow it: unacked=true, detector=NAME, since=RFC3339, limit=N.
func (s *Server) alertList(ctx context.Context, req *request) (*response, error) {
	f, err := alertFilter(req)
	if err != nil {
		return nil, err
	}
	alerts, err := s.v.Alerts(f)
	if err != nil {
		return nil, alertError(err)
	}
	if alerts == nil {
		alerts = []detect.Alert{}
	}
	ids := make([]string, len(alerts))
	for i, a := range alerts {
		ids[i] = a.ID
	}
	body := envelope(req, map[string]any{"alerts": alerts, "keys": ids})
	delete(body, "mount_type")
	return &response{status: http.StatusOK, body: body, auditData: map[string]any{"count": len(alerts)}}, nil
}

// alertRead answers GET sys/ward/alerts/{name}.
func (s *Server) alertRead(ctx context.Context, req *request) (*response, error) {
	alerts, err := s.v.Alerts(detect.Filter{})
	if err != nil {
		return nil, alertError(err)
	}
	for _, a := range alerts {
		if a.ID == req.params["name"] {
			return alertResponse(req, a), nil
		}
	}
	return nil, errorf(http.StatusNotFound, "no alert %q; list them with 'ward alerts list'", req.params["name"])
}

// alertAck answers POST|PUT sys/ward/alerts/{name}/ack (update on
// sys/ward/alerts/{name}/ack): the alert, acknowledged by the caller.
func (s *Server) alertAck(ctx context.Context, req *request) (*response, error) {
	a, err := s.v.AckAlert(ctx, &req.Caller, req.params["name"])
	if err != nil {
		return nil, alertError(err)
	}
	return alertResponse(req, a), nil
}

func alertResponse(req *request, a detect.Alert) *response {
	body := envelope(req, a)
	delete(body, "mount_type")
	return &response{status: http.StatusOK, body: body, auditData: map[string]any{"id": a.ID, "detector": a.Detector}}
}

func alertFilter(req *request) (detect.Filter, error) {
	q := req.query
	f := detect.Filter{Detector: q.Get("detector")}
	if v := q.Get("unacked"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return f, errorf(http.StatusBadRequest, "unacked must be true or false, not %q", v)
		}
		f.Unacked = b
	}
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return f, errorf(http.StatusBadRequest, "since must be an RFC 3339 time such as 2026-12-01T00:00:00Z, not %q", v)
		}
		f.Since = t
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return f, errorf(http.StatusBadRequest, "limit must be a whole number of alerts, not %q", v)
		}
		f.Limit = n
	}
	return f, nil
}

func alertError(err error) error {
	switch {
	case errors.Is(err, vault.ErrNoDetectors):
		return errorf(http.StatusNotFound, "this server runs no detectors; hint: they run in 'ward server' unless --detect=false")
	case errors.Is(err, detect.ErrNoAlert):
		return errorf(http.StatusNotFound, "%s", err.Error())
	}
	return err
}
