package auth

import (
	"context"
	"errors"
	"strings"

	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/wardtoken"
)

// Revoke revokes t and all its descendants: from the moment Revoke starts
// none of them passes Lookup. A t that is already gone is ErrInvalidToken.
// If storage fails part way, Revoke returns its error; this process keeps
// refusing every token it meant to revoke, and what is left in storage is
// the top of the tree and part of the rest, so Revoke can be called again.
func (s *Store) Revoke(ctx context.Context, t *Token) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	h, err := s.hashOf(ctx, t)
	if err != nil {
		return err
	}
	_, err = s.revokeTreeLocked(ctx, h)
	return err
}

// RevokeAccessor revokes the token that accessor names, as Revoke.
func (s *Store) RevokeAccessor(ctx context.Context, accessor string) error {
	if !wardtoken.ValidAccessor(accessor) {
		return ErrInvalidToken
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	h, err := s.hashOfAccessor(ctx, accessor)
	if err != nil {
		return err
	}
	_, err = s.revokeTreeLocked(ctx, h)
	return err
}

// RevokeEnv revokes every token bound to the environment envID, with their
// descendants, and returns how many tokens it removed. The vault calls it
// when it deletes an environment.
func (s *Store) RevokeEnv(ctx context.Context, envID string) (int, error) {
	if envID == "" || strings.Contains(envID, "/") {
		return 0, &RequestError{"env_id", "empty or contains /"}
	}
	s.loginMu.Lock()
	defer s.loginMu.Unlock()
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	hashes, err := s.st.List(ctx, envDir(envID))
	if err != nil {
		return 0, err
	}
	total := 0
	for _, h := range hashes {
		n, err := s.revokeTreeLocked(ctx, h)
		total += n
		if err != nil && !errors.Is(err, ErrInvalidToken) {
			return total, err
		}
		// Gone already (a descendant of one revoked before) or dangling.
		if err := s.st.Delete(ctx, envDir(envID)+h); err != nil {
			return total, err
		}
	}
	return total, nil
}

// node is one token of a tree being revoked.
type node struct {
	hash       string
	parentHash string // whose parent/ index lists it, "" for the top
	t          *Token // nil if its record is missing (a dangling index entry)
}

// revokeTreeLocked removes the token stored under hash and its descendants,
// children before parents, so that a failure never leaves a child without
// its parent. It returns how many token records it removed.
func (s *Store) revokeTreeLocked(ctx context.Context, hash string) (int, error) {
	tree, err := s.treeLocked(ctx, hash)
	if err != nil {
		return 0, err
	}
	hashes := make([]string, len(tree))
	for i, n := range tree {
		hashes[i] = n.hash
	}
	s.cache.startRevoking(hashes)
	removed := 0
	for i := len(tree) - 1; i >= 0; i-- {
		n := tree[i]
		if err := s.st.Transaction(ctx, removeOps(n)); err != nil {
			return removed, err
		}
		s.cache.revoked(n.hash)
		if n.t != nil {
			removed++
		}
	}
	return removed, nil
}

// treeLocked lists the token under hash and its descendants, parents
// before children.
func (s *Store) treeLocked(ctx context.Context, hash string) ([]node, error) {
	var tree []node
	queue := []node{{hash: hash}}
	seen := map[string]bool{}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if seen[n.hash] {
			continue // a damaged index; never loop
		}
		seen[n.hash] = true
		t, err := s.load(ctx, n.hash)
		switch {
		case errors.Is(err, ErrInvalidToken):
			if n.parentHash == "" {
				return nil, err // the top is gone
			}
		case err != nil:
			return nil, err
		default:
			n.t = t
		}
		tree = append(tree, n)
		children, err := s.st.List(ctx, parentDir(n.hash))
		if err != nil {
			return nil, err
		}
		for _, c := range children {
			queue = append(queue, node{hash: c, parentHash: n.hash})
		}
	}
	return tree, nil
}

// removeOps deletes a token's record and every index entry naming it.
func removeOps(n node) []storage.Op {
	del := func(key string) storage.Op { return storage.Op{Kind: storage.OpDelete, Key: key} }
	ops := []storage.Op{del(idKey(n.hash))}
	if n.parentHash != "" {
		ops = append(ops, del(childKey(n.parentHash, n.hash)))
	}
	if n.t == nil {
		return ops
	}
	ops = append(ops, del(accessorKey(n.t.Accessor)))
	if n.t.parentHash != "" && n.t.parentHash != n.parentHash {
		ops = append(ops, del(childKey(n.t.parentHash, n.hash)))
	}
	if n.t.EnvID != "" {
		ops = append(ops, del(envDir(n.t.EnvID)+n.hash))
	}
	return ops
}

// RevokeOrphan revokes t alone, as Vault's auth/token/revoke-orphan: its
// children become orphans (no parent, so their life is no longer capped
// by t's, and a later revocation of t's ancestors leaves them alone) and
// keep working, with their own children. The children's records and t's
// removal are written in one transaction: either t is gone and every
// child an orphan, or nothing changed. A t already gone is
// ErrInvalidToken.
func (s *Store) RevokeOrphan(ctx context.Context, t *Token) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	h, err := s.hashOf(ctx, t)
	if err != nil {
		return err
	}
	cur, err := s.load(ctx, h)
	if err != nil {
		return err
	}
	children, err := s.st.List(ctx, parentDir(h))
	if err != nil {
		return err
	}
	var ops []storage.Op
	var orphans []*Token
	for _, c := range children {
		ops = append(ops, storage.Op{Kind: storage.OpDelete, Key: childKey(h, c)})
		child, err := s.load(ctx, c)
		if errors.Is(err, ErrInvalidToken) {
			continue // a dangling index entry: deleting it is all
		}
		if err != nil {
			return err
		}
		child.Parent, child.parentHash = "", ""
		val, err := encode(child)
		if err != nil {
			return err
		}
		ops = append(ops, storage.Op{Kind: storage.OpPut, Key: idKey(c), Value: val})
		orphans = append(orphans, child)
	}
	ops = append(ops, removeOps(node{hash: h, parentHash: cur.parentHash, t: cur})...)
	s.cache.startRevoking([]string{h})
	if err := s.st.Transaction(ctx, ops); err != nil {
		return err
	}
	for _, o := range orphans {
		s.cache.put(o)
	}
	s.cache.revoked(h)
	return nil
}
