// Package leasetest gives tests of leases and engines a fake clock and an
// unsealed barrier over memory storage.
package leasetest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/barrier"
	"github.com/wardhq/ward/internal/storage/memory"
)

// Clock is a fake clock: time moves only by Advance. Its methods fit
// lease.Config's Now and After.
type Clock struct {
	mu      sync.Mutex
	now     time.Time // guarded by mu
	waiters []waiter  // guarded by mu
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

// NewClock returns a clock at start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After returns a channel that receives once the clock has moved d on.
func (c *Clock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	at := c.now.Add(d)
	if !at.After(c.now) {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, waiter{at, ch})
	return ch
}

// Advance moves the clock d on and fires the waiters whose time has come.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.now) {
			kept = append(kept, w)
		} else {
			w.ch <- c.now
		}
	}
	c.waiters = kept
}

// Barrier returns an unsealed barrier over memory storage with a key for
// each of envIDs, and the memory storage under it.
func Barrier(t testing.TB, envIDs ...string) (*barrier.Barrier, *memory.Backend) {
	t.Helper()
	ctx := context.Background()
	mem := memory.New()
	// The vault's layout: a key under env/ID/ is sealed by environment
	// ID's keyring.
	layout := func(key string) (string, bool) {
		rest, ok := strings.CutPrefix(key, "env/")
		if !ok {
			return "", false
		}
		id, _, ok := strings.Cut(rest, "/")
		return id, ok
	}
	b := barrier.New(barrier.Config{Storage: mem, KeyringOf: layout})
	shares, err := b.Init(ctx, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Unseal(ctx, shares[0]); err != nil {
		t.Fatal(err)
	}
	for _, id := range envIDs {
		if err := b.CreateEnvKey(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	return b, mem
}
