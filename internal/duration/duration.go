// Package duration reads the durations people write in ward's files and
// flags: as Go writes them (90m, 36h) or in days and weeks (90d, 2w, 1w3d),
// as rotate_every, the environment rules and alerts.yaml take them.
package duration

import (
	"strconv"
	"time"
)

// MaxDays bounds a duration: about 100 years, so no sum overflows.
const MaxDays = 36525

const day = 24 * time.Hour

// Parse reads s: runs of days and weeks (7d, 2w), then optionally a Go
// duration for the rest (1d12h). ok is false for an empty or malformed s,
// a total below zero, and one above MaxDays days.
func Parse(s string) (d time.Duration, ok bool) {
	if s == "" {
		return 0, false
	}
	var total time.Duration
	rest := s
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i == len(rest) || (rest[i] != 'd' && rest[i] != 'w') {
			break
		}
		n, err := strconv.Atoi(rest[:i])
		if err != nil || n > MaxDays {
			return 0, false
		}
		unit := day
		if rest[i] == 'w' {
			unit *= 7
		}
		total += time.Duration(n) * unit
		if total > MaxDays*day {
			return 0, false
		}
		rest = rest[i+1:]
	}
	if rest != "" {
		d, err := time.ParseDuration(rest)
		if err != nil {
			return 0, false
		}
		total += d
	}
	if total < 0 || total > MaxDays*day {
		return 0, false
	}
	return total, true
}
