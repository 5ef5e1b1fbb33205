package lease

import "time"

// reserve checks the quotas and enters l as pending, counted against its
// token and identity.
func (m *Manager) reserve(l *Lease) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.checkQuotaLocked("token", l.Token, m.byToken[l.Token], m.cfg.MaxPerToken); err != nil {
		return err
	}
	if l.Identity != "" {
		if err := m.checkQuotaLocked("identity", l.Identity, m.byIdentity[l.Identity], m.cfg.MaxPerIdentity); err != nil {
			return err
		}
	}
	m.leases[l.ID] = &entry{l: l, state: pending}
	m.countLocked(l)
	return nil
}

// checkQuotaLocked refuses a new lease when held (the live leases of one
// token or identity) is at limit. m.mu is held.
func (m *Manager) checkQuotaLocked(scope, name string, held map[string]struct{}, limit int) error {
	if limit < 0 || len(held) < limit {
		return nil
	}
	now := m.now()
	soonest := time.Duration(-1)
	for id := range held {
		if e := m.leases[id]; e != nil && e.state == live {
			if d := e.l.TTLAt(now); soonest < 0 || d < soonest {
				soonest = d
			}
		}
	}
	if soonest < time.Second {
		soonest = time.Second
	}
	return &QuotaError{Scope: scope, Name: name, Limit: limit, RetryAfter: soonest}
}

// countLocked counts l against its token and identity. m.mu is held.
func (m *Manager) countLocked(l *Lease) {
	add := func(idx map[string]map[string]struct{}, key string) {
		if key == "" {
			return
		}
		if idx[key] == nil {
			idx[key] = map[string]struct{}{}
		}
		idx[key][l.ID] = struct{}{}
	}
	add(m.byToken, l.Token)
	add(m.byIdentity, l.Identity)
}

// uncountLocked stops counting l: it has ended. m.mu is held.
func (m *Manager) uncountLocked(l *Lease) {
	del := func(idx map[string]map[string]struct{}, key string) {
		if set := idx[key]; set != nil {
			delete(set, l.ID)
			if len(set) == 0 {
				delete(idx, key)
			}
		}
	}
	del(m.byToken, l.Token)
	del(m.byIdentity, l.Identity)
}

// forget removes lease id from memory entirely.
func (m *Manager) forget(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.leases[id]; ok {
		m.uncountLocked(e.l)
		delete(m.leases, id)
		m.endedLocked(id)
	}
}
