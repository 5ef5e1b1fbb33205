package rotate

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// Recover finishes or rolls back every rotation a crash left unfinished,
// so that the old or the new value is current and valid at the target.
// Call it at start, before the scheduler. A pending rotation whose new
// value the target already accepts (or that has no target) is finished;
// otherwise it is rolled back. An applied one is made current, or rolled
// back if another writer changed the secret meanwhile. One in its overlap
// with no overlap asked (a drill) is retired. Errors are joined; each
// record is tried.
func (r *Rotator) Recover(ctx context.Context) error {
	recs, err := r.cfg.Store.Records(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, rec := range recs {
		if err := r.recoverOne(ctx, rec); err != nil {
			errs = append(errs, fmt.Errorf("%s %s: %w", rec.Env, rec.Path, err))
		}
	}
	return errors.Join(errs...)
}

func (r *Rotator) recoverOne(ctx context.Context, rec *Record) error {
	defer r.lock(rec.Env, rec.Path)()
	if rec.State == StateCurrent {
		if rec.Overlap == 0 {
			_, err := r.retire(ctx, rec)
			return err
		}
		return nil
	}
	s, err := r.cfg.Store.Read(ctx, rec.Env, rec.Path)
	if errors.Is(err, ErrNotFound) {
		return r.cfg.Store.DeleteRecord(ctx, rec.Env, rec.Path)
	}
	if err != nil {
		return err
	}
	next, err := r.cfg.Store.Version(ctx, rec.Env, rec.Path, rec.To)
	if errors.Is(err, ErrNotFound) {
		// Rolled back up to the record's removal.
		return r.cfg.Store.DeleteRecord(ctx, rec.Env, rec.Path)
	}
	if err != nil {
		return err
	}
	if s.Version == rec.To {
		// Made current and the record lagged, or, after a crash left ours
		// pending, another writer wrote version To: the store tells them
		// apart by the pending value. The writer's version stays as it is.
		if err := r.cfg.Store.MakeCurrent(ctx, rec.Env, rec.Path, rec.From, rec.To); errors.Is(err, ErrConflict) {
			if err := r.cfg.Store.DeleteRecord(ctx, rec.Env, rec.Path); err != nil {
				return err
			}
			r.emit(Event{Kind: EventRolledBack, Env: rec.Env, Path: rec.Path, From: rec.From, To: rec.To, DrillID: rec.DrillID})
			return nil
		} else if err != nil {
			return err
		}
		rec.State, rec.CurrentAt = StateCurrent, r.cfg.Now().UTC()
		if err := r.cfg.Store.PutRecord(ctx, rec); err != nil {
			return err
		}
		if rec.Overlap == 0 {
			_, err = r.retire(ctx, rec)
		}
		return err
	}
	old, err := r.cfg.Store.Version(ctx, rec.Env, rec.Path, rec.From)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if s.Version != rec.From {
		// Another writer moved the secret on: ours never becomes current.
		r.rollback(ctx, rec, s, nil, next)
		return nil
	}
	if rec.State == StatePending {
		if t := r.target(s); t != nil && t.Verify(ctx, s, next) != nil {
			r.rollback(ctx, rec, s, old, next)
			return nil
		}
		rec.State = StateApplied
		if err := r.cfg.Store.PutRecord(ctx, rec); err != nil {
			return err
		}
	}
	_, err = r.advance(ctx, rec, s, old, next)
	return err
}

// Finish retires the old version of every rotation whose overlap is over,
// or whose recipients have all read the new version, and returns how many
// it retired. Errors are joined; each record is tried.
func (r *Rotator) Finish(ctx context.Context) (int, error) {
	recs, err := r.cfg.Store.Records(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, rec := range recs {
		if rec.State != StateCurrent {
			continue
		}
		due, err := r.due(ctx, rec)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !due {
			continue
		}
		unlock := r.lock(rec.Env, rec.Path)
		_, err = r.retire(ctx, rec)
		unlock()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// due reports whether rec's old version may be retired now: its overlap
// is over, or every recipient it began with has read the new version. It
// reads the usage records only in the second case, so the scheduler's
// Finish stays cheap with thousands of rotations in their overlap.
func (r *Rotator) due(ctx context.Context, rec *Record) (bool, error) {
	if !r.cfg.Now().Before(rec.CurrentAt.Add(rec.Overlap)) {
		return true, nil
	}
	if r.cfg.Consumers == nil || len(rec.Recipients) == 0 {
		return false, nil
	}
	reads, err := r.cfg.Consumers.LastRead(ctx, rec.Env, rec.Path)
	if err != nil {
		return false, err
	}
	for _, who := range rec.Recipients {
		if reads[who] < rec.To {
			return false, nil
		}
	}
	return true, nil
}

// Status is where a secret's last rotation stands: what
// `ward kv rotation status` shows.
type Status struct {
	Record *Record `json:"record,omitempty"` // nil: no rotation under way
	// Holders are the recipients (and other readers) whose last read is
	// older than the new version: they may still hold the old value.
	Holders []string `json:"holders"`
	// RetireAt is when the overlap ends.
	RetireAt string `json:"retire_at,omitempty"`
	// Due is true when the old version may be retired now.
	Due bool `json:"due"`
}

// Status reports env's secret at path's rotation in progress.
func (r *Rotator) Status(ctx context.Context, env, path string) (*Status, error) {
	rec, err := r.cfg.Store.Record(ctx, env, path)
	if errors.Is(err, ErrNotFound) {
		return &Status{Holders: []string{}}, nil
	}
	if err != nil {
		return nil, err
	}
	return r.status(ctx, rec)
}

func (r *Rotator) status(ctx context.Context, rec *Record) (*Status, error) {
	st := &Status{Record: rec, Holders: []string{}}
	if rec.State != StateCurrent {
		return st, nil
	}
	end := rec.CurrentAt.Add(rec.Overlap)
	st.RetireAt = end.Format("2006-01-02T15:04:05Z07:00")
	if !r.cfg.Now().Before(end) {
		st.Due = true
	}
	s, err := r.cfg.Store.Read(ctx, rec.Env, rec.Path)
	if err != nil {
		return nil, err
	}
	var reads map[string]int
	if r.cfg.Consumers != nil {
		if reads, err = r.cfg.Consumers.LastRead(ctx, rec.Env, rec.Path); err != nil {
			return nil, err
		}
	}
	recipientsMovedOn := true
	for _, who := range s.Meta.Recipients {
		if reads[who] < rec.To {
			st.Holders = append(st.Holders, who)
			recipientsMovedOn = false
		}
	}
	for who, v := range reads {
		if v < rec.To && !slices.Contains(st.Holders, who) {
			st.Holders = append(st.Holders, who)
		}
	}
	slices.Sort(st.Holders)
	// Every recipient moved on: retire early. Without recipients only the
	// overlap retires (unknown readers may hold the old value).
	if r.cfg.Consumers != nil && len(s.Meta.Recipients) > 0 && recipientsMovedOn {
		st.Due = true
	}
	return st, nil
}
