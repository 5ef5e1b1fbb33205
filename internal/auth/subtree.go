package auth

import (
	"context"

	"github.com/wardhq/ward/internal/wardtoken"
)

// Subtree returns the accessor of the token that accessor names and the
// accessors of all its descendants, parents before children: the tokens a
// revocation of that token takes with it. The lease manager calls it to
// revoke their leases before the tokens themselves go. A token that is
// gone is ErrInvalidToken.
func (s *Store) Subtree(ctx context.Context, accessor string) ([]string, error) {
	if !wardtoken.ValidAccessor(accessor) {
		return nil, ErrInvalidToken
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	h, err := s.hashOfAccessor(ctx, accessor)
	if err != nil {
		return nil, err
	}
	tree, err := s.treeLocked(ctx, h)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(tree))
	for _, n := range tree {
		if n.t != nil {
			out = append(out, n.t.Accessor)
		}
	}
	return out, nil
}
