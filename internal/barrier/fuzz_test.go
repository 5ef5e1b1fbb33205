package barrier

import (
	"errors"
	"sync"
	"testing"
)

// FuzzUnseal gives a sealed barrier arbitrary shares, alone or after a real
// one: Unseal must never panic, never open the barrier, and refuse only
// with ErrBadShares.
func FuzzUnseal(f *testing.F) {
	var once sync.Once
	var fx *fixture
	setup := func(t *testing.T) *fixture {
		once.Do(func() { fx = newFixture(t, 0) })
		return fx
	}
	f.Add([]byte{}, []byte{}, false)
	f.Add(make([]byte, 33), make([]byte, 33), true)
	f.Add(append(make([]byte, 32), 1), append(make([]byte, 32), 2), false)
	f.Add(append(make([]byte, 32), 1), append(make([]byte, 32), 1), true)
	f.Fuzz(func(t *testing.T, s1, s2 []byte, afterReal bool) {
		fx := setup(t)
		b := fx.barrier()
		shares := [][]byte{s1, s2}
		if afterReal {
			shares = [][]byte{fx.shares[0], s1, s2}
		}
		for _, s := range shares {
			st, err := b.Unseal(ctx, s)
			if err != nil && !errors.Is(err, ErrBadShares) {
				t.Fatalf("Unseal error %v does not wrap ErrBadShares", err)
			}
			if !st.Sealed {
				// Only a real share at the same x coordinate as ours
				// could do this: the fuzzer found share 2 or 3.
				t.Fatalf("arbitrary shares unsealed the barrier")
			}
		}
	})
}
