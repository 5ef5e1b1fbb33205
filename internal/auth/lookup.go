package auth

import (
	"context"

	"github.com/wardhq/ward/internal/wardtoken"
)

// Lookup returns the token that secret stands for. A malformed (bad
// checksum), unknown, revoked or expired token is ErrInvalidToken; any
// other error is storage's, and says nothing of the token.
func (s *Store) Lookup(ctx context.Context, secret string) (*Token, error) {
	if !wardtoken.Valid(secret) {
		return nil, ErrInvalidToken
	}
	return s.lookupHash(ctx, wardtoken.Hash(secret))
}

// LookupAccessor returns the token that accessor names, under the same rules
// as Lookup.
func (s *Store) LookupAccessor(ctx context.Context, accessor string) (*Token, error) {
	if !wardtoken.ValidAccessor(accessor) {
		return nil, ErrInvalidToken
	}
	h, err := s.hashOfAccessor(ctx, accessor)
	if err != nil {
		return nil, err
	}
	return s.lookupHash(ctx, h)
}

func (s *Store) lookupHash(ctx context.Context, hash string) (*Token, error) {
	now := s.now()
	t, revoking, epoch := s.cache.get(hash)
	if revoking {
		return nil, ErrInvalidToken
	}
	if t != nil {
		if !t.live(now) {
			s.cache.drop(hash)
			return nil, ErrInvalidToken
		}
		return t.clone(), nil
	}
	t, err := s.load(ctx, hash)
	if err != nil {
		return nil, err
	}
	if !t.live(now) || !s.cache.add(t, epoch) {
		return nil, ErrInvalidToken
	}
	return t.clone(), nil
}
