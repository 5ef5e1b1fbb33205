// Package ratelimit limits how often something may happen: failed logins per
// source address and per role, so that a flood of bad credentials is
// refused cheaply (429 with Retry-After) before it costs a signature check
// or a line in the audit log; and requests per token, so that one runaway
// job cannot take the server from everyone else.
//
// A Limiter keeps one small record per key (a time, as in the generic cell
// rate algorithm): Burst failures may come at once, then one more every
// Every. Only failures count; asking is free:
//
//	lim := ratelimit.New(ratelimit.Config{Burst: 20, Every: time.Second})
//	if wait, ok := lim.Allow(key); !ok {
//		return &ratelimit.LimitedError{RetryAfter: wait} // 429, Retry-After: wait
//	}
//	if err := check(credentials); err != nil {
//		lim.Fail(key)
//	}
//
// Take counts every request instead, for a limit on how often something may
// be asked at all (requests per token): it records the request when it fits
// and refuses it, recording nothing, when it does not:
//
//	if wait, ok := perToken.Take(accessor); !ok {
//		return 429 with Retry-After: wait
//	}
//
// Memory is bounded by Config.MaxKeys. When the table is full of keys that
// are all still limited, new keys share one overflow record, so a flood from
// many addresses is limited as one source rather than growing the table.
package ratelimit

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrLimited is wrapped by every *LimitedError.
var ErrLimited = errors.New("too many failed attempts")

// LimitedError is a refusal by a Limiter: try again after RetryAfter.
type LimitedError struct {
	What       string        // what is limited, public: "logins from this address"
	RetryAfter time.Duration // at least one second
}

func (e *LimitedError) Error() string {
	what := e.What
	if what == "" {
		what = "attempts"
	}
	return fmt.Sprintf("too many failed %s; try again in %s", what, e.RetryAfter)
}

func (e *LimitedError) Unwrap() error { return ErrLimited }

// Config configures a Limiter. Zero fields take the documented defaults.
type Config struct {
	Burst   int              // failures allowed at once; 0: 10
	Every   time.Duration    // one more failure allowed per Every; 0: one second
	MaxKeys int              // records kept at most; 0: 65536
	Now     func() time.Time // nil: time.Now
}

// Limiter counts failures per key. It is safe for concurrent use.
type Limiter struct {
	cfg   Config
	width time.Duration // Burst × Every: how far ahead a key may run

	mu       sync.Mutex
	tat      map[string]time.Time // guarded by mu: each key's next free time
	overflow time.Time            // guarded by mu: the shared record when tat is full
}

// New returns a Limiter.
func New(cfg Config) *Limiter {
	if cfg.Burst <= 0 {
		cfg.Burst = 10
	}
	if cfg.Every <= 0 {
		cfg.Every = time.Second
	}
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = 1 << 16
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Limiter{cfg: cfg, width: time.Duration(cfg.Burst) * cfg.Every, tat: map[string]time.Time{}}
}

// Allow reports whether key may try now and, if not, how long it must wait
// (rounded up to whole seconds, as Retry-After counts them). It records
// nothing.
func (l *Limiter) Allow(key string) (time.Duration, bool) {
	now := l.cfg.Now()
	l.mu.Lock()
	tat, ok := l.tat[key]
	if !ok && len(l.tat) >= l.cfg.MaxKeys {
		tat = l.overflow
	}
	l.mu.Unlock()
	// Allowed while one more failure would still fit in the burst.
	if !l.limited(tat, now) {
		return 0, true
	}
	wait := tat.Add(l.cfg.Every).Sub(now) - l.width
	return (wait + time.Second - 1).Truncate(time.Second), false
}

// Fail records a failure of key. It reports whether this failure is the
// one that used up the burst, so that a caller may log once per episode.
func (l *Limiter) Fail(key string) (limited bool) {
	now := l.cfg.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	tat, shared := l.recordLocked(key, now)
	was := l.limited(tat, now)
	tat = later(tat, now).Add(l.cfg.Every)
	l.storeLocked(key, tat, shared)
	return !was && l.limited(tat, now)
}

// recordLocked returns key's record, or the shared overflow one (shared)
// when the table is full even after a sweep.
func (l *Limiter) recordLocked(key string, now time.Time) (tat time.Time, shared bool) {
	tat, ok := l.tat[key]
	if !ok && len(l.tat) >= l.cfg.MaxKeys {
		l.sweepLocked(now)
	}
	if !ok && len(l.tat) >= l.cfg.MaxKeys {
		return l.overflow, true
	}
	return tat, false
}

func (l *Limiter) storeLocked(key string, tat time.Time, shared bool) {
	if shared {
		l.overflow = tat
	} else {
		l.tat[key] = tat
	}
}

// Take records one event of key if it fits in the burst and reports true;
// otherwise it records nothing and reports how long key must wait (rounded
// up to whole seconds, as Retry-After counts them). Allow and Fail count
// failures only; Take counts whatever it is called for.
func (l *Limiter) Take(key string) (time.Duration, bool) {
	now := l.cfg.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	tat, shared := l.recordLocked(key, now)
	next := later(tat, now).Add(l.cfg.Every)
	if over := next.Sub(now) - l.width; over > 0 {
		return (over + time.Second - 1).Truncate(time.Second), false
	}
	l.storeLocked(key, next, shared)
	return 0, true
}

// limited reports whether a key whose record is tat must wait at now.
func (l *Limiter) limited(tat, now time.Time) bool {
	return tat.Add(l.cfg.Every).Sub(now) > l.width
}

// sweepLocked drops the records of keys that have no failure left to wait
// out: they are the same as no record.
func (l *Limiter) sweepLocked(now time.Time) {
	for k, tat := range l.tat {
		if !tat.After(now) {
			delete(l.tat, k)
		}
	}
}

// Len returns the number of keys with a record, for tests and metrics.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.tat)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
