package postgres

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
)

// readCache keeps what Get read from the database, so that a key read
// again costs no round trip. It holds what the table holds (barrier
// ciphertext), never plaintext, and at most a budget of bytes; when full,
// it evicts entries at random.
//
// It is exact on one server and follows the others through the change
// feed:
//
//   - A commit of this process holds the keys it writes while it runs: the
//     cache drops them before the commit is sent and neither answers nor
//     fills them until it has returned (hold, release). So a writer's next
//     Get reads its write, and a reader never mixes a key read from the
//     database after the commit with another read from the cache before
//     it (which would show part of a transaction).
//   - LockKeys holds its keys the same way until unlock: a
//     read-modify-write under the lock reads what the previous holder
//     committed, on whichever server, before its notification arrives.
//   - A commit of another process drops its keys when its notification
//     arrives on the listening connection (notifier.loop), milliseconds
//     after that commit returned.
//   - While the listening connection is down, notifications are lost, so
//     the cache is emptied and bypassed (off) until LISTEN is back; then
//     it is emptied again and used.
//
// A Get that misses first reserves the key (a pending entry), then reads
// the database, then fills the entry only if that same pending entry is
// still there. Any drop of the key in between (a local commit, a
// notification, emptying) removes the reservation, so a value read before
// a change can never be stored after the change was applied to the cache.
type readCache struct {
	on     atomic.Bool // the change feed is up: the cache may be used
	budget int64       // bytes per shard
	seed   maphash.Seed
	shards [cacheShards]cacheShard

	hits, misses atomic.Int64
}

const (
	cacheShards = 32
	// entryOverhead is what an entry costs beyond its key and value: the
	// map slot, the entry struct and the slice header, roughly.
	entryOverhead = 96
	// defaultCacheBytes is Options.CacheBytes' zero value: 64 MiB.
	defaultCacheBytes = 64 << 20
)

type cacheShard struct {
	mu      sync.Mutex
	entries map[string]*cached // guarded by mu
	bytes   int64              // guarded by mu: the cost of entries
}

// cached is one key's entry: pending until filled, then a value; or held
// (by a commit in progress, a LockKeys, or both: held counts them).
// Absent keys are not cached: a key absent on one server may be created
// by another, and a version record cached as absent would then make the
// version its fresh metadata names look missing until the notification.
type cached struct {
	pending bool
	held    int
	value   []byte // shared; copied out by lookup
}

func (e *cached) cost(key string) int64 { return int64(len(key) + len(e.value) + entryOverhead) }

// newReadCache returns a cache of at most bytes bytes, off until the change
// feed turns it on; nil when bytes is negative (no cache).
func newReadCache(bytes int64) *readCache {
	if bytes < 0 {
		return nil
	}
	if bytes == 0 {
		bytes = defaultCacheBytes
	}
	c := &readCache{budget: max(bytes/cacheShards, 1), seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].entries = make(map[string]*cached)
	}
	return c
}

func (c *readCache) shard(key string) *cacheShard {
	return &c.shards[maphash.String(c.seed, key)%cacheShards]
}

// lookup returns a copy of key's cached value, with hit set when the
// cache answered. On a miss it returns the reservation to pass to fill
// with what the database says; a nil reservation means that nothing is to
// be filled (the cache is off, or the key held).
func (c *readCache) lookup(key string) (value []byte, hit bool, res *cached) {
	if !c.on.Load() {
		return nil, false, nil
	}
	s := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[key]
	if e != nil && e.held > 0 {
		c.misses.Add(1)
		return nil, false, nil
	}
	if e != nil && !e.pending {
		c.hits.Add(1)
		return append(make([]byte, 0, len(e.value)), e.value...), true, nil
	}
	c.misses.Add(1)
	if e == nil {
		// Another Get's reservation (e != nil) serves this one too: both
		// read the database after it was made.
		e = &cached{pending: true}
		s.entries[key] = e
		s.bytes += e.cost(key)
	}
	return nil, false, e
}

// fill stores what the database returned for key under res, unless key was
// dropped since res was made; found false (the key is absent) only drops
// the reservation. value becomes the cache's: the caller must not change
// it.
func (c *readCache) fill(key string, res *cached, value []byte, found bool) {
	s := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.entries[key] != res || !res.pending {
		return
	}
	if !found {
		s.remove(key, res)
		return
	}
	s.bytes -= res.cost(key)
	res.pending, res.value = false, value
	s.bytes += res.cost(key)
	for k, e := range s.entries { // random eviction, down to the budget
		if s.bytes <= c.budget {
			break
		}
		if k != key && e.held == 0 {
			delete(s.entries, k)
			s.bytes -= e.cost(k)
		}
	}
}

// drop forgets keys, reservations included, but not holds.
func (c *readCache) drop(keys ...string) {
	for _, k := range keys {
		s := c.shard(k)
		s.mu.Lock()
		if e := s.entries[k]; e != nil && e.held == 0 {
			s.remove(k, e)
		}
		s.mu.Unlock()
	}
}

// hold makes keys miss, and refuses to fill them, until as many releases:
// what a commit of this process does to the keys it writes while it runs,
// and LockKeys to its keys while they are locked.
func (c *readCache) hold(keys ...string) {
	for _, k := range keys {
		s := c.shard(k)
		s.mu.Lock()
		e := s.entries[k]
		if e == nil || e.held == 0 {
			if e != nil {
				s.remove(k, e)
			}
			e = &cached{}
			s.entries[k] = e
			s.bytes += e.cost(k)
		}
		e.held++
		s.mu.Unlock()
	}
}

// release ends one hold of each key; a key no longer held is forgotten.
func (c *readCache) release(keys ...string) {
	for _, k := range keys {
		s := c.shard(k)
		s.mu.Lock()
		if e := s.entries[k]; e != nil {
			if e.held > 0 {
				e.held--
			}
			if e.held == 0 {
				s.remove(k, e)
			}
		}
		s.mu.Unlock()
	}
}

// remove deletes key's entry e; s.mu is held.
func (s *cacheShard) remove(key string, e *cached) {
	delete(s.entries, key)
	s.bytes -= e.cost(key)
}

// clear forgets everything, reservations included, but not holds.
func (c *readCache) clear() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		for k, e := range s.entries {
			if e.held == 0 {
				s.remove(k, e)
			}
		}
		s.mu.Unlock()
	}
}

// feedDown turns the cache off and empties it: notifications may be lost
// from now on. Call it as soon as the listening connection is found broken.
func (c *readCache) feedDown() {
	c.on.Store(false)
	c.clear()
}

// feedUp empties the cache and turns it on: the listening connection
// listens again, so every commit from now on will be heard. Whatever was
// read or reserved while it was down is forgotten first.
func (c *readCache) feedUp() {
	c.clear()
	c.on.Store(true)
}
