package secrets

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/wardhq/ward/internal/storage"
)

// PrepareCustomMetadata is SetMetadata's custom-metadata change for many
// secrets at once, for a caller that commits it in a transaction of its
// own together with other changes (ward apply). For each path of set it
// locks the path, reads its metadata and returns the op that replaces its
// custom metadata with set[path], creating metadata (with no version) where
// there is none. check, when not nil, runs for each path as
// MetadataUpdate.Check does, and its error stops the preparation. Op keys
// are relative to the engine's storage. The caller
// must call release once the ops are committed or given up; until then,
// writes to those paths wait, so the ops cannot overwrite a newer change.
func (e *Engine) PrepareCustomMetadata(ctx context.Context, set map[string]map[string]string, check func(path string, custom map[string]string, current func() ([]byte, error)) error) (ops []storage.Op, release func(), err error) {
	paths := slices.Sorted(maps.Keys(set))
	for _, p := range paths {
		if err := CheckPath(p); err != nil {
			return nil, nil, err
		}
	}
	unlock, err := e.lock(ctx, paths...)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if err != nil {
			unlock()
		}
	}()
	now := e.now().UTC()
	for _, p := range paths {
		m, err := e.loadMeta(ctx, p)
		switch {
		case err == nil:
		case isNotFound(err):
			m = &storedMeta{CreatedTime: now, UpdatedTime: now, Versions: map[int]*storedVersion{}}
		default:
			return nil, nil, err
		}
		cm := set[p]
		if cm == nil {
			cm = map[string]string{}
		}
		if err := m.apply(MetadataUpdate{CustomMetadata: cm}); err != nil {
			return nil, nil, err
		}
		if check != nil {
			if err := check(p, m.CustomMetadata, e.currentData(ctx, p, m, now)); err != nil {
				return nil, nil, err
			}
		}
		ops = append(ops, putMetaOp(p, m))
	}
	return ops, unlock, nil
}

// HasSecrets reports whether the engine holds any secret, live or deleted.
func (e *Engine) HasSecrets(ctx context.Context) (bool, error) {
	names, err := e.st.List(ctx, "m/")
	if err != nil {
		return false, err
	}
	return len(names) > 0, nil
}

// lockAll locks the stripes of every path once each, in stripe order, so
// that two callers locking overlapping sets cannot deadlock, and returns
// the function that unlocks them.
func (l *pathLocks) lockAll(paths []string) func() {
	var idx []int
	for _, p := range paths {
		idx = append(idx, l.stripe(p))
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	for _, i := range idx {
		l.stripes[i].Lock()
	}
	return func() {
		for _, i := range idx {
			l.stripes[i].Unlock()
		}
	}
}

// currentData returns a function that reads the current version's data of
// p, nil when it has no live one.
func (e *Engine) currentData(ctx context.Context, p string, m *storedMeta, now time.Time) func() ([]byte, error) {
	return func() ([]byte, error) {
		if m.CurrentVersion == 0 {
			return nil, nil
		}
		b, err := e.liveData(ctx, p, m, m.CurrentVersion, now)
		if isNotFound(err) {
			return nil, nil
		}
		return b, err
	}
}
