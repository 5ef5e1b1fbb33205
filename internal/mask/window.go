package mask

import (
	"encoding/binary"
	"math/bits"
	"slices"
	"unsafe"
)

// windowIndex finds every run of at least WindowLen bytes that a buffer
// shares with one of the forms at least WindowLen long. It keeps the forms
// themselves, end to end, and an index of every 8-gram in them, not the
// windows: building it costs one pass over the forms, whatever their
// number of windows.
//
// Like a tier it samples the buffer at every (WindowLen-7)th position and
// tests the 8-gram there in a Bloom filter (one word); a run of WindowLen bytes always covers
// one sampled gram. A gram that passes leads, through the exact index, to
// the places in the forms where it occurs, and each is extended left and
// right as far as the buffer agrees with the form; a run of WindowLen bytes
// or more is a match.
type windowIndex struct {
	arena  []byte  // the forms, end to end
	starts []int32 // form i is arena[starts[i]:starts[i+1]]
	owners []int32 // value index by form
	// public marks the arena positions where a window inside a public line
	// (PEM armour) starts; nil when there is none.
	public []uint64

	// bits is a Bloom filter of the grams, four bits in one word per
	// gram: word x*mulB >> bshift, bits gramBits(x). More bits in the
	// one word cost a few shifts and no load: on loggen's log with
	// 1,000 secrets, 8 % of the sampled grams pass it wrongly with one
	// bit, 2.2 % with two, 0.77 % with four. It is tested every 9 bytes:
	// its size decides whether those tests stay in cache.
	bits   []uint64
	bshift uint
	// The exact index, bucketed by hash >> gshift: bucket h holds the
	// grams at arena positions pos[lo:hi], where lo and hi are the low
	// halves of buckets[h] and buckets[h+1]. The high half of buckets[h]
	// has two bits set for each of its grams (bucketBits), so that most
	// grams that passed the Bloom filter wrongly are turned away by the
	// load that finds the bucket, without a look at the arena. The grams
	// are read from the arena, not kept beside pos: 3.6 MB fewer with
	// 1,000 secrets, and a gram that passes is extended there anyway.
	buckets []uint64
	pos     []int32
	gshift  uint

	// Prefix filters for tails shorter than 8 bytes, over the first bytes
	// of every window: one byte and two bytes exactly; three to seven
	// bytes as a Bloom filter whose word depends on the first three bytes
	// and whose bit in it on all n of them, so that adding a window
	// touches one word.
	pre1 [4]uint64
	pre2 []uint64
	preN []uint64
}

// windowBuilder gathers the forms before build indexes them.
type windowBuilder struct {
	arena  []byte
	starts []int32
	owners []int32
	public []int32 // arena positions of public windows
}

// add adds form f (at least WindowLen bytes) of value owner; windows of it
// inside one of the public lines are not masked.
func (b *windowBuilder) add(f []byte, owner int32, public []string) {
	base := len(b.arena)
	b.starts = append(b.starts, int32(base))
	b.owners = append(b.owners, owner)
	b.arena = append(b.arena, f...)
	if len(public) > 0 {
		for i := 0; i+WindowLen <= len(f); i++ {
			if inPublic(f[i:i+WindowLen], public) {
				b.public = append(b.public, int32(base+i))
			}
		}
	}
}

