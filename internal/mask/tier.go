package mask

import (
	"encoding/binary"
	"math/bits"
)

// A tier finds every occurrence of a set of patterns of one length L in a
// buffer. It samples the buffer: only at every s-th position does it hash the
// q-gram there and test it in a bitmap of all q-grams of the patterns (one
// multiply, one load). An occurrence of length L always covers a sampled
// position whose q-gram lies wholly inside it, so sampling misses nothing;
// only the rare positions that pass the bitmap are verified exactly, through
// a hash table of the patterns.
type tier struct {
	L, q, s int
	bits    []uint64 // bitmap of q-gram hashes
	bshift  uint     // bitmap index = hash >> bshift
	grams   []uint64 // open addressing set of the exact q-grams; 0 empty
	gmask   uint64
	gzero   bool     // the all-zero q-gram is in the set
	table   []uint32 // open addressing: pattern index+1, 0 empty
	tmask   uint64
	arena   []byte  // pattern i is arena[i*L:(i+1)*L]
	owner   []int32 // pattern i belongs to value owner[i]
}

const (
	mulA = 0x9E3779B97F4A7C15
	mulB = 0xC2B2AE3D27D4EB4F
)

// tierBuilder gathers the patterns of one length before newTier indexes
// them. Patterns may repeat; the first owner wins.
type tierBuilder struct {
	L      int
	arena  []byte
	owners []int32
	grams  []uint64 // every q-gram of the forms the patterns come from
}

func (b *tierBuilder) q() int {
	if b.L < 8 {
		return 4
	}
	return 8
}

// addGrams adds the q-grams of form f (a superset of its windows' grams).
func (b *tierBuilder) addGrams(f []byte) {
	q := b.q()
	for j := 0; j+q <= len(f); j++ {
		if q == 8 {
			b.grams = append(b.grams, binary.LittleEndian.Uint64(f[j:]))
		} else {
			b.grams = append(b.grams, uint64(binary.LittleEndian.Uint32(f[j:])))
		}
	}
}

func newTier(b *tierBuilder) *tier {
	L := b.L
	t := &tier{L: L, q: b.q()}
	t.s = L - t.q + 1
	n := len(b.owners)
	bitsLog := max(16, min(bitmapMaxLog, bits.Len(uint(len(b.grams)*32))))
	t.bits = make([]uint64, 1<<(bitsLog-6))
	t.bshift = uint(64 - bitsLog)
	tabLog := max(4, bits.Len(uint(n*2)))
	t.table = make([]uint32, 1<<tabLog)
	t.tmask = 1<<tabLog - 1
	t.arena = make([]byte, 0, n*L)
	t.owner = make([]int32, 0, n)
	for i, o := range b.owners {
		p := b.arena[i*L : (i+1)*L]
		h := t.phash(p) & t.tmask
		for ; t.table[h] != 0; h = (h + 1) & t.tmask {
			if j := int(t.table[h] - 1); string(t.arena[j*L:(j+1)*L]) == string(p) {
				break
			}
		}
		if t.table[h] != 0 {
			continue // a repeat: the first owner keeps it
		}
		t.table[h] = uint32(len(t.owner)) + 1
		t.arena = append(t.arena, p...)
		t.owner = append(t.owner, o)
	}
	gLog := max(4, bits.Len(uint(len(t.owner)*2)))
	t.grams = make([]uint64, 1<<gLog)
	t.gmask = 1<<gLog - 1
	ngrams := 0
	for _, x := range b.grams {
		g := (x * mulA) >> t.bshift
		t.bits[g>>6] |= 1 << (g & 63)
		if t.addGram(x) {
			if ngrams++; ngrams*4 > len(t.grams)*3 {
				t.growGrams()
			}
		}
	}
	return t
}

// addGram adds x to the exact gram set and reports whether it was new.
func (t *tier) addGram(x uint64) bool {
	if x == 0 {
		added := !t.gzero
		t.gzero = true
		return added
	}
	for h := (x * mulB) >> 7 & t.gmask; ; h = (h + 1) & t.gmask {
		switch t.grams[h] {
		case x:
			return false
		case 0:
			t.grams[h] = x
			return true
		}
	}
}

func (t *tier) growGrams() {
	old := t.grams
	t.grams = make([]uint64, 2*len(old))
	t.gmask = uint64(len(t.grams) - 1)
	for _, x := range old {
		if x != 0 {
			t.addGram(x)
		}
	}
}

// load reads the q-gram of b at i.
func (t *tier) load(b []byte, i int) uint64 {
	if t.q == 8 {
		return binary.LittleEndian.Uint64(b[i:])
	}
	return uint64(binary.LittleEndian.Uint32(b[i:]))
}

// hasGram reports whether x is exactly a q-gram of some pattern.
func (t *tier) hasGram(x uint64) bool {
	if x == 0 {
		return t.gzero
	}
	for h := (x * mulB) >> 7 & t.gmask; ; h = (h + 1) & t.gmask {
		switch t.grams[h] {
		case x:
			return true
		case 0:
			return false
		}
	}
}

// gram is the bitmap index of the q-gram of b at i.
func (t *tier) gram(b []byte, i int) uint64 {
	return (t.load(b, i) * mulA) >> t.bshift
}

// phash hashes a whole pattern (len(p) == t.L).
func (t *tier) phash(p []byte) uint64 {
	var a, b uint64
	if len(p) >= 8 {
		a, b = binary.LittleEndian.Uint64(p), binary.LittleEndian.Uint64(p[len(p)-8:])
	} else {
		a, b = uint64(binary.LittleEndian.Uint32(p)), uint64(binary.LittleEndian.Uint32(p[len(p)-4:]))
	}
	h := a*mulA ^ bits.RotateLeft64(b*mulB, 31)
	return h ^ h>>29
}

// lookup returns the owner of pattern p, or -1.
func (t *tier) lookup(p []byte) int32 {
	for h := t.phash(p) & t.tmask; ; h = (h + 1) & t.tmask {
		e := t.table[h]
		if e == 0 {
			return -1
		}
		i := int(e - 1)
		if string(t.arena[i*t.L:(i+1)*t.L]) == string(p) {
			return t.owner[i]
		}
	}
}

// scan appends every occurrence in b to ms.
func (t *tier) scan(b []byte, ms []match) []match {
	L, q, s := t.L, t.q, t.s
	last := len(b) - q
	bm := t.bits
	for i := 0; i <= last; i += s {
		var x uint64
		if q == 8 {
			x = binary.LittleEndian.Uint64(b[i:])
		} else {
			x = uint64(binary.LittleEndian.Uint32(b[i:]))
		}
		g := (x * mulA) >> t.bshift
		if bm[g>>6]&(1<<(g&63)) == 0 || !t.hasGram(x) {
			continue
		}
		for j := 0; j < s; j++ {
			start := i - j
			if start < 0 || start+L > len(b) {
				continue
			}
			if o := t.lookup(b[start : start+L]); o >= 0 {
				ms = append(ms, match{start: start, end: start + L, owner: o})
			}
		}
	}
	return ms
}

// match is one occurrence of a pattern at b[start:end], or one side of a
// folded occurrence.
type match struct {
	start, end int
	owner      int32
}

// bitmapMaxLog caps a tier's q-gram bitmap at 2^bitmapMaxLog bits, so that it
// stays in a core's L2 cache.
var bitmapMaxLog = 24
