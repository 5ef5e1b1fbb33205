package metrics

import (
	"io"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/wardhq/ward/internal/detect"
)

// Options configures New. Every field may be left zero.
type Options struct {
	// Sealed reports whether the vault is sealed (ward_sealed).
	Sealed func() bool
	// Tokens counts live tokens (ward_tokens_live); nil: not reported,
	// nor when it fails (sealed). It is called at each scrape.
	Tokens func() (int, error)
	// Detect reports the detectors' counters (ward_detect_*); nil: not
	// reported.
	Detect func() detect.ServiceStats
	// Leases counts live leases and failing revocations (ward_leases_live,
	// ward_lease_revocations_failing); nil: not reported, nor when it
	// fails (sealed). It is called at each scrape.
	Leases func() (LeaseCounts, error)
	// Due counts the secrets due for rotation or expiry (ward_secrets_due);
	// nil: not reported. It is called at most once every DueEvery.
	Due func() (DueCounts, error)
	// DueEvery is how long Due's answer is reused; 0 is DefaultDueEvery.
	DueEvery time.Duration
	// Now is the clock of DueEvery; nil is time.Now.
	Now func() time.Time
	// PathLabels adds the request's policy path as a label. Off by
	// default: a secret's path can itself be sensitive, and every distinct
	// path is a new time series.
	PathLabels bool
}

// Metrics holds ward's metrics. It is safe for concurrent use.
type Metrics struct {
	opt       Options
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	denials   *prometheus.CounterVec
	audits    prometheus.Counter
	auditErr  prometheus.Counter
	auditDur  prometheus.Histogram
	alerts    *prometheus.CounterVec
	rotations *prometheus.CounterVec
	sealed    atomic.Pointer[func() bool]
	tokens    atomic.Pointer[func() (int, error)]
	leases    atomic.Pointer[func() (LeaseCounts, error)]
	due       dueCache
}

// New returns ward's metrics, registered and at zero.
func New(opt Options) *Metrics {
	labels := []string{"route", "method", "code"}
	if opt.PathLabels {
		labels = append(labels, "path")
	}
	m := &Metrics{
		opt: opt,
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ward_requests_total", Help: "Requests answered, by route pattern, method and status code."}, labels),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "ward_request_duration_seconds", Help: "Time to answer a request, by route pattern and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}, []string{"route", "method"}),
		denials: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ward_denials_total", Help: "Requests refused with 403, by route pattern."}, []string{"route"}),
		audits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ward_audit_writes_total", Help: "Batches written to the audit log."}),
		auditErr: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ward_audit_write_failures_total", Help: "Batches the audit log failed to write (their requests were refused)."}),
		auditDur: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ward_audit_write_duration_seconds", Help: "Time to write one batch to the audit log.",
			Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .1}}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ward_alerts_total", Help: "Alerts raised by the detectors, by detector."}, []string{"detector"}),
		rotations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ward_rotations_total", Help: "Rotation events, by result: rotated, failed (a scheduled rotation; retried), rolled-back, retired, needs-person."}, []string{"result"}),
		due: dueCache{f: opt.Due, every: opt.DueEvery, now: opt.Now},
	}
	if m.due.every == 0 {
		m.due.every = DefaultDueEvery
	}
	if m.due.now == nil {
		m.due.now = time.Now
	}
	for _, r := range RotationResults {
		m.rotations.WithLabelValues(r)
	}
	m.reg.MustRegister(m.requests, m.latency, m.denials, m.audits, m.auditErr, m.auditDur, m.alerts, m.rotations)
	m.sealed.Store(&opt.Sealed)
	m.tokens.Store(&opt.Tokens)
	m.leases.Store(&opt.Leases)
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "ward_sealed", Help: "1 while the vault is sealed, 0 while unsealed."}, func() float64 {
		if f := *m.sealed.Load(); f != nil && f() {
			return 1
		}
		return 0
	}))
	m.reg.MustRegister(&scrapeCollector{m: m})
	return m
}

// SetSealed sets Options.Sealed, for a vault opened after the metrics.
func (m *Metrics) SetSealed(f func() bool) { m.sealed.Store(&f) }

// SetTokens sets Options.Tokens, for a vault opened after the metrics.
func (m *Metrics) SetTokens(f func() (int, error)) { m.tokens.Store(&f) }

// Register adds a collector of another service's metrics (see the package
// doc); it fails when one of its metrics clashes with one already there.
func (m *Metrics) Register(c prometheus.Collector) error { return m.reg.Register(c) }

// Request counts one answered request. route is its route table pattern
// ("" when no route matched: "unmatched"); path is its canonical policy
// path, used only with Options.PathLabels.
func (m *Metrics) Request(route, method string, code int, path string, took time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	c := strconv.Itoa(code)
	if m.opt.PathLabels {
		m.requests.WithLabelValues(route, method, c, path).Inc()
	} else {
		m.requests.WithLabelValues(route, method, c).Inc()
	}
	m.latency.WithLabelValues(route, method).Observe(took.Seconds())
	if code == 403 {
		m.denials.WithLabelValues(route).Inc()
	}
}

// AuditBatch counts one audit batch; it is an audit.Config.OnBatch.
func (m *Metrics) AuditBatch(took time.Duration, err error) {
	if err != nil {
		m.auditErr.Inc()
		return
	}
	m.audits.Inc()
	m.auditDur.Observe(took.Seconds())
}

// Alert counts one alert of detector.
func (m *Metrics) Alert(detector string) { m.alerts.WithLabelValues(detector).Inc() }

// ContentType is the text format's media type, as WriteText writes it.
var ContentType = string(expfmt.NewFormat(expfmt.TypeTextPlain))

// WriteText gathers every metric and writes them in Prometheus' text
// format.
func (m *Metrics) WriteText(w io.Writer) error {
	mfs, err := m.reg.Gather()
	if err != nil {
		return err
	}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return err
		}
	}
	return nil
}
