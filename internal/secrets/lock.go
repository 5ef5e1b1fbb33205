package secrets

import (
	"context"
	"hash/maphash"
	"sync"
)

// lock locks paths for a read-modify-write: their stripes in this process,
// then, when other processes share the store, their metadata keys in all
// of them. It returns the function that unlocks both.
func (e *Engine) lock(ctx context.Context, paths ...string) (func(), error) {
	unlock := e.locks.lockAll(paths)
	if e.shared == nil {
		return unlock, nil
	}
	keys := make([]string, len(paths))
	for i, p := range paths {
		keys[i] = metaKey(p)
	}
	unshare, err := e.shared.LockKeys(ctx, keys...)
	if err != nil {
		unlock()
		return nil, err
	}
	return func() { unshare(); unlock() }, nil
}

// pathLocks serializes the read-modify-write of one path. Paths hash onto a
// fixed set of mutexes, so different paths mostly proceed in parallel
// without a map of locks that grows with the store.
type pathLocks struct {
	seed    maphash.Seed
	stripes [256]sync.Mutex
}

func newPathLocks() *pathLocks { return &pathLocks{seed: maphash.MakeSeed()} }

// stripe is the index of p's mutex.
func (l *pathLocks) stripe(p string) int {
	return int(maphash.String(l.seed, p) % uint64(len(l.stripes)))
}