func (b *windowBuilder) build() *windowIndex {
	if len(b.owners) == 0 {
		return nil
	}
	w := &windowIndex{arena: b.arena, owners: b.owners, starts: append(b.starts, int32(len(b.arena)))}
	if len(b.public) > 0 {
		w.public = make([]uint64, (len(b.arena)+63)/64)
		for _, p := range b.public {
			w.public[p>>6] |= 1 << (p & 63)
		}
	}
	n := 0 // grams
	for f := range w.owners {
		n += int(w.starts[f+1]-w.starts[f]) - 7
	}
	// One hash h = x*mulB picks the filter's word (its top bitsLog-6
	// bits) and the bucket (its top gLog bits, a prefix of those), so
	// that the filter is written in bucket order, one pass along it.
	// About four grams share a bucket, which keeps the bucket ends in a
	// core's cache while they are counted.
	//
	// The filter has 8 to 16 bits a gram: with 1,000 secrets (450,000
	// grams) 512 KiB, which stays in a core's L2 cache beside the text.
	// About 0.8 % of a CI log's grams pass it wrongly (see bits); a
	// filter four times the size (with two bits a gram) let a tenth of
	// those through but missed the cache on a third of its tests, and
	// cost more.
	bitsLog := max(16, min(bitmapMaxLog, bits.Len(uint(n*8))))
	w.bits = make([]uint64, 1<<(bitsLog-6))
	w.bshift = uint(64 - (bitsLog - 6))
	gLog := max(4, min(bitsLog-6, bits.Len(uint(n))-2))
	w.gshift = uint(64 - gLog)
	off := make([]int32, 1<<gLog+1)
	a := w.arena
	// The prefix filters, on another core where there is one.
	prefixes := make(chan struct{})
	go func() {
		w.buildPrefixFilters()
		close(prefixes)
	}()
	for f := range w.owners {
		s, e := int(w.starts[f]), int(w.starts[f+1])
		for p := s; p+8 <= e; p++ {
			x := binary.LittleEndian.Uint64(a[p:])
			off[(x*mulB)>>w.gshift]++
		}
	}
	// Bucket ends, then place each gram at the end of its bucket, moving
	// the end down: off[h] ends as the bucket's start.
	for h := 1; h < len(off); h++ {
		off[h] += off[h-1]
	}
	w.pos = make([]int32, n)
	w.buckets = make([]uint64, len(off))
	for f := range w.owners {
		s, e := int(w.starts[f]), int(w.starts[f+1])
		for p := s; p+8 <= e; p++ {
			x := binary.LittleEndian.Uint64(a[p:])
			h := (x * mulB) >> w.gshift
			off[h]--
			w.pos[off[h]] = int32(p)
			w.buckets[h] |= uint64(bucketBits(x)) << 32
		}
	}
	for h, lo := range off {
		w.buckets[h] |= uint64(uint32(lo))
	}
	for e := range w.pos {
		x := w.gram(int32(e))
		w.bits[(x*mulB)>>w.bshift] |= gramBits(x)
	}
	<-prefixes
	return w
}

// buildPrefixFilters fills pre1, pre2 and preN from the window starts.
func (w *windowIndex) buildPrefixFilters() {
	w.pre2 = make([]uint64, 1<<16/64)
	w.preN = make([]uint64, 1<<preNLog/64)
	a := w.arena
	for f := range w.owners {
		s, e := int(w.starts[f]), int(w.starts[f+1])
		for p := s; p+WindowLen <= e; p++ {
			x := binary.LittleEndian.Uint64(a[p:])
			w.pre1[a[p]>>6] |= 1 << (a[p] & 63)
			k2 := uint32(x & 0xffff)
			w.pre2[k2>>6] |= 1 << (k2 & 63)
			var m uint64
			for n := 3; n < 8; n++ {
				m |= preNBit(x, n)
			}
			w.preN[preNWord(x)] |= m
		}
	}
}

// preNLog sizes preN: 2 MiB, whatever the number of secrets. A tail it
// wrongly takes for the start of a window is held until more output
// comes. Sized by its windows, at 8 bits each, the filter held the last
// line of 14 values in 302 that a child printed and then waited
// (TestQuietChildsLastLineComesOut), before such lines went out anyway
// when they end inside a match (startHold); a tail that only looks like a
// value's start still depends on it.
const preNLog = 24

// preNWord is the filter word of a prefix whose first three bytes start
// the little-endian x; preNBit its two bits for the first n (3 to 7)
// bytes. Two bits rather than one: with 1,000 secrets (about 13 % of the
// bits set) a tail that is no window's start passes half as often.
func preNWord(x uint64) uint64 { return ((x & 0xffffff) * mulA) >> (64 - preNLog + 6) }

func preNBit(x uint64, n int) uint64 {
	x = x&(1<<(8*n)-1) | uint64(n)<<56
	h := x * mulB
	return 1<<(h>>58) | 1<<(h>>52&63)
}

// form returns the index of the form holding arena position p.
func (w *windowIndex) form(p int32) int {
	i, found := slices.BinarySearch(w.starts, p)
	if !found {
		i--
	}
	return i
}

