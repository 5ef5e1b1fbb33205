// Package suggest finds the word a user probably meant, for "did you mean"
// hints in ward's error messages:
//
//	if s := suggest.Closest("capabilties", fields); s != "" { ... }  // "capabilities"
package suggest

import "strings"

// Closest returns the candidate closest to got, when it is close enough to
// be what was meant: at most two edits, ignoring got's case, and fewer edits
// than half of got's length. It returns "" when none is.
func Closest(got string, candidates []string) string {
	got = strings.ToLower(got)
	best, bestD := "", 3
	for _, c := range candidates {
		if d := Distance(got, c); d < bestD && 2*d < len(got) {
			best, bestD = c, d
		}
	}
	return best
}

// Distance counts the insertions, deletions, substitutions and swaps of
// neighbours that turn a into b (the optimal string alignment distance). It
// is meant for short words: past 64 bytes it gives up and answers a large
// number.
func Distance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 30
	}
	pprev := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], pprev[j-2]+1)
			}
		}
		pprev, prev, cur = prev, cur, pprev
	}
	return prev[len(b)]
}
