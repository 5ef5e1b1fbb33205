package detect

import (
	"context"
	"io"
	"sync"
	"sync/atomic"

	"github.com/wardhq/ward/internal/audit"
)

// AuditWriter is where alerts are written as audit entries; *audit.Log is
// one. Write must not call back into the Service.
type AuditWriter interface {
	Write(ctx context.Context, e *audit.Entry) error
}

// ServiceConfig configures a Service. Every field may be left zero.
type ServiceConfig struct {
	Config  Config      // thresholds; zero: every detector off, so start from DefaultConfig
	Limits  Limits      // memory bounds of the engine and the limiter
	Store   *Store      // alerts kept for list and ack; nil: NewStore(0, nil)
	Audit   AuditWriter // each alert let through is written here; nil: not written
	Webhook *Webhook    // each alert let through is sent here; nil: not sent
	// Backlog is how many live lines Offer, and how many response
	// entries OfferEntries, may queue before they drop what comes next
	// (counted). Default 65536.
	Backlog int
	// OnAlert, if set, is called with each alert let through, after the
	// store, the audit log and the webhook have it, from the goroutine
	// that fed the line.
	OnAlert func(Alert)
}

// ServiceStats counts what a Service did.
type ServiceStats struct {
	Engine        Stats         `json:"engine"`
	Raised        int64         `json:"raised"`       // alerts let through
	Duplicates    int64         `json:"duplicates"`   // dropped as a repeat within dedupe_for
	RateLimited   int64         `json:"rate_limited"` // held back by rate_limit
	AuditFailures int64         `json:"audit_failures"`
	Dropped       int64         `json:"dropped"` // live lines dropped: the backlog was full
	Webhook       *WebhookStats `json:"webhook,omitempty"`
}

// Service runs the detectors and handles their alerts: it deduplicates and
// rate-limits them, keeps them in the Store, writes each to the audit log
// and sends it to the webhook. Feed it live with Offer (after Start) or a
// whole log with Replay.
type Service struct {
	cfg   ServiceConfig
	eng   *Engine
	store *Store

	mu  sync.Mutex // guards lim and cfg.Config for handle
	lim *limiter

	lines                                     chan item
	feed                                      feed
	raised, dups, limited, auditFail, dropped atomic.Int64
}

// NewService returns a service; call Start to feed it live.
func NewService(cfg ServiceConfig) *Service {
	if cfg.Store == nil {
		cfg.Store = NewStore(0, nil)
	}
	if cfg.Backlog <= 0 {
		cfg.Backlog = 65536
	}
	s := &Service{cfg: cfg, store: cfg.Store, lines: make(chan item, cfg.Backlog)}
	s.feed.max, s.feed.wake = cfg.Backlog, make(chan struct{}, 1)
	s.lim = newLimiter(cfg.Limits.withDefaults().Identities)
	s.eng = NewEngine(cfg.Config, Options{Emit: s.handle, Limits: cfg.Limits})
	return s
}

// Engine is the service's engine, for Snapshot, Restore and Stats.
func (s *Service) Engine() *Engine { return s.eng }

// Store is where the service keeps its alerts.
func (s *Service) Store() *Store { return s.store }

// SetConfig replaces the thresholds (after `ward apply` of alerts.yaml).
func (s *Service) SetConfig(cfg Config) {
	s.mu.Lock()
	s.cfg.Config = cfg
	s.mu.Unlock()
	s.eng.SetConfig(cfg)
}

// Offer hands the service one audit line as the log writes it, and returns
// at once: it never blocks the request that wrote the line. The line is
// copied. It reports false when the backlog is full and the line is dropped
// (counted in Stats).
func (s *Service) Offer(line []byte) bool {
	select {
	case s.lines <- item{line: append([]byte(nil), line...)}:
		return true
	default:
		s.dropped.Add(1)
		return false
	}
}

// Start processes offered lines until ctx is done.
func (s *Service) Start(ctx context.Context) {
	go func() {
		var spare []Event
		for {
			select {
			case <-ctx.Done():
				return
			case <-s.feed.wake:
				spare = s.drain(spare)
			case it := <-s.lines:
				// What OfferEntries queued before goes first, so that a
				// Flush waits for it.
				spare = s.drain(spare)
				if it.done != nil {
					close(it.done)
				} else {
					s.eng.Line(it.line)
				}
			}
		}
	}()
}

// item is one offered line or a Flush marker.
type item struct {
	line []byte
	done chan struct{} // a Flush waits for it to close
}

// Flush waits until every line offered before it is processed (after
// Start), or ctx is done. Call it before a Snapshot at shutdown.
func (s *Service) Flush(ctx context.Context) error {
	done := make(chan struct{})
	select {
	case s.lines <- item{done: done}:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Replay runs a whole log through the detectors, as Engine.Replay.
func (s *Service) Replay(ctx context.Context, r io.Reader) error { return s.eng.Replay(ctx, r) }

// Alerts lists the alerts f selects, newest first.
func (s *Service) Alerts(f Filter) []Alert { return s.store.List(f) }

// Ack acknowledges the alert id on behalf of who.
func (s *Service) Ack(id, who string) (Alert, error) { return s.store.Ack(id, who) }

// Stats returns the service's counters.
func (s *Service) Stats() ServiceStats {
	st := ServiceStats{
		Engine: s.eng.Stats(), Raised: s.raised.Load(), Duplicates: s.dups.Load(),
		RateLimited: s.limited.Load(), AuditFailures: s.auditFail.Load(), Dropped: s.dropped.Load(),
	}
	if s.cfg.Webhook != nil {
		ws := s.cfg.Webhook.Stats()
		st.Webhook = &ws
	}
	return st
}

// handle is the engine's Emit.
func (s *Service) handle(a Alert) {
	s.mu.Lock()
	verdict := s.lim.allow(&a, &s.cfg.Config)
	s.mu.Unlock()
	switch verdict {
	case duplicate:
		s.dups.Add(1)
		return
	case rateLimited:
		s.limited.Add(1)
		return
	}
	s.raised.Add(1)
	s.store.Add(a)
	if s.cfg.Audit != nil {
		if err := s.cfg.Audit.Write(context.Background(), a.AuditEntry()); err != nil {
			s.auditFail.Add(1)
		}
	}
	if s.cfg.Webhook != nil {
		s.cfg.Webhook.Send(a)
	}
	if s.cfg.OnAlert != nil {
		s.cfg.OnAlert(a)
	}
}

// Config returns the thresholds the service runs with.
func (s *Service) Config() Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg.Config
}