func (w *windowIndex) isPublic(p int) bool {
	return w.public != nil && w.public[p>>6]&(1<<(p&63)) != 0
}

// gramBits are the four bits of gram x in its word of the Bloom filter,
// from the top 24 bits of x*mulA.
func gramBits(x uint64) uint64 {
	h := x * mulA
	return 1<<(h>>58) | 1<<(h>>52&63) | 1<<(h>>46&63) | 1<<(h>>40&63)
}

// mayHave is the Bloom filter's test for gram x.
func (w *windowIndex) mayHave(x uint64) bool {
	m := gramBits(x)
	return w.bits[(x*mulB)>>w.bshift]&m == m
}

// gram returns entry e of the exact index: the 8 bytes at arena
// position pos[e].
func (w *windowIndex) gram(e int32) uint64 {
	return binary.LittleEndian.Uint64(w.arena[w.pos[e]:])
}

// has reports whether x is exactly a gram of some form.
func (w *windowIndex) has(x uint64) bool {
	lo, hi := w.bucket(x)
	for e := lo; e < hi; e++ {
		if w.gram(e) == x {
			return true
		}
	}
	return false
}

// scan appends every run in b of at least WindowLen bytes that some form
// holds to ms.
func (w *windowIndex) scan(b []byte, ms []match) []match { return w.scanRange(b, 0, len(b), ms) }

// scanRange appends the runs in b that have WindowLen bytes in b[lo:hi],
// each extended as far as b and its form agree.
func (w *windowIndex) scanRange(b []byte, lo, hi int, ms []match) []match {
	for i := lo; ; i += WindowLen - 7 {
		var x uint64
		if i, x = w.nextMaybe(b[:hi], i); i < 0 {
			return ms
		}
		ms = w.extendAt(b, i, x, ms)
	}
}

// nextMaybe returns the first of the positions i, i+9, i+18, ... whose
// gram passes the Bloom filter, and the gram, or -1. It calls nothing, so
// that the loop, the hottest of the package, keeps its values in
// registers, and tests two positions a round, their loads independent of
// each other, behind one branch. Its loads are unchecked: the loop's
// condition bounds those of the text, and a word index, a hash shifted
// right by bshift, is below 1<<(64-bshift), the filter's length. Checked,
// the loop ran about a fifth slower.
func (w *windowIndex) nextMaybe(b []byte, i int) (int, uint64) {
	const step = WindowLen - 7
	if i < 0 {
		return -1, 0
	}
	bm, sh := w.bits, w.bshift&63
	if len(bm) != 1<<(64-sh) {
		panic("mask: window filter and its shift disagree")
	}
	text, filter := unsafe.Pointer(unsafe.SliceData(b)), unsafe.Pointer(unsafe.SliceData(bm))
	load := func(i int) uint64 { return binary.LittleEndian.Uint64((*[8]byte)(unsafe.Add(text, i))[:]) }
	word := func(x uint64) uint64 { return *(*uint64)(unsafe.Add(filter, (x*mulB)>>sh*8)) }
	for ; i+step+8 <= len(b); i += 2 * step {
		x, y := load(i), load(i+step)
		hx, hy := x*mulA, y*mulA
		mx := uint64(1)<<(hx>>58) | uint64(1)<<(hx>>52&63) | uint64(1)<<(hx>>46&63) | uint64(1)<<(hx>>40&63)
		my := uint64(1)<<(hy>>58) | uint64(1)<<(hy>>52&63) | uint64(1)<<(hy>>46&63) | uint64(1)<<(hy>>40&63)
		missX, missY := word(x)&mx^mx, word(y)&my^my
		if missX == 0 || missY == 0 {
			if missX == 0 {
				return i, x
			}
			return i + step, y
		}
	}
	if i+8 <= len(b) {
		x := load(i)
		h := x * mulA
		m := uint64(1)<<(h>>58) | uint64(1)<<(h>>52&63) | uint64(1)<<(h>>46&63) | uint64(1)<<(h>>40&63)
		if word(x)&m == m {
			return i, x
		}
	}
	return -1, 0
}

