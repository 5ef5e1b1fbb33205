package mask

import (
	"math/rand/v2"
	"testing"
)

// newlineMasks agrees with a byte-by-byte look at every block it fills,
// at every alignment of b and every density of line breaks, and fills no
// more blocks than b holds whole or masks has room for.
func TestNewlineMasks(t *testing.T) {
	if !haveNewlineMasks {
		t.Skip("no vector code on this architecture: find uses bytes.IndexByte")
	}
	r := rand.New(rand.NewPCG(7, 8))
	for _, density := range []int{0, 1, 10, 64, 256} {
		buf := make([]byte, 4096+64)
		for i := range buf {
			buf[i] = byte(r.IntN(256))
			if buf[i] == '\n' {
				buf[i] = 'x'
			}
			if density > 0 && r.IntN(256) < density {
				buf[i] = '\n'
			}
		}
		for align := range 64 {
			for _, n := range []int{0, 63, 64, 65, 1000, 4096} {
				b := buf[align : align+n]
				masks := make([]uint64, 70)
				for i := range masks {
					masks[i] = 0xdead
				}
				got := newlineMasks(b, masks[:50])
				if want := min(n/64, 50); got != want {
					t.Fatalf("density %d align %d len %d: %d blocks, want %d", density, align, n, got, want)
				}
				for k := range masks {
					var want uint64 = 0xdead
					if k < got {
						want = 0
						for j, c := range b[64*k : 64*k+64] {
							if c == '\n' {
								want |= 1 << j
							}
						}
					}
					if masks[k] != want {
						t.Fatalf("density %d align %d len %d: block %d: %#x, want %#x", density, align, n, k, masks[k], want)
					}
				}
			}
		}
	}
}
