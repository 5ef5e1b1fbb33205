package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Alert is one alert of the server's detectors: it names identities, paths
// and rules, never values.
type Alert struct {
	ID          string    `json:"id"`
	Time        time.Time `json:"time"`
	Detector    string    `json:"detector"`
	Rule        string    `json:"rule"`
	Identity    string    `json:"identity"`
	DisplayName string    `json:"display_name,omitempty"`
	Environment string    `json:"environment,omitempty"`
	Paths       []string  `json:"paths,omitempty"`
	Addresses   []string  `json:"addresses,omitempty"`
	Subject     string    `json:"subject"`
	Summary     string    `json:"summary"`
	Suppressed  int       `json:"suppressed,omitempty"`
	AckedBy     string    `json:"acked_by,omitempty"`
	AckedAt     time.Time `json:"acked_at,omitzero"`
}

// AlertFilter narrows Alerts; its zero value lists every alert held.
type AlertFilter struct {
	Unacked  bool
	Detector string
	Since    time.Time
	Limit    int
}

// Alerts lists the detectors' alerts, newest first (list on
// sys/ward/alerts/).
func (c *Client) Alerts(ctx context.Context, f AlertFilter) ([]Alert, error) {
	q := url.Values{"list": {"true"}}
	if f.Unacked {
		q.Set("unacked", "true")
	}
	if f.Detector != "" {
		q.Set("detector", f.Detector)
	}
	if !f.Since.IsZero() {
		q.Set("since", f.Since.UTC().Format(time.RFC3339))
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out envelope[struct {
		Alerts []Alert `json:"alerts"`
	}]
	return out.Data.Alerts, c.do(ctx, http.MethodGet, "sys/ward/alerts", q, nil, &out, nil)
}

// AckAlert acknowledges an alert (update on sys/ward/alerts/ID/ack) and
// returns it.
func (c *Client) AckAlert(ctx context.Context, id string) (*Alert, error) {
	var out envelope[Alert]
	return &out.Data, c.do(ctx, http.MethodPost, "sys/ward/alerts/"+url.PathEscape(id)+"/ack", nil, struct{}{}, &out, nil)
}
