package mask

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"strings"
)

// A value split across two lines, the first piece (the head) at the end of
// one line and the rest (the tail) somewhere on the next, after a timestamp
// or a prompt:
//
//	2026-01-02T03:04:05.0000000Z + echo -n AKIAEXAM
//	2026-01-02T03:04:05.0000000Z + export TOKEN=PLEKEY42
//
// Windows mask each piece that is at least WindowLen bytes long. A shorter
// piece is masked by the split rule: when a line ends with the first h bytes
// of a form (h >= minSplitHead, or minHexHead for hex) and the next line holds
// the rest of that form within its first splitReach bytes, both pieces are
// masked. A tail shorter
// than minSplitHead must stand alone on the next line (not touch a letter or
// a digit on either side), since a string of one to three bytes turns up by
// chance in almost any line. Only the WindowLen bytes of the head next to the
// break and the first WindowLen bytes of the tail are compared: longer pieces
// are windows, masked anyway.
//
// A Writer holds a line that ends with a possible head, with what follows
// it, until the next line ends or reaches splitReach bytes, whichever comes
// first (Matcher.splitHold).

const (
	// minSplitHead is the shortest head at the end of a line that the split
	// rule considers. Shorter heads are left visible: holding them would
	// hold most lines until the next one.
	minSplitHead = minFoldPiece
	// splitReach is how far into the next line (bytes after the line
	// break) the tail must end.
	splitReach = 256
	// splitSpan bounds the bytes from the start of a head probe to the end
	// of the region its tail is looked for in, plus the byte after it.
	splitSpan = WindowLen + 2 + splitReach + 1
)

// splitIndex finds, for a line end, the forms whose beginning it could be.
// An entry is keyed by the last 8 bytes of its head probe, or by the last 4
// when the probe is shorter than 8; a Bloom filter of the keys rejects most
// line ends with one load, and the entries, sorted into buckets by a hash
// of their key, lead from a key to the entries that have it.
type splitIndex struct {
	arena  []byte       // the forms that have entries, end to end
	ents   []splitEntry // by bucket once built: bucket h is ents[off[h]:off[h+1]]
	off    []int32
	kshift uint     // bucket = key*mulB >> kshift
	bits   []uint64 // a Bloom filter of the keys, three bits in one word per key
	bshift uint     // word index = hash >> bshift
}

// splitEntry is one way to cut one form: the head probe is
// arena[at-hl:at], the tail probe arena[at:at+tl].
type splitEntry struct {
	at     uint32
	owner  int32
	hl, tl uint8
}

func (x *splitIndex) head(e *splitEntry) []byte {
	return x.arena[e.at-uint32(e.hl) : e.at]
}

func (x *splitIndex) tail(e *splitEntry) []byte {
	return x.arena[e.at : e.at+uint32(e.tl)]
}

// key is the key of entry e: the last bytes of its head probe.
func (x *splitIndex) key(e *splitEntry) uint64 {
	return splitKey(x.arena, int(e.at), int(e.hl))
}

// splitKey is the key of a head probe ending b at e1, hl bytes long.
func splitKey(b []byte, e1, hl int) uint64 {
	if hl >= 8 {
		return binary.LittleEndian.Uint64(b[e1-8:])
	}
	return uint64(binary.LittleEndian.Uint32(b[e1-4:]))
}

// newSplitIndex returns an empty index sized for about n values.
func newSplitIndex(n int) *splitIndex {
	// A value of 40 bytes has about 10 forms and 20 cuts of each.
	return &splitIndex{
		ents:  make([]splitEntry, 0, n*200),
		arena: make([]byte, 0, n*600),
	}
}

// add adds the cuts of form f of value owner that leave a piece shorter
// than WindowLen and a head of at least minHead bytes, except those with a
// probe inside a public line.
func (x *splitIndex) add(f []byte, minHead int, owner int32, public []string) {
	n := len(f)
	if n <= minHead {
		return
	}
	base := len(x.arena)
	x.arena = append(x.arena, f...)
	for h := minHead; h < n; h++ {
		if h >= WindowLen && n-h >= WindowLen {
			h = n - WindowLen // both pieces are windows: skip to the last short tail
			continue
		}
		hl, tl := min(h, WindowLen), min(n-h, WindowLen)
		if inPublic(f[h-hl:h], public) || inPublic(f[h:h+tl], public) {
			continue
		}
		x.ents = append(x.ents, splitEntry{at: uint32(base + h), owner: owner, hl: uint8(hl), tl: uint8(tl)})
	}
}

