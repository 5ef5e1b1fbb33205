package lease

import (
	"container/heap"
	"context"
	"time"
)

// dueItem says lease id may be due at when. Items are never removed when a
// lease changes: a popped item whose time no longer matches its lease is
// skipped.
type dueItem struct {
	when time.Time
	id   string
}

// dueHeap orders dueItems soonest first.
type dueHeap []dueItem

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].when.Before(h[j].when) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(dueItem)) }
func (h *dueHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

func (h *dueHeap) push(when time.Time, id string) { heap.Push(h, dueItem{when, id}) }

// scheduleLocked queues lease id for when. Stale items are dropped as Run
// meets them; a Manager whose Run is not running (a server that does not
// lead the expiry on a shared store) would keep them all, so when the queue
// holds more than twice the leases it is rebuilt from them. m.mu is held.
func (m *Manager) scheduleLocked(when time.Time, id string) {
	m.due.push(when, id)
	if len(m.due) <= 2*len(m.leases)+64 {
		return
	}
	m.due = m.due[:0]
	for id, e := range m.leases {
		if at, ok := e.dueAt(); ok {
			m.due = append(m.due, dueItem{at, id})
		}
	}
	heap.Init(&m.due)
}

// dueAt is when e next needs the scheduler: its expiry while live, its
// next attempt while failed; ok is false otherwise.
func (e *entry) dueAt() (time.Time, bool) {
	switch e.state {
	case live:
		return e.l.ExpiresAt, true
	case failed:
		return e.l.Failure.NextAttempt, true
	}
	return time.Time{}, false
}

// Tick revokes every lease that has expired and retries every failed
// revocation whose time has come, and returns how many leases it revoked.
// Run calls it; tests call it with a fake clock.
func (m *Manager) Tick(ctx context.Context) (int, error) {
	m.mu.Lock()
	idle := m.due.Len() == 0
	m.mu.Unlock()
	if idle {
		return 0, nil // nothing queued: not even the clock is read
	}
	now := m.now()
	var ls []*Lease
	m.mu.Lock()
	for m.due.Len() > 0 && !m.due[0].when.After(now) {
		it := heap.Pop(&m.due).(dueItem)
		e, ok := m.leases[it.id]
		if !ok {
			continue
		}
		if at, ok := e.dueAt(); !ok || !at.Equal(it.when) {
			continue // stale: renewed, retried or revoked since
		}
		ls = append(ls, m.claimLocked(e)...)
	}
	m.mu.Unlock()
	return m.revokeAll(ctx, ls)
}

// next returns when the soonest lease is due, dropping stale items.
func (m *Manager) next() (time.Time, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for m.due.Len() > 0 {
		it := m.due[0]
		if e, ok := m.leases[it.id]; ok {
			if at, ok := e.dueAt(); ok && at.Equal(it.when) {
				return it.when, true
			}
		}
		heap.Pop(&m.due)
	}
	return time.Time{}, false
}

// Run is the expiry scheduler: it calls Tick whenever a lease is due, until
// ctx ends. The vault runs it while unsealed, after Recover.
func (m *Manager) Run(ctx context.Context) {
	for {
		if _, err := m.Tick(ctx); err != nil && ctx.Err() == nil {
			m.cfg.Logger.Warn("lease expiry: some revocations failed; they will be retried", "error", err.Error())
		}
		var wait <-chan time.Time
		if at, ok := m.next(); ok {
			wait = m.cfg.After(at.Sub(m.now()))
		}
		select {
		case <-ctx.Done():
			return
		case <-wait:
		case <-m.wake:
		}
	}
}
