package auth

import "strings"

// Forget drops from the cache the token whose record is at key, a key of
// Config.Storage that another process changed (revoked, renewed). Keys of
// other records are ignored. The next Lookup of the token reads storage.
func (s *Store) Forget(key string) {
	if h, ok := strings.CutPrefix(key, idKey("")); ok {
		s.cache.forget(h)
	}
}

// ForgetAll empties the cache, for when another process may have changed
// any token.
func (s *Store) ForgetAll() { s.cache.forgetAll() }
