package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// alertHit is one alert entry of the audit log, the JSON output of ward
// audit query --alerts.
type alertHit struct {
	Time        string   `json:"time"`
	ID          string   `json:"id"`
	Detector    string   `json:"detector"`
	Rule        string   `json:"rule"`
	Identity    string   `json:"identity"`
	Environment string   `json:"environment,omitempty"`
	Paths       []string `json:"paths,omitempty"`
	Summary     string   `json:"summary"`
}

// runAuditQueryAlerts lists the alert entries of the log (written by the
// server's detectors, see detect.Alert.AuditEntry), oldest first, narrowed
// by --path and --since. A line that is not an audit entry is counted and
// reported, not fatal: the detectors' own rule for bad lines.
func runAuditQueryAlerts(ctx context.Context, o auditQueryOptions) error {
	var env, secret string
	if o.path != "" {
		var err error
		if env, secret, err = queryPath(o.env, o.path); err != nil {
			return err
		}
	}
	var since time.Time
	if o.since != "" {
		var err error
		if since, err = parseSince(o.since, o.now()); err != nil {
			return err
		}
	}
	r, closeLog, err := openAuditLog(o.log, o.stdin)
	if err != nil {
		return err
	}
	defer closeLog()
	sc := bufio.NewScanner(ctxReader{ctx, r})
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	hits, bad, lastBad := []alertHit{}, 0, 0
	for line := 1; sc.Scan(); line++ {
		var e struct {
			Time        string            `json:"time"`
			Type        string            `json:"type"`
			RequestID   string            `json:"request_id"`
			Environment string            `json:"environment"`
			Meta        map[string]string `json:"meta"`
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			bad, lastBad = bad+1, line
			continue
		}
		if e.Type != "alert" {
			continue
		}
		h := alertHit{Time: e.Time, ID: e.RequestID, Detector: e.Meta["detector"], Rule: e.Meta["rule"],
			Identity: e.Meta["identity"], Environment: e.Environment, Summary: e.Meta["summary"]}
		if p := e.Meta["paths"]; p != "" {
			h.Paths = strings.Split(p, ",")
		}
		if secret != "" && !alertOnSecret(h.Paths, env, secret) {
			continue
		}
		if !since.IsZero() {
			t, err := time.Parse(time.RFC3339Nano, e.Time)
			if err != nil || t.Before(since) {
				continue
			}
		}
		hits = append(hits, h)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading audit log %s: %w", o.log, err)
	}
	if bad > 0 {
		fmt.Fprintf(o.stderr, "ward: %d lines of %s are not audit entries (the last is line %d); 'ward audit verify' checks the file\n", bad, o.log, lastBad)
	}
	if o.format == formatJSON {
		return printJSON(o.stdout, hits)
	}
	if len(hits) == 0 {
		fmt.Fprintf(o.stdout, "no alerts in %s\n", o.log)
		return nil
	}
	rows := [][]string{{"TIME", "DETECTOR", "IDENTITY", "SUMMARY"}}
	for _, h := range hits {
		rows = append(rows, []string{h.Time, h.Detector, h.Identity, h.Summary})
	}
	return table(o.stdout, rows)
}

// alertOnSecret reports whether an alert's paths (ENV/PATH) reach the
// secret, or anything below it for a secret ending in "/".
func alertOnSecret(paths []string, env, secret string) bool {
	for _, p := range paths {
		sp, ok := strings.CutPrefix(p, env+"/")
		if ok && (sp == secret || strings.HasSuffix(secret, "/") && strings.HasPrefix(sp, secret)) {
			return true
		}
	}
	return false
}
