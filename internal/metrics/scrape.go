package metrics

import "github.com/prometheus/client_golang/prometheus"

// scrapeCollector reports what is asked for at each scrape: live tokens,
// leases, due secrets (sources.go) and the detectors' counters.
type scrapeCollector struct{ m *Metrics }

var (
	descTokens  = prometheus.NewDesc("ward_tokens_live", "Tokens stored: the live ones, and expired ones until the next tidy (10 minutes at most).", nil, nil)
	descLines   = prometheus.NewDesc("ward_detect_lines_total", "Audit lines the detectors read.", nil, nil)
	descBad     = prometheus.NewDesc("ward_detect_unparsable_total", "Audit lines the detectors could not parse (skipped).", nil, nil)
	descDropped = prometheus.NewDesc("ward_detect_dropped_total", "Audit lines dropped because the detectors' backlog was full.", nil, nil)
	descDups    = prometheus.NewDesc("ward_detect_alerts_suppressed_total", "Alerts held back, by reason: duplicate or rate_limited.", []string{"reason"}, nil)
	descAlertAu = prometheus.NewDesc("ward_detect_alert_audit_failures_total", "Alerts the audit log could not take.", nil, nil)
	descHook    = prometheus.NewDesc("ward_detect_webhook_deliveries_total", "Alert webhook deliveries, by result: sent or failed (after its retries).", []string{"result"}, nil)
)

func (c *scrapeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descTokens, descLeases, descLeaseFail, descDue, descLines, descBad, descDropped, descDups, descAlertAu, descHook} {
		ch <- d
	}
}

func (c *scrapeCollector) Collect(ch chan<- prometheus.Metric) {
	o := c.m.opt
	if f := *c.m.tokens.Load(); f != nil {
		if n, err := f(); err == nil {
			ch <- prometheus.MustNewConstMetric(descTokens, prometheus.GaugeValue, float64(n))
		}
	}
	c.collectSources(ch)
	if o.Detect == nil {
		return
	}
	s := o.Detect()
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	counter(descLines, s.Engine.Lines)
	counter(descBad, s.Engine.Unparsable)
	counter(descDropped, s.Dropped)
	counter(descDups, s.Duplicates, "duplicate")
	counter(descDups, s.RateLimited, "rate_limited")
	counter(descAlertAu, s.AuditFailures)
	if s.Webhook != nil {
		counter(descHook, s.Webhook.Delivered, "sent")
		counter(descHook, s.Webhook.Failed+s.Webhook.Dropped, "failed")
	}
}
