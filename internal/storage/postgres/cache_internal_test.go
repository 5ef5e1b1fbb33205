package postgres

import (
	"fmt"
	"testing"
)

func hit(t *testing.T, c *readCache, key string) string {
	t.Helper()
	v, ok, res := c.lookup(key)
	if !ok {
		t.Fatalf("%q: a miss, want a hit", key)
	}
	if res != nil {
		t.Fatalf("%q: a hit with a reservation", key)
	}
	return string(v)
}

func miss(t *testing.T, c *readCache, key string) *cached {
	t.Helper()
	_, ok, res := c.lookup(key)
	if ok {
		t.Fatalf("%q: a hit, want a miss", key)
	}
	return res
}

// A filled key is answered from the cache, and each hit is the caller's
// own copy; an absent key is not cached (another server may create it).
func TestCacheFillThenHit(t *testing.T) {
	c := newReadCache(0)
	c.feedUp()
	c.fill("a", miss(t, c, "a"), []byte("one"), true)
	c.fill("gone", miss(t, c, "gone"), nil, false)
	if v := hit(t, c, "a"); v != "one" {
		t.Errorf("a = %q, want one", v)
	}
	miss(t, c, "gone")
	v, _, _ := c.lookup("a")
	v[0] = 'X'
	if v := hit(t, c, "a"); v != "one" {
		t.Errorf("changing a returned value changed the cache: %q", v)
	}
}

// A value read before a key was dropped is never stored after the drop,
// whatever dropped it; two readers of one key share one reservation.
func TestCacheRefusesAFillAfterADrop(t *testing.T) {
	for _, tc := range []struct {
		name string
		drop func(c *readCache)
	}{
		{"drop", func(c *readCache) { c.drop("k") }},
		{"clear", (*readCache).clear},
		{"feed down and up", func(c *readCache) { c.feedDown(); c.feedUp() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newReadCache(0)
			c.feedUp()
			first := miss(t, c, "k")
			second := miss(t, c, "k")
			if first != second {
				t.Error("a second reader of a pending key made its own reservation")
			}
			tc.drop(c)
			c.fill("k", first, []byte("old"), true)
			miss(t, c, "k")
		})
	}
}

// While the feed is down the cache answers nothing and reserves nothing,
// and what it held before is gone when the feed is back.
func TestCacheIsOffWhileTheFeedIsDown(t *testing.T) {
	c := newReadCache(0)
	if _, ok, res := c.lookup("k"); ok || res != nil {
		t.Fatal("a cache whose feed never started was used")
	}
	c.feedUp()
	c.fill("k", miss(t, c, "k"), []byte("v"), true)
	c.feedDown()
	if _, ok, res := c.lookup("k"); ok || res != nil {
		t.Fatal("the cache was used while the feed was down")
	}
	c.feedUp()
	miss(t, c, "k")
}

// The cache never holds more than its budget, however many keys fill it.
func TestCacheStaysWithinItsBudget(t *testing.T) {
	const budget = 64 << 10
	c := newReadCache(budget)
	c.feedUp()
	value := make([]byte, 300)
	for i := range 5000 {
		k := fmt.Sprintf("key/%d", i)
		c.fill(k, miss(t, c, k), value, true)
	}
	var total int64
	entries := 0
	for i := range c.shards {
		s := &c.shards[i]
		var sum int64
		for k, e := range s.entries {
			sum += e.cost(k)
		}
		if sum != s.bytes {
			t.Fatalf("shard %d counts %d bytes, holds %d", i, s.bytes, sum)
		}
		total += sum
		entries += len(s.entries)
	}
	if total > budget {
		t.Errorf("cache holds %d bytes, budget %d", total, budget)
	}
	if entries < 50 {
		t.Errorf("cache holds %d entries: evicting far more than the budget needs", entries)
	}
	// The entry just filled is never the one evicted.
	c.fill("newest", miss(t, c, "newest"), value, true)
	hit(t, c, "newest")
}

// A held key (a commit in progress, a LockKeys) misses without a
// reservation; neither a notification's drop nor emptying the cache lifts
// the hold, and two holds (a commit under a LockKeys) need two releases.
func TestCacheHoldsKeys(t *testing.T) {
	c := newReadCache(0)
	c.feedUp()
	held := func(why string) {
		t.Helper()
		if _, ok, res := c.lookup("k"); ok || res != nil {
			t.Fatalf("%s: a held key was answered or reserved: hit %v, reservation %v", why, ok, res != nil)
		}
	}
	res := miss(t, c, "k")
	c.hold("k")
	c.fill("k", res, []byte("before the commit"), true)
	held("a fill after the hold")
	for _, lift := range []func(){func() { c.drop("k") }, c.clear, func() { c.feedDown(); c.feedUp() }} {
		lift()
		held("drop, clear or a feed restart")
	}
	c.hold("k")
	c.release("k")
	held("one of two holds released")
	c.release("k")
	c.fill("k", miss(t, c, "k"), []byte("after"), true)
	if v := hit(t, c, "k"); v != "after" {
		t.Errorf("k = %q after release and fill, want after", v)
	}
	c.release("k") // a release of a key not held forgets it
	miss(t, c, "k")
}
