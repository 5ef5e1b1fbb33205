package lease

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/wardhq/ward/internal/storage"
)

// deleteBatch is how many records one storage transaction deletes.
const deleteBatch = 1024

// maxErrorLen bounds a stored revocation error.
const maxErrorLen = 512

// Revoke ends lease id now: the engine takes the credential back and the
// record is deleted. It is for the lease's token or an admin of its
// environment. If the engine fails, the lease is kept and retried, and
// Revoke returns a *RevokeError.
func (m *Manager) Revoke(ctx context.Context, who Caller, id string) error {
	if _, _, err := splitID(id); err != nil {
		return err
	}
	m.mu.Lock()
	e, err := m.accessLocked(who, id)
	var ls []*Lease
	if err == nil {
		ls = m.claimLocked(e)
	}
	m.mu.Unlock()
	if err != nil {
		return err
	}
	_, err = m.revokeAll(ctx, ls)
	return err
}

// RevokePrefix ends every lease whose id is prefix or lies below it
// ("staging/database/creds/app" takes all of role app's leases), within the
// caller's environment. Admins only. It returns how many leases it
// revoked; failures are kept, retried and reported as a *RevokeError.
func (m *Manager) RevokePrefix(ctx context.Context, who Caller, prefix string) (int, error) {
	if !who.Admin {
		return 0, fmt.Errorf("%w: revoke-prefix needs admin", ErrPermissionDenied)
	}
	prefix = strings.TrimSuffix(prefix, "/")
	if err := checkPath("prefix", prefix); err != nil {
		return 0, err
	}
	return m.revokeWhere(ctx, func(l *Lease) bool {
		return (l.ID == prefix || strings.HasPrefix(l.ID, prefix+"/")) && mayTouch(who, l)
	})
}

// RevokeToken ends the leases of the token accessor and of every token
// below it in tree (nil: that token's alone). The vault calls it when it
// revokes a token, before the auth store forgets the tree.
func (m *Manager) RevokeToken(ctx context.Context, accessor string, tree TokenTree) (int, error) {
	accessors := []string{accessor}
	if tree != nil {
		var err error
		if accessors, err = tree.Subtree(ctx, accessor); err != nil {
			return 0, fmt.Errorf("finding the tokens below %q: %w", accessor, err)
		}
	}
	set := make(map[string]bool, len(accessors))
	for _, a := range accessors {
		set[a] = true
	}
	return m.revokeWhere(ctx, func(l *Lease) bool { return set[l.Token] })
}

// RevokeEnv ends every lease of the environment envID; the vault calls it
// before it deletes an environment.
func (m *Manager) RevokeEnv(ctx context.Context, envID string) (int, error) {
	return m.revokeWhere(ctx, func(l *Lease) bool { return l.EnvID == envID })
}

// revokeWhere claims and revokes every lease match selects.
func (m *Manager) revokeWhere(ctx context.Context, match func(*Lease) bool) (int, error) {
	var ls []*Lease
	m.mu.Lock()
	for _, e := range m.leases {
		if match(e.l) {
			ls = append(ls, m.claimLocked(e)...)
		}
	}
	m.mu.Unlock()
	return m.revokeAll(ctx, ls)
}

// claimLocked takes e for revocation and returns its lease, or nothing if
// a revocation already runs. A pending lease (its credential being made)
// is marked so that Issue revokes it as soon as it is made. m.mu is held.
func (m *Manager) claimLocked(e *entry) []*Lease {
	switch e.state {
	case pending:
		e.doomed = true
		return nil
	case revoking:
		return nil
	case live:
		m.uncountLocked(e.l)
	}
	e.state = revoking
	return []*Lease{e.l.clone()}
}

// revokeAll revokes the claimed leases ls, Config.Concurrency at a time,
// deletes the records of those revoked and keeps the others as failed.
func (m *Manager) revokeAll(ctx context.Context, ls []*Lease) (int, error) {
	if len(ls) == 0 {
		return 0, nil
	}
	errs := m.runRevokers(ctx, ls)
	var done []*Lease
	var rerr *RevokeError
	for i, l := range ls {
		if errs[i] == nil {
			done = append(done, l)
			continue
		}
		m.markFailed(ctx, l, errs[i])
		if rerr == nil {
			rerr = &RevokeError{First: l.ID, Err: errs[i]}
		}
		rerr.Failed++
	}
	revoked := 0
	for start := 0; start < len(done); start += deleteBatch {
		batch := done[start:min(start+deleteBatch, len(done))]
		ops := make([]storage.Op, len(batch))
		for i, l := range batch {
			ops[i] = storage.Op{Kind: storage.OpDelete, Key: leaseKey(l)}
		}
		if err := m.cfg.Storage.Transaction(context.WithoutCancel(ctx), ops); err != nil {
			// Taken back, but the records stay: retrying is harmless
			// (revokers are idempotent) and deletes them.
			err = fmt.Errorf("deleting the lease record: %w", err)
			for _, l := range batch {
				m.markFailed(ctx, l, err)
			}
			if rerr == nil {
				rerr = &RevokeError{First: batch[0].ID, Err: err}
			}
			rerr.Failed += len(batch)
			continue
		}
		m.mu.Lock()
		for _, l := range batch {
			delete(m.leases, l.ID)
			m.endedLocked(l.ID)
		}
		m.mu.Unlock()
		revoked += len(batch)
		for _, l := range batch {
			m.notify(Event{Kind: EventRevoked, Lease: l})
		}
	}
	if rerr != nil {
		return revoked, rerr
	}
	return revoked, nil
}

