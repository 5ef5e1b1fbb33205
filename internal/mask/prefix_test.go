package mask

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSortPrefixRefs checks the bucketed sort against the plain one, with
// keys that crowd into a few buckets as well as spread ones.
func TestSortPrefixRefs(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{10, 5000, 70000} {
		x := make(prefixIndex, n)
		for i := range x {
			k := r.Uint64()
			if i%3 == 0 {
				k = 0x6768705f<<32 | k>>32 // "ghp_...": one bucket
			}
			x[i] = prefixRef{key: k, idx: uint32(i)}
		}
		got := sortPrefixRefs(slices.Clone(x))
		if len(got) != n || !slices.IsSortedFunc(got, func(a, b prefixRef) int { return cmp.Compare(a.key, b.key) }) {
			t.Fatalf("n=%d: not sorted by key", n)
		}
		seen := make([]bool, n)
		for _, ref := range got {
			seen[ref.idx] = true
		}
		if slices.Contains(seen, false) {
			t.Fatalf("n=%d: a ref was lost", n)
		}
	}
}
