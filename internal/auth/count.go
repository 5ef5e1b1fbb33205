package auth

import "context"

// Count returns how many tokens are stored: the live ones, and expired
// ones until Tidy removes them (they are refused at lookup either way).
// It lists one index and decrypts nothing, so a metrics scrape can call it.
func (s *Store) Count(ctx context.Context) (int, error) {
	hashes, err := s.st.List(ctx, "id/")
	return len(hashes), err
}
