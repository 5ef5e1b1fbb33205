package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// LeaseCounts is what Options.Leases reports at a scrape.
type LeaseCounts struct {
	Live    int // issued and not ended
	Failing int // revocations failing and being retried
}

// DueCounts is what Options.Due reports: secrets whose rotate_every
// (counted from the current version's write) or expires_at has passed
// (Overdue), or comes within DueWindow (Soon, not yet overdue).
type DueCounts struct {
	RotateOverdue, RotateSoon int
	ExpireOverdue, ExpireSoon int
}

// DueWindow is how soon a due date must be to count as soon: the
// inventory's own window (14 days).
const DueWindow = 14 * 24 * time.Hour

// DefaultDueEvery is how long a DueCounts is reused before Options.Due is
// called again: counting walks every secret's metadata, which a scrape
// every 15 seconds should not repeat each time.
const DefaultDueEvery = time.Minute

// RotationResults are the results Rotation counts, which the rotation
// engine reports as its event kinds (rotate.EventKind): each is exported
// at zero from the start, so that a dashboard's rate() has a series.
var RotationResults = []string{"rotated", "failed", "rolled-back", "retired", "needs-person"}

var (
	descLeases    = prometheus.NewDesc("ward_leases_live", "Leases of dynamic credentials issued and not yet ended.", nil, nil)
	descLeaseFail = prometheus.NewDesc("ward_lease_revocations_failing", "Leases whose revocation failed and is being retried.", nil, nil)
	descDue       = prometheus.NewDesc("ward_secrets_due", "Secrets due for rotation (reason rotate_every) or expiry (reason expires_at): overdue, or due within 14 days (soon). Counted at most once a minute.", []string{"reason", "state"}, nil)
)

// SetLeases sets Options.Leases, for a vault opened after the metrics.
func (m *Metrics) SetLeases(f func() (LeaseCounts, error)) { m.leases.Store(&f) }

// SetDue sets Options.Due, for a vault opened after the metrics; the
// counts kept from an earlier source are dropped.
func (m *Metrics) SetDue(f func() (DueCounts, error)) {
	m.due.mu.Lock()
	m.due.f, m.due.at = f, time.Time{}
	m.due.mu.Unlock()
}

// Rotation counts one rotation event of the given result, one of
// RotationResults (another is counted under its own name): the hook the
// rotation engine's event sink calls, as in
//
//	rotate.Config{Events: func(ev rotate.Event) { m.Rotation(string(ev.Kind)) }}
func (m *Metrics) Rotation(result string) { m.rotations.WithLabelValues(result).Inc() }

// dueCache calls its source at most once every `every`, and keeps the
// last good answer until then. A failed call (sealed) reports nothing and
// is tried again at the next scrape.
type dueCache struct {
	mu    sync.Mutex
	f     func() (DueCounts, error) // guarded by mu
	every time.Duration
	now   func() time.Time
	at    time.Time // guarded by mu; when last is from, zero for none
	last  DueCounts // guarded by mu
}

func (c *dueCache) get() (DueCounts, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f == nil {
		return DueCounts{}, false
	}
	now := c.now()
	if !c.at.IsZero() && now.Sub(c.at) < c.every {
		return c.last, true
	}
	d, err := c.f()
	if err != nil {
		c.at = time.Time{}
		return DueCounts{}, false
	}
	c.last, c.at = d, now
	return d, true
}

// collectSources sends the lease and due gauges, when their sources
// answer.
func (c *scrapeCollector) collectSources(ch chan<- prometheus.Metric) {
	if f := *c.m.leases.Load(); f != nil {
		if n, err := f(); err == nil {
			ch <- prometheus.MustNewConstMetric(descLeases, prometheus.GaugeValue, float64(n.Live))
			ch <- prometheus.MustNewConstMetric(descLeaseFail, prometheus.GaugeValue, float64(n.Failing))
		}
	}
	if d, ok := c.m.due.get(); ok {
		for _, g := range []struct {
			reason, state string
			n             int
		}{
			{"rotate_every", "overdue", d.RotateOverdue}, {"rotate_every", "soon", d.RotateSoon},
			{"expires_at", "overdue", d.ExpireOverdue}, {"expires_at", "soon", d.ExpireSoon},
		} {
			ch <- prometheus.MustNewConstMetric(descDue, prometheus.GaugeValue, float64(g.n), g.reason, g.state)
		}
	}
}
