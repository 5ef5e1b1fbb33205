package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/wardhq/ward/internal/storage"
)

// PutOptions are the options of a write.
type PutOptions struct {
	// CAS, when set, makes the write check-and-set: it succeeds only if the
	// secret's CurrentVersion equals *CAS (0: the secret has no version).
	CAS *int
	// Check, when set, runs under the secret's lock on the data about to
	// be written (for a patch, the merged result) and the secret's custom
	// metadata (nil for a new secret); an error stops the write.
	Check func(data []byte, custom map[string]string) error
}

// Put writes data as a new version of the secret at path and returns the new
// version's metadata.
func (e *Engine) Put(ctx context.Context, path string, data json.RawMessage, opt PutOptions) (VersionMetadata, error) {
	value, err := canonicalValue(data, e.maxSize)
	if err != nil {
		return VersionMetadata{}, err
	}
	return e.write(ctx, path, opt, true, func(*storedMeta, time.Time) ([]byte, error) { return value, nil })
}

// Patch applies the JSON merge patch (RFC 7386) mergePatch to the current
// version and writes the result as a new version. It returns ErrNotFound
// when the current version is missing, deleted or destroyed.
func (e *Engine) Patch(ctx context.Context, path string, mergePatch json.RawMessage, opt PutOptions) (VersionMetadata, error) {
	if err := CheckValue(mergePatch, e.maxSize); err != nil {
		return VersionMetadata{}, err
	}
	return e.write(ctx, path, opt, false, func(m *storedMeta, now time.Time) ([]byte, error) {
		current, err := e.liveData(ctx, path, m, m.CurrentVersion, now)
		if err != nil {
			return nil, err
		}
		merged, err := MergePatch(current, mergePatch)
		if err != nil {
			return nil, err
		}
		if len(merged) > e.maxSize {
			return nil, tooLarge(len(merged), e.maxSize)
		}
		return merged, nil
	})
}

// liveData reads the data of version n if it is kept and live.
func (e *Engine) liveData(ctx context.Context, p string, m *storedMeta, n int, now time.Time) ([]byte, error) {
	v := m.Versions[n]
	if v == nil || !v.live(now) {
		return nil, fmt.Errorf("%w: version %d of %q is not kept, deleted or destroyed", ErrNotFound, n, p)
	}
	ent, err := e.st.Get(ctx, versionKey(p, n))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("%w: version %d of %q has no data", ErrNotFound, n, p)
	}
	if err != nil {
		return nil, err
	}
	return ent.Value, nil
}

// write is the read-modify-write of every new version: under the path's
// lock it checks that the secret exists unless create, checks CAS (in
// Vault's order), asks value for the data (m is nil for a new secret),
// adds the version, trims old ones and commits all in one transaction.
func (e *Engine) write(ctx context.Context, p string, opt PutOptions, create bool, value func(m *storedMeta, now time.Time) ([]byte, error)) (VersionMetadata, error) {
	if err := CheckPath(p); err != nil {
		return VersionMetadata{}, err
	}
	cfg, err := e.Config(ctx)
	if err != nil {
		return VersionMetadata{}, err
	}
	unlock, err := e.lock(ctx, p)
	if err != nil {
		return VersionMetadata{}, err
	}
	defer unlock()
	m, err := e.loadMeta(ctx, p)
	switch {
	case errors.Is(err, ErrNotFound):
		m = nil
	case err != nil:
		return VersionMetadata{}, err
	}
	if m == nil && !create {
		return VersionMetadata{}, fmt.Errorf("%w: no secret at %q", ErrNotFound, p)
	}
	current := 0
	if m != nil {
		current = m.CurrentVersion
	}
	switch {
	case opt.CAS != nil && *opt.CAS != current:
		return VersionMetadata{}, &CASError{Expected: *opt.CAS, Current: current}
	case opt.CAS == nil && (cfg.CASRequired || (m != nil && m.CASRequired)):
		return VersionMetadata{}, fmt.Errorf("%w (secret %q)", ErrCASRequired, p)
	}
	now := e.now().UTC()
	data, err := value(m, now)
	if err != nil {
		return VersionMetadata{}, err
	}
	if opt.Check != nil {
		var custom map[string]string
		if m != nil {
			custom = m.CustomMetadata
		}
		if err := opt.Check(data, custom); err != nil {
			return VersionMetadata{}, err
		}
	}
	if m == nil {
		m = &storedMeta{CreatedTime: now, Versions: map[int]*storedVersion{}}
	}
	n := m.CurrentVersion + 1
	sv := &storedVersion{CreatedTime: now, DeletionTime: m.deletionTime(now, cfg)}
	m.Versions[n] = sv
	m.CurrentVersion = n
	m.UpdatedTime = now
	ops := []storage.Op{{Kind: storage.OpPut, Key: versionKey(p, n), Value: data}}
	ops = append(ops, m.trim(p, maxVersions(m.MaxVersions, cfg.MaxVersions))...)
	if err := e.st.Transaction(ctx, append(ops, putMetaOp(p, m))); err != nil {
		return VersionMetadata{}, err
	}
	return m.versionMetadata(n), nil
}

// trim forgets the versions beyond max, as Vault does: once CurrentVersion -
// OldestVersion reaches max, versions up to CurrentVersion - max go and
// OldestVersion becomes the oldest one kept. It returns the deletes of their
// data.
func (m *storedMeta) trim(p string, max int) []storage.Op {
	if m.CurrentVersion-m.OldestVersion < max {
		return nil
	}
	last := m.CurrentVersion - max
	var ops []storage.Op
	for n := m.OldestVersion; n <= last; n++ {
		if _, ok := m.Versions[n]; ok {
			delete(m.Versions, n)
			ops = append(ops, storage.Op{Kind: storage.OpDelete, Key: versionKey(p, n)})
		}
	}
	m.OldestVersion = last + 1
	return ops
}

// maxVersions is how many versions a secret keeps: the larger of its own
// and the engine's setting, DefaultMaxVersions when both are 0 (as current
// Vault computes it).
func maxVersions(secret, engine int) int {
	if n := max(secret, engine); n > 0 {
		return n
	}
	return DefaultMaxVersions
}

// deletionTime is when a version made (or undeleted) at now is deleted by
// age: now plus the smaller non-zero of the secret's and the engine's
// DeleteVersionAfter; zero when neither is set.
func (m *storedMeta) deletionTime(now time.Time, cfg EngineConfig) time.Time {
	if d := minNonZero(m.DeleteVersionAfter, cfg.DeleteVersionAfter); d > 0 {
		return now.Add(d)
	}
	return time.Time{}
}

func minNonZero(a, b time.Duration) time.Duration {
	switch {
	case a <= 0:
		return b
	case b <= 0 || a < b:
		return a
	}
	return b
}
