package auth

import "context"

// CreateLogin makes the token of a login (a CI job's JWT exchanged, a
// user's password checked): an orphan that ward itself issues, under the
// rules of Create with a nil parent. It must name its policies and its
// environment and cannot be root.
//
// Unlike Create it is not serialised with the store's other changes: a
// login has no parent whose revocation could miss it, so concurrent logins
// write in parallel and share the storage's commits (with bbolt, one fsync
// for a group). RevokeEnv still excludes it, and sees every login token of
// the environment it removes.
func (s *Store) CreateLogin(ctx context.Context, req CreateRequest) (string, *Token, error) {
	s.loginMu.RLock()
	defer s.loginMu.RUnlock()
	t, err := s.child(nil, req, s.stamp())
	if err != nil {
		return "", nil, err
	}
	return s.insertLocked(ctx, t) // a new orphan: no lock but loginMu needed
}
