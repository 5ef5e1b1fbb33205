package auth

import (
	"context"
	"errors"
	"strings"

	"github.com/wardhq/ward/internal/storage"
)

// Tidy removes expired tokens (with their descendants) and index entries
// that name no token, and returns how many tokens and entries it removed.
// A token whose parent's record is missing is revoked, as its parent's
// revocation would have done. Run it now and then; Lookup never needs it.
func (s *Store) Tidy(ctx context.Context) (int, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	total := 0
	for _, step := range []func(context.Context) (int, error){
		s.tidyExpiredLocked, s.tidyParentsLocked, s.tidyAccessorsLocked, s.tidyEnvsLocked,
	} {
		n, err := step(ctx)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func (s *Store) tidyExpiredLocked(ctx context.Context) (int, error) {
	hashes, err := s.st.List(ctx, "id/")
	if err != nil {
		return 0, err
	}
	now := s.now()
	total := 0
	for _, h := range hashes {
		t, err := s.load(ctx, h)
		if errors.Is(err, ErrInvalidToken) {
			continue // removed with an earlier tree
		}
		if err != nil {
			return total, err
		}
		if t.live(now) {
			continue
		}
		n, err := s.revokeTreeLocked(ctx, h)
		total += n
		if err != nil && !errors.Is(err, ErrInvalidToken) {
			return total, err
		}
	}
	return total, nil
}

// tidyParentsLocked revokes the children of parents that are gone, and
// drops child entries that name no token.
func (s *Store) tidyParentsLocked(ctx context.Context) (int, error) {
	return s.tidyIndexLocked(ctx, "parent/", func(ctx context.Context, dir string) (int, error) {
		parentHash := strings.TrimSuffix(dir, "/")
		if s.exists(ctx, parentHash) {
			return s.dropDanglingLocked(ctx, parentDir(parentHash))
		}
		children, err := s.st.List(ctx, parentDir(parentHash))
		if err != nil {
			return 0, err
		}
		total := 0
		for _, c := range children {
			n, err := s.revokeTreeLocked(ctx, c)
			total += n
			if err == nil {
				continue
			}
			if !errors.Is(err, ErrInvalidToken) {
				return total, err
			}
			if err := s.st.Delete(ctx, childKey(parentHash, c)); err != nil {
				return total, err
			}
			total++
		}
		return total, nil
	})
}

func (s *Store) tidyAccessorsLocked(ctx context.Context) (int, error) {
	accs, err := s.st.List(ctx, "accessor/")
	if err != nil {
		return 0, err
	}
	total := 0
	for _, a := range accs {
		h, err := s.hashOfAccessor(ctx, a)
		if err != nil && !errors.Is(err, ErrInvalidToken) {
			return total, err
		}
		if err == nil && s.exists(ctx, h) {
			continue
		}
		if err := s.st.Delete(ctx, accessorKey(a)); err != nil {
			return total, err
		}
		total++
	}
	return total, nil
}

func (s *Store) tidyEnvsLocked(ctx context.Context) (int, error) {
	return s.tidyIndexLocked(ctx, "env/", func(ctx context.Context, dir string) (int, error) {
		return s.dropDanglingLocked(ctx, "env/"+dir)
	})
}

// tidyIndexLocked calls each for every folder below prefix.
func (s *Store) tidyIndexLocked(ctx context.Context, prefix string, each func(context.Context, string) (int, error)) (int, error) {
	dirs, err := s.st.List(ctx, prefix)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, d := range dirs {
		if !strings.HasSuffix(d, "/") {
			continue
		}
		n, err := each(ctx, d)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// dropDanglingLocked deletes the entries below dir whose names are hashes
// of no stored token.
func (s *Store) dropDanglingLocked(ctx context.Context, dir string) (int, error) {
	names, err := s.st.List(ctx, dir)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, h := range names {
		if s.exists(ctx, h) {
			continue
		}
		if err := s.st.Delete(ctx, dir+h); err != nil {
			return total, err
		}
		total++
	}
	return total, nil
}

// exists reports whether a token record is stored under hash; a storage
// error counts as yes, so Tidy never removes what it cannot check.
func (s *Store) exists(ctx context.Context, hash string) bool {
	_, err := s.st.Get(ctx, idKey(hash))
	return !errors.Is(err, storage.ErrNotFound)
}
