package ratelimit

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock                   { return &clock{time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)} }
func limiter(c *clock, burst int) *Limiter {
	return New(Config{Burst: burst, Every: time.Second, Now: c.now})
}
func allowed(l *Limiter, key string) bool          { _, ok := l.Allow(key); return ok }
func waitFor(l *Limiter, key string) time.Duration { d, _ := l.Allow(key); return d }

func TestBurstThenOnePerEvery(t *testing.T) {
	c := newClock()
	l := limiter(c, 3)
	for i := range 3 {
		if !allowed(l, "a") {
			t.Fatalf("failure %d refused within the burst", i+1)
		}
		if tipped := l.Fail("a"); tipped != (i == 2) {
			t.Fatalf("failure %d: Fail = %v", i+1, tipped)
		}
	}
	if allowed(l, "a") {
		t.Fatal("a fourth attempt allowed at once")
	}
	if d := waitFor(l, "a"); d != time.Second {
		t.Fatalf("Retry-After %v, want 1s", d)
	}
	if !allowed(l, "b") {
		t.Fatal("another key is limited too")
	}
	c.advance(999 * time.Millisecond)
	if allowed(l, "a") {
		t.Fatal("allowed before Retry-After")
	}
	c.advance(time.Millisecond)
	if !allowed(l, "a") {
		t.Fatal("refused after Retry-After")
	}
	l.Fail("a")
	if allowed(l, "a") {
		t.Fatal("a failure after the wait did not use the one allowed")
	}
	c.advance(10 * time.Second) // the burst comes back
	for i := range 3 {
		if !allowed(l, "a") {
			t.Fatalf("after a quiet spell, failure %d refused", i+1)
		}
		l.Fail("a")
	}
}

// Retry-After counts whole seconds, rounded up, never 0.
func TestRetryAfterRoundsUp(t *testing.T) {
	c := newClock()
	l := New(Config{Burst: 1, Every: 2500 * time.Millisecond, Now: c.now})
	l.Fail("a")
	if d := waitFor(l, "a"); d != 3*time.Second {
		t.Fatalf("wait %v, want 3s", d)
	}
	c.advance(2400 * time.Millisecond)
	if d := waitFor(l, "a"); d != time.Second {
		t.Fatalf("wait %v, want 1s", d)
	}
}

// Failures while limited (a race past Allow) push the wait further.
func TestFailWhileLimitedExtends(t *testing.T) {
	c := newClock()
	l := limiter(c, 1)
	l.Fail("a")
	if l.Fail("a") {
		t.Fatal("Fail reported the tipping failure twice")
	}
	if d := waitFor(l, "a"); d != 2*time.Second {
		t.Fatalf("wait %v, want 2s", d)
	}
}

// A flood from more keys than the table holds shares one record: the table
// stays bounded and the newcomers are limited together.
func TestMaxKeysBoundsMemory(t *testing.T) {
	c := newClock()
	l := New(Config{Burst: 2, Every: time.Second, MaxKeys: 100, Now: c.now})
	for i := range 100 {
		l.Fail(fmt.Sprint("held-", i))
		l.Fail(fmt.Sprint("held-", i))
	}
	for i := range 10000 {
		key := fmt.Sprint("new-", i)
		if i >= 2 && allowed(l, key) {
			t.Fatalf("new key %d allowed: the overflow record does not limit", i)
		}
		l.Fail(key)
	}
	if n := l.Len(); n > 100 {
		t.Fatalf("%d records, want at most 100", n)
	}
	// Once the held keys' failures are waited out, they are swept and new
	// keys get records of their own again.
	c.advance(time.Hour)
	l.Fail("fresh")
	if l.Len() != 1 || !allowed(l, "fresh") {
		t.Fatalf("after the sweep: %d records", l.Len())
	}
}

func TestLimitedError(t *testing.T) {
	err := error(&LimitedError{What: "logins from this address", RetryAfter: 3 * time.Second})
	if !errors.Is(err, ErrLimited) || err.Error() != "too many failed logins from this address; try again in 3s" {
		t.Fatalf("%v", err)
	}
}

func TestConcurrent(t *testing.T) {
	l := New(Config{Burst: 1000, Every: time.Hour})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				l.Allow(fmt.Sprint(w, i%7))
				l.Fail(fmt.Sprint(w, i%7))
			}
		}()
	}
	wg.Wait()
	if l.Len() != 56 {
		t.Fatalf("%d keys, want 56", l.Len())
	}
}

func BenchmarkAllow(b *testing.B) {
	l := New(Config{})
	for i := range 1000 {
		l.Fail(fmt.Sprint("10.0.0.", i))
	}
	for b.Loop() {
		l.Allow("10.0.0.7")
	}
}

// Take counts every call: Burst at once, then one per Every, and a refused
// call records nothing, so waiting out Retry-After is enough.
func TestTakeCountsRequests(t *testing.T) {
	c := newClock()
	l := New(Config{Burst: 4, Every: 250 * time.Millisecond, Now: c.now})
	for i := range 4 {
		if _, ok := l.Take("tok"); !ok {
			t.Fatalf("request %d refused within the burst", i+1)
		}
	}
	for range 3 { // refused calls must not push the wait further out
		if d, ok := l.Take("tok"); ok || d != time.Second {
			t.Fatalf("a fifth request at once: ok=%v Retry-After %v, want refused, 1s", ok, d)
		}
	}
	if _, ok := l.Take("other"); !ok {
		t.Fatal("another key is limited too")
	}
	c.advance(249 * time.Millisecond)
	if _, ok := l.Take("tok"); ok {
		t.Fatal("allowed before one Every passed")
	}
	c.advance(time.Millisecond)
	if _, ok := l.Take("tok"); !ok {
		t.Fatal("refused after one Every")
	}
	if _, ok := l.Take("tok"); ok {
		t.Fatal("two requests allowed for one Every")
	}
	c.advance(time.Second) // the whole burst comes back
	for i := range 4 {
		if _, ok := l.Take("tok"); !ok {
			t.Fatalf("after a quiet second, request %d refused", i+1)
		}
	}
}

// A quota is a Limiter with a long Every: 3 an hour, then Retry-After
// counts the minutes to the next one.
func TestTakeAsQuota(t *testing.T) {
	c := newClock()
	l := New(Config{Burst: 3, Every: time.Hour / 3, Now: c.now})
	for range 3 {
		if _, ok := l.Take("tok"); !ok {
			t.Fatal("within the quota: refused")
		}
	}
	c.advance(5 * time.Minute)
	if d, ok := l.Take("tok"); ok || d != 15*time.Minute {
		t.Fatalf("over the quota: ok=%v Retry-After %v, want refused, 15m", ok, d)
	}
}
