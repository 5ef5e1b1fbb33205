package server

import "strings"

// routeIndex narrows the rows of the route table that a path may match
// to those whose first two fixed segments agree with the path's, kept in
// table order, so that finding a route tries a handful of rows rather
// than every row before it (a KV read's row is past the hundredth).
type routeIndex struct {
	first, second map[string]bool     // segments fixed in some row
	byKey         map[[2]string][]int // rows for a pair of keys (below)
}

// anySegment is the key of a segment no row fixes at that place.
const anySegment = "{}"

func newRouteIndex(t []compiledRoute) *routeIndex {
	x := &routeIndex{first: map[string]bool{}, second: map[string]bool{}, byKey: map[[2]string][]int{}}
	for _, c := range t {
		if s, ok := fixedSegment(c, 0); ok {
			x.first[s] = true
		}
		if s, ok := fixedSegment(c, 1); ok {
			x.second[s] = true
		}
	}
	for _, k0 := range append(keys(x.first), anySegment) {
		for _, k1 := range append(keys(x.second), anySegment) {
			var rows []int
			for i, c := range t {
				if admits(c, 0, k0) && admits(c, 1, k1) {
					rows = append(rows, i)
				}
			}
			x.byKey[[2]string{k0, k1}] = rows
		}
	}
	return x
}

// rows returns the rows, in table order, that path p may match: every
// other row has a fixed segment among the first two that p lacks.
func (x *routeIndex) rows(p string) []int {
	s0, rest, _ := strings.Cut(p, "/")
	s1, _, _ := strings.Cut(rest, "/")
	k := [2]string{anySegment, anySegment}
	if x.first[s0] {
		k[0] = s0
	}
	if x.second[s1] {
		k[1] = s1
	}
	return x.byKey[k]
}

// fixedSegment returns the row's segment at i when it is fixed text.
func fixedSegment(c compiledRoute, i int) (string, bool) {
	if i >= len(c.segs) || strings.HasPrefix(c.segs[i], "{") {
		return "", false
	}
	return c.segs[i], true
}

// admits reports whether the row may match a path whose segment at i has
// key k: the row leaves that segment free, or fixes it to k.
func admits(c compiledRoute, i int, k string) bool {
	s, fixed := fixedSegment(c, i)
	return !fixed || s == k
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