// runRevokers asks the engines to take back ls, Config.Concurrency jobs at
// a time: a batch of up to batchSize leases for an engine that is a
// BatchRevoker, one lease otherwise. It returns one error per lease.
func (m *Manager) runRevokers(ctx context.Context, ls []*Lease) []error {
	errs := make([]error, len(ls))
	var jobs []func()
	byKind := map[string][]int{}
	for i, l := range ls {
		byKind[l.Kind] = append(byKind[l.Kind], i)
	}
	for kind, idx := range byKind {
		br, ok := m.revoker(kind).(BatchRevoker)
		if !ok {
			for _, i := range idx {
				jobs = append(jobs, func() { errs[i] = m.revokeOne(ctx, ls[i]) })
			}
			continue
		}
		for start := 0; start < len(idx); start += batchSize {
			part := idx[start:min(start+batchSize, len(idx))]
			jobs = append(jobs, func() {
				batch := make([]*Lease, len(part))
				for j, i := range part {
					batch[j] = ls[i]
				}
				res := br.RevokeBatch(ctx, batch)
				for j, i := range part {
					if j < len(res) {
						errs[i] = res[j]
					} else {
						errs[i] = fmt.Errorf("the %s engine returned no result for this lease", kind)
					}
				}
			})
		}
	}
	work := make(chan func())
	var wg sync.WaitGroup
	for range min(m.cfg.Concurrency, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range work {
				job()
			}
		}()
	}
	for _, job := range jobs {
		work <- job
	}
	close(work)
	wg.Wait()
	return errs
}

// batchSize is the most leases one RevokeBatch call is given.
const batchSize = 1024

// revokeOne asks l's engine to take its credential back.
func (m *Manager) revokeOne(ctx context.Context, l *Lease) error {
	r := m.revoker(l.Kind)
	if r == nil {
		return fmt.Errorf("no revoker for kind %q", l.Kind)
	}
	return r.Revoke(ctx, l)
}

// markFailed records a failed revocation of l and schedules its retry.
func (m *Manager) markFailed(ctx context.Context, l *Lease, cause error) {
	now := m.now()
	msg := cause.Error()
	if len(msg) > maxErrorLen {
		msg = msg[:maxErrorLen] + "…"
	}
	m.mu.Lock()
	e, ok := m.leases[l.ID]
	if !ok {
		m.mu.Unlock()
		return
	}
	if e.state == live || e.state == pending {
		m.uncountLocked(e.l)
	}
	f := Failure{LastError: msg, LastAttempt: now}
	if e.l.Failure != nil {
		f.Attempts = e.l.Failure.Attempts
	}
	f.Attempts++
	f.NextAttempt = now.Add(m.backoff(f.Attempts))
	e.l.Failure = &f
	e.state = failed
	m.scheduleLocked(f.NextAttempt, l.ID)
	rec := e.l.clone()
	m.mu.Unlock()
	m.notify(Event{Kind: EventRevokeFailed, Lease: rec.clone(), Err: cause})
	m.cfg.Logger.Warn("lease revocation failed; will retry",
		"lease_id", l.ID, "attempts", f.Attempts, "next_attempt", f.NextAttempt, "error", msg)
	if err := m.store(context.WithoutCancel(ctx), rec); err != nil {
		m.cfg.Logger.Warn("storing a failed revocation", "lease_id", l.ID, "error", err.Error())
	}
	m.nudge()
}

// fail is markFailed for a lease being issued whose record could not be
// deleted after its create failed.
func (m *Manager) fail(id string, cause error) {
	m.mu.Lock()
	e, ok := m.leases[id]
	var l *Lease
	if ok {
		l = e.l.clone()
	}
	m.mu.Unlock()
	if ok {
		m.markFailed(context.Background(), l, cause)
	}
}

// backoff is the wait before retry number attempts+1.
func (m *Manager) backoff(attempts int) time.Duration {
	d := m.cfg.RetryBase
	for i := 1; i < attempts && d < m.cfg.RetryMax; i++ {
		d *= 2
	}
	return min(d, m.cfg.RetryMax)
}
