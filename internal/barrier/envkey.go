package barrier

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/wardhq/ward/internal/storage"
)

const (
	envRingPrefix    = "core/env/"
	envCounterPrefix = "core/counter/env/"
)

// checkEnvID refuses environment ids that cannot name a storage folder.
func checkEnvID(id string) error {
	if id == "" || strings.ContainsAny(id, "/\x00") || len(id) > 128 {
		return fmt.Errorf("barrier: environment id %q: want 1..128 bytes, no \"/\"", id)
	}
	return nil
}

// newEnvScope describes environment id's keyring, wrapped by the system
// keyring; its ring is not loaded.
func (b *Barrier) newEnvScope(u *unsealed, id string) *scope {
	return &scope{
		whose:      fmt.Sprintf("environment %q's keyring", id),
		ringKey:    envRingPrefix + id,
		counterKey: envCounterPrefix + id,
		wrap: func(ctx context.Context, key string, plain []byte) ([]byte, error) {
			return b.encrypt(ctx, u.system, key, plain)
		},
	}
}

// envScope returns environment id's keyring, loading it on first use.
func (b *Barrier) envScope(ctx context.Context, u *unsealed, id string) (*scope, error) {
	if s, ok := u.env(id); ok {
		return s, nil
	}
	u.envMu.Lock()
	defer u.envMu.Unlock()
	if s, ok := u.env(id); ok {
		return s, nil
	}
	if checkEnvID(id) != nil {
		return nil, fmt.Errorf("%w: %q is not an environment id", ErrNoEnvKey, id)
	}
	s := b.newEnvScope(u, id)
	e, err := b.inner.Get(ctx, s.ringKey)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("%w: environment %q (never created, or destroyed)", ErrNoEnvKey, id)
	}
	if err != nil {
		return nil, err
	}
	plain, err := b.decrypt(u.system, s.ringKey, e.Value)
	if err != nil {
		return nil, err
	}
	ring, err := parseKeyring(plain)
	clear(plain)
	if err != nil {
		return nil, err
	}
	s.ring.Store(ring)
	if err := s.loadCounter(ctx, b.inner); err != nil {
		ring.zeroize()
		return nil, err
	}
	u.envs.Store(id, s)
	return s, nil
}

// CreateEnvKey makes a fresh random data key (a keyring at term 1) for
// environment envID and stores it wrapped by the system keyring. Values
// that Config.KeyringOf places in envID can be written from then on.
func (b *Barrier) CreateEnvKey(ctx context.Context, envID string) error {
	if err := checkEnvID(envID); err != nil {
		return err
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	u, err := b.unsealedRLocked()
	if err != nil {
		return err
	}
	u.envMu.Lock()
	defer u.envMu.Unlock()
	s := b.newEnvScope(u, envID)
	if _, err := b.inner.Get(ctx, s.ringKey); err == nil {
		return fmt.Errorf("%w: %q", ErrEnvKeyExists, envID)
	} else if !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	key, err := b.randomKey()
	if err != nil {
		return err
	}
	ring, err := (*keyring)(nil).addTerm(key, b.now())
	if err != nil {
		return err
	}
	if err := b.storeRing(ctx, s, ring, nil); err != nil {
		ring.zeroize()
		return fmt.Errorf("barrier: storing environment %q's key: %w", envID, err)
	}
	s.ring.Store(ring)
	s.used, s.reserved = 0, min(b.block, b.max)
	u.envs.Store(envID, s)
	return nil
}

// DestroyEnvKey deletes environment envID's keyring from the store and
// zeroizes it in memory: every value ever sealed with it becomes
// unreadable (ErrNoEnvKey), and a later CreateEnvKey for the same id makes
// a new key that cannot read them either. The values themselves
// are left for the caller to delete. Destroying a key that does not exist
// is not an error.
func (b *Barrier) DestroyEnvKey(ctx context.Context, envID string) error {
	if err := checkEnvID(envID); err != nil {
		return err
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	u, err := b.unsealedRLocked()
	if err != nil {
		return err
	}
	u.envMu.Lock()
	defer u.envMu.Unlock()
	s, loaded := u.env(envID)
	if !loaded {
		s = b.newEnvScope(u, envID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err = b.inner.Transaction(ctx, []storage.Op{
		{Kind: storage.OpDelete, Key: s.ringKey},
		{Kind: storage.OpDelete, Key: s.counterKey},
	})
	if err != nil {
		return fmt.Errorf("barrier: destroying environment %q's key: %w", envID, err)
	}
	u.envs.Delete(envID)
	s.destroyed = true
	s.ring.Load().zeroize()
	return nil
}
