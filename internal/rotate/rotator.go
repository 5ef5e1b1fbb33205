package rotate

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/wardhq/ward/internal/rotate/generate"
	"github.com/wardhq/ward/internal/types"
)

// Config configures a Rotator. Store is required; zero values of the
// others are documented on each.
type Config struct {
	Store Store
	// Targets returns the target of a secret, or nil when ward's store is
	// the only place the value lives. nil: no secret has a target.
	Targets func(*Secret) Target
	// Consumers tells who read which version; nil: old versions are
	// retired only when their overlap ends.
	Consumers Consumers
	// Types returns a custom type by name; nil: built-in types only.
	Types func(name string) (*types.Type, error)
	// Generator makes new values; nil: generate.New with crypto/rand.
	Generator *generate.Generator
	// Leases and Graveyard serve Retire; nil Leases revokes none, nil
	// Graveyard refuses Retire.
	Leases    LeaseRevoker
	Graveyard Graveyard
	Events    Events           // nil: events are dropped
	Now       func() time.Time // nil: time.Now
	Rand      io.Reader        // rotation ids; nil: crypto/rand
}

// Rotator runs rotations of KV secrets. It is safe for concurrent use; two
// rotations of one secret are kept apart by a lock here and by the Store's
// check-and-set across processes.
type Rotator struct {
	cfg   Config
	locks sync.Map // env "\x00" path → *sync.Mutex
}

// New returns a Rotator.
func New(cfg Config) *Rotator {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = crand.Reader
	}
	if cfg.Generator == nil {
		cfg.Generator = generate.New(generate.Config{})
	}
	if cfg.Events == nil {
		cfg.Events = func(Event) {}
	}
	return &Rotator{cfg: cfg}
}

// Options shape one rotation.
type Options struct {
	// NoOverlap retires the old value as soon as the new one is current,
	// and checks that it no longer works at the target: for a secret
	// thought compromised.
	NoOverlap bool
	Reason    string // recorded: "schedule", "manual", "drill", ...
	DrillID   string
}

// Result is what a rotation did.
type Result struct {
	Record Record
	// OldRetired is true when the old value was retired at once
	// (NoOverlap).
	OldRetired bool
	// Verified says what the target confirmed: "new works, old dead",
	// "new works" (overlap), or "no target" when ward does not manage the
	// place the value is used.
	Verified string
}

