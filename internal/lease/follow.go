package lease

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Several servers on one shared store each hold a Manager over the same
// records, and only one of them (the vault's leader) runs the expiry
// scheduler. The others still issue, renew and revoke on request, so the
// Managers follow each other's writes: Refresh takes one changed record in
// (the vault calls it for every lease key in the store's change feed), and
// Reconcile takes every stored record in (the leader calls it when it takes
// over, and now and then as a backstop for a missed change).
//
// Following never moves an expiry earlier (a renewal only moves it later,
// so an older record read in a race cannot undo a newer renewal), and
// never touches a lease this Manager is issuing or revoking itself.

// Refresh reads the stored record of env's lease rest (the part of the id
// after "ENV/") and makes the Manager's copy follow it: a new lease is
// added, a renewed one moves its expiry, a failed revocation is retried
// on its schedule, and a lease whose record is gone is forgotten.
func (m *Manager) Refresh(ctx context.Context, env Env, rest string) error {
	m.beginRead()
	l, err := m.load(ctx, env, rest)
	m.mu.Lock()
	if err == nil {
		m.mergeLocked(l)
	}
	m.endReadLocked()
	m.mu.Unlock()
	if errors.Is(err, errNoLease) {
		m.dropStale(env.Name + "/" + rest)
		return nil
	}
	if err != nil {
		return fmt.Errorf("reloading lease %q: %w", env.Name+"/"+rest, err)
	}
	m.nudge()
	return nil
}

// Reconcile makes the Manager's leases follow every stored record of envs,
// as Refresh does for one: stored leases it lacks are added, changed ones
// followed, and leases it held before Reconcile began whose records are
// gone are forgotten. Unlike Recover it keeps what runs meanwhile.
func (m *Manager) Reconcile(ctx context.Context, envs []Env) error {
	held := map[string]bool{}
	m.mu.Lock()
	for id, e := range m.leases {
		if e.state == live || e.state == failed {
			held[id] = true
		}
	}
	m.reads++
	m.mu.Unlock()
	var stored []*Lease
	err := m.walkStored(ctx, envs, func(l *Lease) { stored = append(stored, l) })
	m.mu.Lock()
	if err == nil {
		for _, l := range stored {
			delete(held, l.ID)
			m.mergeLocked(l)
		}
	}
	m.endReadLocked()
	m.mu.Unlock()
	if err != nil {
		return err
	}
	for id := range held {
		m.dropStale(id)
	}
	m.nudge()
	return nil
}

// beginRead marks a read of stored records under way: a lease this
// Manager ends before endReadLocked is not taken back in from it.
func (m *Manager) beginRead() {
	m.mu.Lock()
	m.reads++
	m.mu.Unlock()
}

// endReadLocked ends a read begun with beginRead. m.mu is held.
func (m *Manager) endReadLocked() {
	m.reads--
	if m.reads == 0 {
		m.ended = nil
	}
}

// endedLocked notes that this Manager ended lease id (its record deleted,
// its entry removed), for the reads under way. m.mu is held.
func (m *Manager) endedLocked(id string) {
	if m.reads == 0 {
		return
	}
	if m.ended == nil {
		m.ended = map[string]struct{}{}
	}
	m.ended[id] = struct{}{}
}

// mergeLocked takes the stored lease l in. m.mu is held. A lease this
// Manager ended during the read that found l is not taken back: the read
// saw its record before the delete (lease ids are never used again).
func (m *Manager) mergeLocked(l *Lease) {
	if _, gone := m.ended[l.ID]; gone {
		return
	}
	st := live
	if l.Failure != nil {
		st = failed
	}
	e, ok := m.leases[l.ID]
	switch {
	case !ok:
		e = &entry{l: l, state: st}
		m.leases[l.ID] = e
		if st == live {
			m.countLocked(l)
		}
	case e.state == pending || e.state == revoking:
		return // this Manager is on it; its own write follows
	default:
		if e.state == live && st == live && l.ExpiresAt.Before(e.l.ExpiresAt) {
			return // an older record than the one held
		}
		if e.state == live && st != live {
			m.uncountLocked(e.l)
		} else if e.state != live && st == live {
			m.countLocked(l)
		}
		e.l, e.state = l, st
	}
	at, _ := e.dueAt()
	m.scheduleLocked(at, l.ID)
}

// dropStale forgets lease id if it is live or failed here: its record is
// gone, so another server ended it.
func (m *Manager) dropStale(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.leases[id]; ok && (e.state == live || e.state == failed) {
		if e.state == live {
			m.uncountLocked(e.l)
		}
		delete(m.leases, id)
	}
}

// walkStored calls fn with every stored lease of envs.
func (m *Manager) walkStored(ctx context.Context, envs []Env, fn func(*Lease)) error {
	for _, env := range envs {
		var walk func(dir string) error
		walk = func(dir string) error {
			names, err := m.cfg.Storage.List(ctx, recordKey(env.ID, dir))
			if err != nil {
				return err
			}
			for _, name := range names {
				if strings.HasSuffix(name, "/") {
					if err := walk(dir + name); err != nil {
						return err
					}
					continue
				}
				l, err := m.load(ctx, env, dir+name)
				if errors.Is(err, errNoLease) {
					continue // ended between the list and the read
				}
				if err != nil {
					return err
				}
				fn(l)
			}
			return nil
		}
		if err := walk(""); err != nil {
			return fmt.Errorf("loading the leases of environment %q: %w", env.Name, err)
		}
	}
	return nil
}
