package secrets

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/wardhq/ward/internal/storage"
)

// Delete soft-deletes the current version of the secret at path. A missing
// secret, or a current version already deleted or destroyed, is not an
// error.
func (e *Engine) Delete(ctx context.Context, path string) error {
	return e.modify(ctx, path, func(m *storedMeta, now time.Time) ([]storage.Op, error) {
		if v := m.Versions[m.CurrentVersion]; v != nil {
			v.softDelete(now)
		}
		return nil, nil
	})
}

// DeleteVersions soft-deletes the given versions. Versions that are not kept
// or are destroyed are skipped.
func (e *Engine) DeleteVersions(ctx context.Context, path string, versions []int) error {
	return e.eachVersion(ctx, path, versions, func(_ *storedMeta, _ int, v *storedVersion, now time.Time) []storage.Op {
		v.softDelete(now)
		return nil
	})
}

// Undelete restores soft-deleted versions. As in Vault, a restored
// version's DeletionTime is cleared, or, when a DeleteVersionAfter applies,
// rescheduled to now plus that duration. Destroyed versions stay destroyed.
func (e *Engine) Undelete(ctx context.Context, path string, versions []int) error {
	cfg, err := e.Config(ctx)
	if err != nil {
		return err
	}
	return e.eachVersion(ctx, path, versions, func(m *storedMeta, _ int, v *storedVersion, now time.Time) []storage.Op {
		if !v.Destroyed {
			v.DeletionTime = m.deletionTime(now, cfg)
		}
		return nil
	})
}

// Destroy removes the data of the given versions from storage for good and
// marks them Destroyed.
func (e *Engine) Destroy(ctx context.Context, path string, versions []int) error {
	return e.eachVersion(ctx, path, versions, func(_ *storedMeta, n int, v *storedVersion, _ time.Time) []storage.Op {
		v.Destroyed = true
		return []storage.Op{{Kind: storage.OpDelete, Key: versionKey(path, n)}}
	})
}

// softDelete sets the deletion time to now unless the version is destroyed
// or already deleted by then.
func (v *storedVersion) softDelete(now time.Time) {
	if !v.Destroyed && !v.deleted(now) {
		v.DeletionTime = now
	}
}

// eachVersion runs fn on each kept version of versions, under the path's
// lock, and commits in one transaction.
func (e *Engine) eachVersion(ctx context.Context, path string, versions []int, fn func(m *storedMeta, n int, v *storedVersion, now time.Time) []storage.Op) error {
	if len(versions) == 0 {
		return fmt.Errorf("%w: no versions given", ErrBadVersion)
	}
	for _, n := range versions {
		if n < 1 {
			return fmt.Errorf("%w: versions are numbered from 1, not %d", ErrBadVersion, n)
		}
	}
	return e.modify(ctx, path, func(m *storedMeta, now time.Time) ([]storage.Op, error) {
		var ops []storage.Op
		for _, n := range versions {
			if v := m.Versions[n]; v != nil {
				ops = append(ops, fn(m, n, v, now)...)
			}
		}
		return ops, nil
	})
}

// SetMetadata changes the settings of the secret at path, creating its
// metadata (with no version) when it has none, as Vault does. As in Vault,
// an update that sets nothing does nothing, and UpdatedTime is set only
// when the metadata is created.
func (e *Engine) SetMetadata(ctx context.Context, path string, u MetadataUpdate) error {
	if err := CheckPath(path); err != nil {
		return err
	}
	if u.MaxVersions == nil && u.CASRequired == nil && u.DeleteVersionAfter == nil && u.CustomMetadata == nil {
		return nil
	}
	unlock, err := e.lock(ctx, path)
	if err != nil {
		return err
	}
	defer unlock()
	m, err := e.loadMeta(ctx, path)
	now := e.now().UTC()
	switch {
	case err == nil:
	case isNotFound(err):
		m = &storedMeta{CreatedTime: now, UpdatedTime: now, Versions: map[int]*storedVersion{}}
	default:
		return err
	}
	if err := m.apply(u); err != nil {
		return err
	}
	if u.Check != nil {
		if err := u.Check(m.CustomMetadata, e.currentData(ctx, path, m, now)); err != nil {
			return err
		}
	}
	return e.st.Transaction(ctx, []storage.Op{putMetaOp(path, m)})
}

// DeleteMetadata removes every version of the secret at path and its
// metadata. A missing secret is not an error.
func (e *Engine) DeleteMetadata(ctx context.Context, path string) error {
	if err := CheckPath(path); err != nil {
		return err
	}
	unlock, err := e.lock(ctx, path)
	if err != nil {
		return err
	}
	defer unlock()
	// List rather than trust the metadata, so that no version's data
	// outlives it.
	names, err := e.st.List(ctx, versionsPrefix(path))
	if err != nil {
		return err
	}
	ops := []storage.Op{{Kind: storage.OpDelete, Key: metaKey(path)}}
	for _, name := range names {
		if !strings.HasSuffix(name, "/") && len(name) == versionDigits {
			ops = append(ops, storage.Op{Kind: storage.OpDelete, Key: versionsPrefix(path) + name})
		}
	}
	return e.st.Transaction(ctx, ops)
}
