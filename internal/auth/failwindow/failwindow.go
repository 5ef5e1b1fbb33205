// Package failwindow is the sliding window that password and TOTP lockouts
// count failures in: a list of failure times, oldest first, of which only
// those younger than the window count.
//
//	live := failwindow.Live(failures, now, 15*time.Minute)
//	locked := len(live) >= max
package failwindow

import "time"

// Live returns the failures of f (oldest first) still inside window at
// now: a suffix of f, or nil when none is.
func Live(f []time.Time, now time.Time, window time.Duration) []time.Time {
	i := 0
	for i < len(f) && !now.Before(f[i].Add(window)) {
		i++
	}
	if i == len(f) {
		return nil
	}
	return f[i:]
}
