package detect

import "time"

// limiter drops duplicate alerts and rate-limits the rest per detector and
// identity. Its windows run on the alerts' own times, so a replay limits as
// the live feed did. Its memory is bounded like the engine's.
type limiter struct {
	seen    *lru[string, time.Time] // dedupe key -> time of the last alert let through
	buckets *lru[string, *bucket]   // detector and identity -> this window's count
}

type bucket struct {
	start      time.Time
	n          int
	suppressed int // held back since the last alert let through
}

func newLimiter(size int) *limiter {
	return &limiter{seen: newLRU[string, time.Time](size), buckets: newLRU[string, *bucket](size)}
}

// Verdicts of limiter.allow.
const (
	letThrough = iota
	duplicate
	rateLimited
)

// allow decides on a, and sets a.Suppressed on an alert let through after
// some were held back.
func (l *limiter) allow(a *Alert, cfg *Config) int {
	key := a.dedupeKey()
	if last, ok := l.seen.Get(key); ok && a.Time.Sub(last) < cfg.DedupeFor {
		return duplicate
	}
	bkey := a.Detector + "\x00" + a.Identity
	b, ok := l.buckets.Get(bkey)
	if !ok {
		b = &bucket{start: a.Time}
		l.buckets.Put(bkey, b)
	}
	if !a.Time.Before(b.start.Add(cfg.RateLimit.Per)) {
		b.start, b.n = a.Time, 0
	}
	if b.n >= cfg.RateLimit.Alerts {
		b.suppressed++
		return rateLimited
	}
	b.n++
	a.Suppressed, b.suppressed = b.suppressed, 0
	l.seen.Put(key, a.Time)
	return letThrough
}
