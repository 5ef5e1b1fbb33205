package lease

import (
	"context"
	"fmt"
	"time"
)

// Renew extends lease id by increment (0: the lease's TTL) from now, capped
// at its Limit (max TTL from issue, or its token's expiry), and returns the
// renewed lease and any warning (a capped increment). A renewal that
// would not move the expiry later leaves it as it is, with a warning. For
// the lease's token or an admin of its environment.
func (m *Manager) Renew(ctx context.Context, who Caller, id string, increment time.Duration) (*Lease, []string, error) {
	if _, _, err := splitID(id); err != nil {
		return nil, nil, err
	}
	if increment < 0 {
		return nil, nil, invalidf("increment %s: want 0 or more", increment)
	}
	now := m.now()
	m.mu.Lock()
	e, err := m.accessLocked(who, id)
	if err != nil {
		m.mu.Unlock()
		return nil, nil, err
	}
	l := e.l
	switch {
	case e.state != live || !now.Before(l.ExpiresAt):
		m.mu.Unlock()
		return nil, nil, fmt.Errorf("%w: %q", ErrExpired, id)
	case !l.Renewable:
		m.mu.Unlock()
		return nil, nil, fmt.Errorf("%w: %q", ErrNotRenewable, id)
	}
	if increment == 0 {
		increment = l.TTL
	}
	increment = min(increment, m.cfg.MaxTTL) // Limit caps it anyway; this keeps now+increment from overflowing
	var warnings []string
	want := now.Add(increment)
	if want.After(l.Limit) {
		warnings = append(warnings, fmt.Sprintf("TTL of %q exceeded the effective max_ttl; TTL value is capped at %s from now", increment, l.Limit.Sub(now).Round(time.Second)))
		want = l.Limit
	}
	if !want.After(l.ExpiresAt) {
		m.mu.Unlock()
		return l.clone(), append(warnings, "the lease is at its max TTL and was not extended"), nil
	}
	next := l.clone()
	next.ExpiresAt, next.LastRenewal = want, now
	m.mu.Unlock()

	if r, ok := m.revoker(l.Kind).(Renewer); ok {
		if err := r.Renew(ctx, next.clone()); err != nil {
			return nil, nil, fmt.Errorf("renewing lease %q: %w", id, err)
		}
	}
	if err := m.store(ctx, next); err != nil {
		return nil, nil, fmt.Errorf("storing renewed lease %q: %w", id, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.leases[id]; ok && e.state == live && e.l.ExpiresAt.Before(next.ExpiresAt) {
		e.l = next
		m.scheduleLocked(next.ExpiresAt, id)
	}
	return next.clone(), warnings, nil
}