// extendAt appends the runs through the gram x at b[i:i+8].
func (w *windowIndex) extendAt(b []byte, i int, x uint64, ms []match) []match {
	lo, hi := w.bucket(x)
	for e := lo; e < hi; e++ {
		if w.gram(e) != x {
			continue
		}
		p := int(w.pos[e])
		f := w.form(int32(p))
		fs, fe := int(w.starts[f]), int(w.starts[f+1])
		l := 0
		for l < i && p-l > fs && b[i-l-1] == w.arena[p-l-1] {
			l++
		}
		r := 8
		for i+r < len(b) && p+r < fe && b[i+r] == w.arena[p+r] {
			r++
		}
		if l+r < WindowLen {
			continue
		}
		ms = w.emit(ms, i-l, p-l, l+r, w.owners[f])
	}
	return ms
}

// emit appends the run of n bytes at b[start:] that equals the form bytes
// at arena[p:]: whole, or, when some of its windows are public, the parts
// covered by windows that are not.
func (w *windowIndex) emit(ms []match, start, p, n int, owner int32) []match {
	if w.public == nil {
		return append(ms, match{start: start, end: start + n, owner: owner})
	}
	from := -1 // start, relative to the run, of the current part
	to := 0
	for k := 0; k+WindowLen <= n; k++ {
		if w.isPublic(p + k) {
			continue
		}
		if from >= 0 && k > to {
			ms = append(ms, match{start: start + from, end: start + to, owner: owner})
			from = -1
		}
		if from < 0 {
			from = k
		}
		to = k + WindowLen
	}
	if from >= 0 {
		ms = append(ms, match{start: start + from, end: start + to, owner: owner})
	}
	return ms
}

// bucket returns the range of the exact index where gram x would be: an
// empty one when the bucket's bits say it is not there.
func (w *windowIndex) bucket(x uint64) (lo, hi int32) {
	h := (x * mulB) >> w.gshift
	b := w.buckets[h]
	if m := bucketBits(x); uint32(b>>32)&m != m {
		return 0, 0
	}
	return int32(uint32(b)), int32(uint32(w.buckets[h+1]))
}

// bucketBits are the two bits of gram x in its bucket's word, from bits
// 30 to 39 of x*mulA, which gramBits does not use. They depend on the
// gram's first five bytes only, which tell apart the few grams of one
// bucket well enough.
func bucketBits(x uint64) uint32 {
	h := x * mulA
	return 1<<(h>>35&31) | 1<<(h>>30&31)
}

// windowWith returns the form of a window that starts with p (at most
// WindowLen bytes, at least 8), or -1; public windows count only when
// withPublic.
func (w *windowIndex) windowWith(p []byte, withPublic bool) int {
	x := binary.LittleEndian.Uint64(p)
	lo, hi := w.bucket(x)
	for e := lo; e < hi; e++ {
		if w.gram(e) != x {
			continue
		}
		q := int(w.pos[e])
		f := w.form(int32(q))
		if q+WindowLen <= int(w.starts[f+1]) && string(w.arena[q:q+len(p)]) == string(p) && (withPublic || !w.isPublic(q)) {
			return f
		}
	}
	return -1
}

// lookup returns the owner of a form holding the window p (WindowLen
// bytes) outside public lines, or -1.
func (w *windowIndex) lookup(p []byte) int32 {
	if !w.mayHave(binary.LittleEndian.Uint64(p)) {
		return -1
	}
	if f := w.windowWith(p, false); f >= 0 {
		return w.owners[f]
	}
	return -1
}

// isPrefix reports whether p could begin a window: for 8 bytes or more,
// exactly; for fewer, by filters that may say yes wrongly (so that a tail
// is held a little more often than needed, never less).
func (w *windowIndex) isPrefix(p []byte) bool {
	var x uint64
	switch n := len(p); {
	case n == 0 || n >= WindowLen:
		return false
	case n >= 8:
		return w.windowWith(p, true) >= 0
	case n >= 3:
		for i := n - 1; i >= 0; i-- {
			x = x<<8 | uint64(p[i])
		}
		m := preNBit(x, n)
		return w.preN[preNWord(x)]&m == m
	case n == 2:
		k := uint32(p[0]) | uint32(p[1])<<8
		return w.pre2[k>>6]&(1<<(k&63)) != 0
	}
	return w.pre1[p[0]>>6]&(1<<(p[0]&63)) != 0
}