func inPublic(p []byte, public []string) bool {
	for _, pub := range public {
		if strings.Contains(pub, string(p)) {
			return true
		}
	}
	return false
}

// build sorts the entries into buckets and makes the Bloom filter once
// every entry is in; nil if there are none. A cut that is there twice (the
// same value twice) stays twice: looking for repeats would cost more than
// the one comparison a repeat costs when a line ends with it.
func (x *splitIndex) build() *splitIndex {
	n := len(x.ents)
	if n == 0 {
		return nil
	}
	bitsLog := max(16, min(bitmapMaxLog, bits.Len(uint(n*16))))
	x.bits = make([]uint64, 1<<(bitsLog-6))
	x.bshift = uint(64 - (bitsLog - 6))
	kLog := max(4, bits.Len(uint(n))-2) // about four entries a bucket
	x.kshift = uint(64 - kLog)
	x.off = make([]int32, 1<<kLog+1)
	for i := range x.ents {
		e := &x.ents[i]
		k := x.key(e)
		x.off[(k*mulB)>>x.kshift]++
		long := e.hl >= 8
		x.bits[x.bloomWord(k, long)] |= bloomBits(k, long)
	}
	for h := 1; h < len(x.off); h++ {
		x.off[h] += x.off[h-1]
	}
	sorted := make([]splitEntry, n)
	for i := n - 1; i >= 0; i-- { // backwards, so that a bucket keeps the order of adding
		e := x.ents[i]
		h := (x.key(&e) * mulB) >> x.kshift
		x.off[h]--
		sorted[x.off[h]] = e
	}
	x.ents = sorted
	return x
}

// The Bloom filter keeps, for each key, three bits in one word. The word
// depends only on the last 4 bytes of the head, for short and long keys
// alike, so that one load serves both tests at a line end.

func (x *splitIndex) bloomWord(k uint64, long bool) uint64 {
	if long {
		k >>= 32
	}
	return (k * mulA) >> x.bshift
}

func bloomBits(k uint64, long bool) uint64 {
	if long {
		k = ^k
	}
	h := k * mulB
	return 1<<(h>>58) | 1<<(h>>52&63) | 1<<(h>>46&63)
}

// mayEnd is a quick test for splitAt: whether a head may end b at e1
// (e1 >= 4), by the Bloom filter alone.
func (x *splitIndex) mayEnd(b []byte, e1 int) (short, long bool) {
	k4 := uint64(binary.LittleEndian.Uint32(b[e1-4:]))
	w := x.bits[x.bloomWord(k4, false)]
	bm := bloomBits(k4, false)
	short = w&bm == bm
	if e1 >= 8 {
		k8 := binary.LittleEndian.Uint64(b[e1-8:])
		bm = bloomBits(k8, true)
		long = w&bm == bm
	}
	return short, long
}

// keyed returns the range of ents where entries with key k are (with
// others of the same bucket).
func (x *splitIndex) keyed(k uint64) (lo, hi int32) {
	h := (k * mulB) >> x.kshift
	return x.off[h], x.off[h+1]
}

// candidates calls fn for each entry whose key a head ending b at e1
// (e1 >= 4) may have, as mayEnd says: probes of 4 to 7 bytes, and longer
// ones. It stops when fn returns false.
func (x *splitIndex) candidates(b []byte, e1 int, s, l bool, fn func(e *splitEntry) bool) {
	for _, c := range [2]struct {
		ok bool
		hl int
	}{{s, 4}, {l, 8}} {
		if !c.ok {
			continue
		}
		k := splitKey(b, e1, c.hl)
		lo, hi := x.keyed(k)
		for i := lo; i < hi; i++ {
			e := &x.ents[i]
			if x.key(e) == k && (e.hl >= 8) == (c.hl == 8) && !fn(e) {
				return
			}
		}
	}
}

