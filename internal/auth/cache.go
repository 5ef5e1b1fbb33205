package auth

import "sync"

// cache holds valid tokens by hash, so that most Lookups read no storage.
//
// A Lookup that misses reads storage with no lock held, so a change may land
// between its read and its insert. Every change therefore bumps epoch, and
// an insert made from a read that began in an earlier epoch is dropped.
// Tokens being revoked are listed in revoking from before the first of them
// leaves storage until each one has left, so a whole tree stops working at
// once.
type cache struct {
	max int // 0 or less: keep nothing (revoking still works)

	mu       sync.RWMutex
	epoch    uint64              // guarded by mu
	tokens   map[string]*Token   // guarded by mu; never handed out, only clones
	revoking map[string]struct{} // guarded by mu
}

func newCache(max int) *cache {
	return &cache{max: max, tokens: make(map[string]*Token), revoking: make(map[string]struct{})}
}

// get returns the cached token for hash (nil if none), whether hash is
// being revoked, and the epoch to hand back to add.
func (c *cache) get(hash string) (t *Token, revoking bool, epoch uint64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	_, revoking = c.revoking[hash]
	return c.tokens[hash], revoking, c.epoch
}

func (c *cache) isRevoking(hash string) bool {
	_, r, _ := c.get(hash)
	return r
}

// add caches t, read from storage in epoch, unless something changed
// since. It reports whether t may still be returned (false: it is being
// revoked).
func (c *cache) add(t *Token, epoch uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, r := c.revoking[t.hash]; r {
		return false
	}
	if epoch == c.epoch {
		c.insertLocked(t)
	}
	return true
}

// put caches t as just written by a change, which starts a new epoch.
func (c *cache) put(t *Token) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	c.insertLocked(t)
}

func (c *cache) insertLocked(t *Token) {
	if c.max <= 0 {
		return
	}
	if _, ok := c.tokens[t.hash]; !ok && len(c.tokens) >= c.max {
		for h := range c.tokens { // an arbitrary victim: map order is random
			delete(c.tokens, h)
			break
		}
	}
	c.tokens[t.hash] = t
}

// drop forgets hash (an expired token), without starting an epoch.
func (c *cache) drop(hash string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.tokens, hash)
}

// startRevoking makes every hash invalid at once, until revoked is called
// for it.
func (c *cache) startRevoking(hashes []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	for _, h := range hashes {
		delete(c.tokens, h)
		c.revoking[h] = struct{}{}
	}
}

// revoked records that hash has left storage. A hash whose removal failed
// stays listed as revoking, so this process keeps refusing it.
func (c *cache) revoked(hash string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	delete(c.revoking, hash)
}

// forget drops hash, changed by another process, and starts an epoch so
// that a read begun before the change is not cached.
func (c *cache) forget(hash string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	delete(c.tokens, hash)
}

// forgetAll drops every cached token and starts an epoch.
func (c *cache) forgetAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	clear(c.tokens)
}
