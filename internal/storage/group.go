package storage

import "runtime"

// Gather starts a group commit's group with first and adds every call
// already waiting on waiting, up to max in all, without waiting for more;
// the group reuses group's storage. It first yields once, so that writers
// just woken by the previous commit can queue their next calls: without
// this the writers split into two alternating half groups (measured on
// bbolt: 8 vs 14.5 calls per commit with 16 writers, and 1.6x the writes
// per second); a lone writer loses well under 1µs.
func Gather[T any](waiting <-chan T, group []T, first T, max int) []T {
	runtime.Gosched()
	group = append(group[:0], first)
	for len(group) < max {
		select {
		case w, ok := <-waiting:
			if !ok {
				return group
			}
			group = append(group, w)
		default:
			return group
		}
	}
	return group
}
