package rotate

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"
)

// SchedulerConfig configures a Scheduler. Engines is required.
type SchedulerConfig struct {
	Engines []Engine
	Events  Events           // nil: dropped
	Now     func() time.Time // nil: time.Now
	// After waits; nil: time.After. Tests give a fake clock's.
	After func(time.Duration) <-chan time.Time
	// RetryBase and RetryMax shape the backoff of a failed rotation:
	// RetryBase doubled per attempt, at most RetryMax. 0: 1 min and 1 h.
	RetryBase, RetryMax time.Duration
	// Workers bounds rotations run at once; 0: 4.
	Workers int
}

// Scheduler rotates what is due: at rotate_every, and ahead of expires_at
// by the overlap. A failed rotation is retried with backoff and kept in
// Failures with its reason (the old value stays current); an item without
// a generator becomes one EventNeedsPerson per due date and a Failure
// saying so, never a silent skip. One Scheduler per store; Tick is not
// meant to run concurrently with itself.
type Scheduler struct {
	cfg SchedulerConfig

	mu       sync.Mutex
	failures map[string]*Failure // guarded by mu; by itemKey
}

// Failure is an item whose rotation failed, or needs a person: what
// `ward kv expiring` shows next to it.
type Failure struct {
	Item        Item      `json:"item"`
	NeedsPerson bool      `json:"needs_person"`
	Reason      string    `json:"reason"`
	Attempts    int       `json:"attempts"`
	Since       time.Time `json:"since"`
	NextTry     time.Time `json:"next_try,omitzero"` // zero for NeedsPerson: retried when due again
	dueAt       time.Time
}

// NewScheduler returns a Scheduler.
func NewScheduler(cfg SchedulerConfig) *Scheduler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.After == nil {
		cfg.After = time.After
	}
	if cfg.Events == nil {
		cfg.Events = func(Event) {}
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = time.Minute
	}
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = time.Hour
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	return &Scheduler{cfg: cfg, failures: map[string]*Failure{}}
}

// TickReport says what one Tick did.
type TickReport struct {
	Due, Rotated, Failed, NeedsPerson, Retired int
}

// Tick retires old values whose overlap ended and rotates every due item
// once. Errors listing items are returned (joined); rotation failures are
// not errors of Tick: they are in Failures and events.
func (s *Scheduler) Tick(ctx context.Context) (TickReport, error) {
	var rep TickReport
	now := s.cfg.Now()
	var errs []error
	// Retire first: a due rotation of an alternating pair reuses the
	// previous user.
	for _, e := range s.cfg.Engines {
		n, err := e.Finish(ctx)
		rep.Retired += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	var due []Item
	for _, e := range s.cfg.Engines {
		items, err := e.Items(ctx, "", "")
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, it := range items {
			if s.isDue(it, now) {
				due = append(due, it)
			}
		}
	}
	rep.Due = len(due)
	outcomes := make([]string, len(due))
	parallel(len(due), s.cfg.Workers, func(i int) { outcomes[i] = s.rotate(ctx, due[i], now) })
	for _, o := range outcomes {
		switch o {
		case "rotated":
			rep.Rotated++
		case "needs-person":
			rep.NeedsPerson++
		default:
			rep.Failed++
		}
	}
	return rep, errors.Join(errs...)
}

// isDue: the item's due date has come, and it is not backing off or
// already reminded for this due date.
func (s *Scheduler) isDue(it Item, now time.Time) bool {
	at, ok := dueAt(it)
	if !ok || now.Before(at) {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.failures[itemKey(it)]
	switch {
	case f == nil:
		return true
	case f.NeedsPerson:
		return !f.dueAt.Equal(at) // a new due date: remind again
	default:
		return !now.Before(f.NextTry)
	}
}

func (s *Scheduler) rotate(ctx context.Context, it Item, now time.Time) string {
	var engine Engine
	for _, e := range s.cfg.Engines {
		if e.Kind() == it.Kind {
			engine = e
		}
	}
	_, err := engine.RotateItem(ctx, it, Options{Reason: "schedule"})
	k := itemKey(it)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		delete(s.failures, k)
		return "rotated"
	}
	f := s.failures[k]
	if f == nil {
		f = &Failure{Item: it, Since: now.UTC()}
		s.failures[k] = f
	}
	f.Item, f.Reason = it, err.Error()
	f.dueAt, _ = dueAt(it)
	f.Attempts++
	if isNeedsPerson(err) {
		f.NeedsPerson, f.NextTry = true, time.Time{}
		return "needs-person"
	}
	f.NeedsPerson = false
	f.NextTry = now.Add(s.backoff(f.Attempts)).UTC()
	s.cfg.Events(Event{Kind: EventFailed, Env: it.Env, Path: it.Path, Owner: it.Owner, Reason: f.Reason, Attempts: f.Attempts, At: now.UTC()})
	return "failed"
}

func (s *Scheduler) backoff(attempts int) time.Duration {
	d := s.cfg.RetryBase
	for i := 1; i < attempts && d < s.cfg.RetryMax; i++ {
		d *= 2
	}
	return min(d, s.cfg.RetryMax)
}

// Failures lists the items whose last scheduled rotation failed or needs a
// person, by environment and path.
func (s *Scheduler) Failures() []Failure {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Failure, 0, len(s.failures))
	for _, f := range s.failures {
		out = append(out, *f)
	}
	slices.SortFunc(out, func(a, b Failure) int {
		if c := strings.Compare(a.Item.Env, b.Item.Env); c != 0 {
			return c
		}
		return strings.Compare(a.Item.Path, b.Item.Path)
	})
	return out
}

// Run ticks every interval until ctx ends. Errors of a tick are passed to
// onError (nil: dropped).
func (s *Scheduler) Run(ctx context.Context, interval time.Duration, onError func(error)) {
	for {
		if _, err := s.Tick(ctx); err != nil && onError != nil {
			onError(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.cfg.After(interval):
		}
	}
}
