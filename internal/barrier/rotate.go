package barrier

import (
	"context"
	"errors"
	"fmt"
)

// Rotate adds a term to the system keyring and to every environment's
// keyring. New writes use the new terms; values written under older terms
// still decrypt. It returns the system keyring's new term. If it fails
// part way, the keyrings already rotated stay rotated; run it again.
func (b *Barrier) Rotate(ctx context.Context) (uint32, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	u, err := b.unsealedRLocked()
	if err != nil {
		return 0, err
	}
	if err := b.rotate(ctx, u.system); err != nil {
		return 0, err
	}
	ids, err := b.inner.List(ctx, envRingPrefix)
	if err != nil {
		return 0, fmt.Errorf("barrier: listing environment keys: %w", err)
	}
	for _, id := range ids {
		s, err := b.envScope(ctx, u, id)
		if err == nil {
			err = b.rotate(ctx, s)
		}
		// An environment whose key is destroyed meanwhile has nothing
		// left to rotate.
		if err != nil && !errors.Is(err, ErrNoEnvKey) {
			return 0, err
		}
	}
	return u.system.ring.Load().active, nil
}

func (b *Barrier) rotate(ctx context.Context, s *scope) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return b.rotateLocked(ctx, s)
}