// headAt reports whether the head probe of e ends b at e1.
func (x *splitIndex) headAt(b []byte, e1 int, e *splitEntry) bool {
	hl := int(e.hl)
	return hl <= e1 && string(b[e1-hl:e1]) == string(x.head(e))
}

// tailIn returns where tail first occurs in b[a2:end], the region of the
// next line it may lie in, or -1. A tail shorter than minSplitHead counts
// only where neither neighbour is a letter or a digit; the end of b counts as
// such a neighbour only at the end of the stream (eof), since the next byte
// is not known before.
func tailIn(b []byte, a2, end int, tail []byte, eof bool) int {
	r := b[a2:end]
	if len(tail) >= minSplitHead {
		if i := bytes.Index(r, tail); i >= 0 {
			return a2 + i
		}
		return -1
	}
	for off := 0; ; {
		i := bytes.Index(r[off:], tail)
		if i < 0 {
			return -1
		}
		s := a2 + off + i
		e := s + len(tail)
		if (s == a2 || !isAlnum(b[s-1])) && (e < len(b) && !isAlnum(b[e]) || e == len(b) && eof) {
			return s
		}
		off += i + 1
	}
}

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c|0x20 && c|0x20 <= 'z'
}

// splitRegion is where on the line starting at a2 a tail may lie: up to the
// next line break or splitReach bytes, whichever comes first.
func splitRegion(b []byte, a2 int) int {
	end := min(len(b), a2+splitReach)
	if k := bytes.IndexByte(b[a2:end], '\n'); k >= 0 {
		end = a2 + k
	}
	return end
}

// splitAt appends the pieces of values split at the line break between
// b[:e1] and b[a2:] (e1 >= minSplitHead): for each head that ends the line
// and whose tail is on the next line, one match for each piece. s and l are
// what mayEnd said.
func (x *splitIndex) splitAt(b []byte, e1, a2 int, s, l, eof bool, ms []match) []match {
	end := -1
	x.candidates(b, e1, s, l, func(e *splitEntry) bool {
		if !x.headAt(b, e1, e) {
			return true
		}
		if end < 0 {
			end = splitRegion(b, a2)
		}
		if s := tailIn(b, a2, end, x.tail(e), eof); s >= 0 {
			ms = append(ms,
				match{start: e1 - int(e.hl), end: e1, owner: e.owner},
				match{start: s, end: s + int(e.tl), owner: e.owner})
		}
		return true
	})
	return ms
}

// splitHold returns the start of the earliest head whose tail may still
// arrive: at the end of the last line in b, if its next line is shorter than
// splitReach, or at the end of b, where a line break may come next. It
// returns len(b) if there is none. What follows such a head must be held
// with it.
func (m *Matcher) splitHold(b []byte) int {
	x := m.split
	if x == nil {
		return len(b)
	}
	hold := len(b)
	// A line may end at the end of b, or before a CR there.
	e1 := len(b)
	if e1 > 0 && b[e1-1] == '\r' {
		e1--
	}
	hold = min(hold, x.heldAt(b, e1, len(b)))
	from := max(0, len(b)-splitReach-1)
	if k := bytes.LastIndexByte(b[from:], '\n'); k >= 0 {
		n := from + k
		e1 := n
		if e1 > 0 && b[e1-1] == '\r' {
			e1--
		}
		hold = min(hold, x.heldAt(b, e1, n+1))
	}
	return hold
}

// heldAt returns the start of the earliest head that ends b at e1 and whose
// tail is not in b[a2:], or len(b).
func (x *splitIndex) heldAt(b []byte, e1, a2 int) int {
	hold := len(b)
	if e1 < minSplitHead {
		return hold
	}
	s, l := x.mayEnd(b, e1)
	x.candidates(b, e1, s, l, func(e *splitEntry) bool {
		if x.headAt(b, e1, e) && (a2 >= len(b) || tailIn(b, a2, len(b), x.tail(e), false) < 0) {
			hold = min(hold, e1-int(e.hl))
		}
		return true
	})
	return hold
}
