package lease

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/wardhq/ward/internal/storage"
)

// Recover loads every stored lease of envs into memory, replacing what the
// Manager held. The vault calls it at unseal, before Run. Leases that
// expired while the vault was down or sealed, and failed revocations, are
// due at once: the first Tick (Run's first act) revokes them.
func (m *Manager) Recover(ctx context.Context, envs []Env) error {
	loaded := map[string]*entry{}
	err := m.walkStored(ctx, envs, func(l *Lease) {
		e := &entry{l: l, state: live}
		if l.Failure != nil {
			e.state = failed
		}
		loaded[l.ID] = e
	})
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.leases = loaded
	m.byToken = map[string]map[string]struct{}{}
	m.byIdentity = map[string]map[string]struct{}{}
	m.due = nil
	for _, e := range loaded {
		if e.state == live {
			m.countLocked(e.l)
		}
		at, _ := e.dueAt()
		m.due.push(at, e.l.ID)
	}
	m.mu.Unlock()
	m.nudge()
	return nil
}

// load reads the record of env's lease rest.
func (m *Manager) load(ctx context.Context, env Env, rest string) (*Lease, error) {
	key := recordKey(env.ID, rest)
	ent, err := m.cfg.Storage.Get(ctx, key)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("%w: %q", errNoLease, key)
	}
	if err != nil {
		return nil, err
	}
	var l Lease
	if err := json.Unmarshal(ent.Value, &l); err != nil {
		return nil, fmt.Errorf("corrupt lease record %q: %w", key, err)
	}
	if l.ID != env.Name+"/"+rest || l.EnvID != env.ID {
		return nil, fmt.Errorf("lease record %q names lease %q of environment id %q", key, l.ID, l.EnvID)
	}
	return &l, nil
}
