package secrets

import (
	"hash/maphash"
	"sync"
)

// pathLocks serializes the read-modify-write of one path. Paths hash onto a
// fixed set of mutexes, so different paths mostly proceed in parallel
// without a map of locks that grows with the store.
type pathLocks struct {
	seed    maphash.Seed
	stripes [256]sync.Mutex
}

func newPathLocks() *pathLocks { return &pathLocks{seed: maphash.MakeSeed()} }

func (l *pathLocks) lock(p string) func() {
	m := &l.stripes[l.stripe(p)]
	m.Lock()
	return m.Unlock
}

// stripe is the index of p's mutex.
func (l *pathLocks) stripe(p string) int {
	return int(maphash.String(l.seed, p) % uint64(len(l.stripes)))
}