func (r *Rotator) lock(env, path string) func() {
	m, _ := r.locks.LoadOrStore(env+"\x00"+path, new(sync.Mutex))
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

func (r *Rotator) target(s *Secret) Target {
	if r.cfg.Targets == nil {
		return nil
	}
	return r.cfg.Targets(s)
}

func (r *Rotator) typeOf(name string) (*types.Type, error) {
	if t := types.Builtin(name); t != nil {
		return t, nil
	}
	if r.cfg.Types == nil || name == "" {
		return nil, nil
	}
	return r.cfg.Types(name)
}

func (r *Rotator) emit(ev Event) {
	ev.At = r.cfg.Now().UTC()
	r.cfg.Events(ev)
}

// Rotate gives env's secret at path a new value now. A rotation of the
// same secret still in its overlap is finished first (its old version is
// retired). Errors: ErrNeedsPerson (no generator; an EventNeedsPerson is
// sent), ErrConflict, ErrInProgress, ErrTarget, ErrNotFound.
func (r *Rotator) Rotate(ctx context.Context, env, path string, opt Options) (*Result, error) {
	defer r.lock(env, path)()
	s, err := r.cfg.Store.Read(ctx, env, path)
	if err != nil {
		return nil, err
	}
	if rec, err := r.cfg.Store.Record(ctx, env, path); err == nil {
		if rec.State != StateCurrent {
			return nil, fmt.Errorf("%s %s: %w (state %s); hint: it is finished or rolled back at the next start, or by Recover", env, path, ErrInProgress, rec.State)
		}
		if _, err := r.retire(ctx, rec); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	typ, err := r.typeOf(s.Meta.Type)
	if err != nil {
		return nil, err
	}
	if typ == nil || !generate.CanGenerate(typ) {
		r.emit(Event{Kind: EventNeedsPerson, Env: env, Path: path, From: s.Version, Owner: s.Meta.Owner, Reason: opt.Reason, DrillID: opt.DrillID})
		return nil, fmt.Errorf("%s %s (type %q): %w; hint: ask its owner %q to write a new version", env, path, s.Meta.Type, ErrNeedsPerson, s.Meta.Owner)
	}
	next, err := r.cfg.Generator.Next(typ, s.Data)
	if err != nil {
		return nil, fmt.Errorf("%s %s: making the new value: %w", env, path, err)
	}
	id := make([]byte, 8)
	if _, err := io.ReadFull(r.cfg.Rand, id); err != nil {
		return nil, err
	}
	overlap := s.Meta.Overlap
	if overlap <= 0 {
		overlap = DefaultOverlap
	}
	if opt.NoOverlap {
		overlap = 0
	}
	rec := &Record{ID: hex.EncodeToString(id), Env: env, Path: path, From: s.Version, State: StatePending,
		Started: r.cfg.Now().UTC(), Overlap: overlap, Reason: opt.Reason, DrillID: opt.DrillID, Recipients: s.Meta.Recipients}
	to, err := r.cfg.Store.WritePending(ctx, rec, next)
	if err != nil {
		return nil, fmt.Errorf("%s %s: writing the new version: %w", env, path, err)
	}
	rec.To = to
	return r.advance(ctx, rec, s, s.Data, next)
}

// advance takes a pending rotation through apply, current and (with no
// overlap) retirement.
func (r *Rotator) advance(ctx context.Context, rec *Record, s *Secret, old, next map[string]any) (*Result, error) {
	res := &Result{Verified: "no target"}
	if t := r.target(s); t != nil && rec.State == StatePending {
		err := t.Apply(ctx, s, old, next)
		if err == nil {
			err = t.Verify(ctx, s, next)
		}
		if err != nil {
			r.rollback(ctx, rec, s, old, next)
			return nil, fmt.Errorf("%s %s: %w: %w; the old version stays current", rec.Env, rec.Path, ErrTarget, err)
		}
		res.Verified = "new works"
	}
	if rec.State == StatePending {
		rec.State = StateApplied
		if err := r.cfg.Store.PutRecord(ctx, rec); err != nil {
			return nil, err
		}
	}
	if err := r.cfg.Store.MakeCurrent(ctx, rec.Env, rec.Path, rec.From, rec.To); err != nil {
		if errors.Is(err, ErrConflict) {
			r.rollback(ctx, rec, s, old, next)
		}
		return nil, fmt.Errorf("%s %s: making version %d current: %w", rec.Env, rec.Path, rec.To, err)
	}
	rec.State, rec.CurrentAt = StateCurrent, r.cfg.Now().UTC()
	if err := r.cfg.Store.PutRecord(ctx, rec); err != nil {
		return nil, err
	}
	r.emit(Event{Kind: EventRotated, Env: rec.Env, Path: rec.Path, From: rec.From, To: rec.To, Reason: rec.Reason, DrillID: rec.DrillID})
	res.Record = *rec
	if rec.Overlap > 0 {
		return res, nil
	}
	dead, err := r.retire(ctx, rec)
	if err != nil {
		return res, err
	}
	res.OldRetired = true
	if dead != nil {
		if *dead {
			res.Verified = "new works, old dead"
		} else {
			res.Verified = "new works, OLD STILL WORKS"
			return res, fmt.Errorf("%s %s: %w: the old value still works after it was disabled", rec.Env, rec.Path, ErrTarget)
		}
	}
	return res, nil
}

// rollback undoes a rotation that did not become current: the new value
// is disabled at the target (and the old one put back where the target
// held only one), the pending version destroyed, the record removed.
func (r *Rotator) rollback(ctx context.Context, rec *Record, s *Secret, old, next map[string]any) {
	ctx = context.WithoutCancel(ctx)
	if t := r.target(s); t != nil && next != nil {
		t.Disable(ctx, s, next)
		if old != nil && t.Verify(ctx, s, old) != nil {
			t.Apply(ctx, s, next, old)
		}
	}
	r.cfg.Store.Destroy(ctx, rec.Env, rec.Path, rec.To)
	r.cfg.Store.DeleteRecord(ctx, rec.Env, rec.Path)
	r.emit(Event{Kind: EventRolledBack, Env: rec.Env, Path: rec.Path, From: rec.From, To: rec.To, DrillID: rec.DrillID})
}

// retire disables rec.From at the target, destroys it and removes the
// record. With a target it reports whether the old value is dead there
// (nil without a target, or when the old value was already destroyed).
func (r *Rotator) retire(ctx context.Context, rec *Record) (*bool, error) {
	old, err := r.cfg.Store.Version(ctx, rec.Env, rec.Path, rec.From)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	var dead *bool
	if old != nil {
		s := &Secret{Env: rec.Env, Path: rec.Path, Version: rec.From, Data: old}
		if cur, err := r.cfg.Store.Read(ctx, rec.Env, rec.Path); err == nil {
			s.Meta = cur.Meta
		}
		if t := r.target(s); t != nil {
			if err := t.Disable(ctx, s, old); err != nil {
				return nil, fmt.Errorf("%s %s: disabling version %d: %w: %w", rec.Env, rec.Path, rec.From, ErrTarget, err)
			}
			d := t.Verify(ctx, s, old) != nil
			dead = &d
		}
	}
	if err := r.cfg.Store.Destroy(ctx, rec.Env, rec.Path, rec.From); err != nil {
		return nil, err
	}
	if err := r.cfg.Store.DeleteRecord(ctx, rec.Env, rec.Path); err != nil {
		return nil, err
	}
	r.emit(Event{Kind: EventRetired, Env: rec.Env, Path: rec.Path, From: rec.From, To: rec.To, DrillID: rec.DrillID})
	return dead, nil
}
