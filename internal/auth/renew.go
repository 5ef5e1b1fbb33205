package auth

import (
	"context"
	"time"

	"github.com/wardhq/ward/internal/storage"
)

// Renew extends t to increment from now (0: by its TTL), and returns it as
// renewed. The new expiry is capped at ExplicitMaxTTL and Config.MaxTTL
// from t's creation and at its parent's expiry, and is never earlier than
// the current one; compare ExpiresAt with what was asked for to warn. An
// invalid t is ErrInvalidToken, a non-renewable one ErrNotRenewable.
func (s *Store) Renew(ctx context.Context, t *Token, increment time.Duration) (*Token, error) {
	if increment < 0 {
		return nil, &RequestError{"increment", "negative"}
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	now := s.stamp()
	cur, err := s.currentLocked(ctx, t)
	if err != nil {
		return nil, err
	}
	if !cur.live(now) {
		return nil, ErrInvalidToken
	}
	if !cur.Renewable || cur.ExpiresAt.IsZero() {
		return nil, ErrNotRenewable
	}
	var parent *Token
	if cur.parentHash != "" {
		// A parent gone from storage takes its children with it; Tidy
		// removes what is left.
		if parent, err = s.load(ctx, cur.parentHash); err != nil {
			return nil, err
		}
	}
	if increment == 0 {
		increment = cur.TTL
	}
	next := cur.clone()
	exp := s.capExpiry(next, parent, now.Add(increment))
	if exp.After(next.ExpiresAt) {
		next.ExpiresAt = exp
	}
	next.LastRenewal = now
	val, err := encode(next)
	if err != nil {
		return nil, err
	}
	if err := s.st.Put(ctx, &storage.Entry{Key: idKey(next.hash), Value: val}); err != nil {
		return nil, err
	}
	s.cache.put(next)
	return next.clone(), nil
}
