package mask

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"math/bits"
	"slices"
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
// of a form (h >= minSplitHead) and the next line holds the rest of that form
// within its first splitReach bytes, both pieces are masked. A tail shorter
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
// line ends with two loads.
type splitIndex struct {
	arena  []byte       // the forms that have entries, end to end
	ents   []splitEntry // sorted by key
	keys   []uint64     // keys[i] is the key of ents[i]
	bits   []uint64     // a Bloom filter of the keys, three bits in one word per key
	bshift uint         // word index = hash >> bshift
	table  []uint32     // open addressing by key: index+1 of the key's first entry, 0 empty
	tmask  uint64
}

// splitEntry is one way to cut one form: the head probe is
// arena[at-hl:at], the tail probe arena[at:at+tl].
type splitEntry struct {
	at     uint32
	hl, tl uint8
	owner  int32
}

func (x *splitIndex) head(e splitEntry) []byte {
	return x.arena[e.at-uint32(e.hl) : e.at]
}

func (x *splitIndex) tail(e splitEntry) []byte {
	return x.arena[e.at : e.at+uint32(e.tl)]
}

// splitKey is the key of a head probe ending b at e1, hl bytes long.
func splitKey(b []byte, e1, hl int) uint64 {
	if hl >= 8 {
		return binary.LittleEndian.Uint64(b[e1-8:])
	}
	return uint64(binary.LittleEndian.Uint32(b[e1-4:]))
}

// splitBuilder gathers entries before build indexes them.
type splitBuilder struct {
	x    splitIndex
	keys []uint64
}

// add adds the cuts of form f of value owner that leave a piece shorter
// than WindowLen and a head of at least minHead bytes, except those with a
// probe inside a public line.
func (sb *splitBuilder) add(f []byte, minHead int, owner int32, public []string) {
	n := len(f)
	if n <= minHead {
		return
	}
	base := len(sb.x.arena)
	sb.x.arena = append(sb.x.arena, f...)
	for h := minHead; h < n; h++ {
		if h >= WindowLen && n-h >= WindowLen {
			h = n - WindowLen // both pieces are windows: skip to the last short tail
			continue
		}
		hl, tl := min(h, WindowLen), min(n-h, WindowLen)
		if inPublic(f[h-hl:h], public) || inPublic(f[h:h+tl], public) {
			continue
		}
		sb.keys = append(sb.keys, splitKey(f, h, hl))
		sb.x.ents = append(sb.x.ents, splitEntry{at: uint32(base + h), hl: uint8(hl), tl: uint8(tl), owner: owner})
	}
}

// probeHash hashes the probes of a cut.
func probeHash(head, tail []byte) uint64 {
	h := uint64(len(head))
	for _, p := range [][]byte{head, tail} {
		for _, c := range p {
			h = (h ^ uint64(c)) * mulB
		}
	}
	return h ^ h>>32
}

func inPublic(p []byte, public []string) bool {
	for _, pub := range public {
		if strings.Contains(pub, string(p)) {
			return true
		}
	}
	return false
}

// build sorts and indexes the entries; nil if there are none. Repeated
// cuts (the same head and tail probes) keep the first owner.
func (sb *splitBuilder) build() *splitIndex {
	x := &sb.x
	if len(x.ents) == 0 {
		return nil
	}
	// Sort by key, then by a hash of the probes, then by order of
	// addition, so that repeats are neighbours and the first comes first.
	type ref struct {
		key, probes uint64
		idx         int32
	}
	order := make([]ref, len(x.ents))
	for i, e := range x.ents {
		order[i] = ref{sb.keys[i], probeHash(x.head(e), x.tail(e)), int32(i)}
	}
	slices.SortFunc(order, func(a, b ref) int {
		if c := cmp.Compare(a.key, b.key); c != 0 {
			return c
		}
		if c := cmp.Compare(a.probes, b.probes); c != 0 {
			return c
		}
		return cmp.Compare(a.idx, b.idx)
	})
	ents := make([]splitEntry, 0, len(order))
	keys := make([]uint64, 0, len(order))
	distinct := 0
	for k, r := range order {
		e := x.ents[r.idx]
		if k > 0 && order[k-1].key == r.key {
			p := order[k-1]
			if p.probes == r.probes && bytes.Equal(x.head(x.ents[p.idx]), x.head(e)) && bytes.Equal(x.tail(x.ents[p.idx]), x.tail(e)) {
				continue
			}
		} else {
			distinct++
		}
		ents = append(ents, e)
		keys = append(keys, r.key)
	}
	x.ents, x.keys = ents, keys

	bitsLog := max(16, min(bitmapMaxLog, bits.Len(uint(distinct*16))))
	x.bits = make([]uint64, 1<<(bitsLog-6))
	x.bshift = uint(64 - (bitsLog - 6))
	tabLog := max(4, bits.Len(uint(distinct*2)))
	x.table = make([]uint32, 1<<tabLog)
	x.tmask = 1<<tabLog - 1
	for i, k := range keys {
		if i > 0 && keys[i-1] == k {
			continue
		}
		w, bm := x.bloom(k)
		x.bits[w] |= bm
		h := (k * mulB) >> 7 & x.tmask
		for x.table[h] != 0 {
			h = (h + 1) & x.tmask
		}
		x.table[h] = uint32(i) + 1
	}
	return x
}

// bloom is where key k lives in the Bloom filter: a word and three bits in
// it, so that one load tests them all.
func (x *splitIndex) bloom(k uint64) (word uint64, bits uint64) {
	h := k * mulB
	return (k * mulA) >> x.bshift, 1<<(h>>58) | 1<<(h>>52&63) | 1<<(h>>46&63)
}

func (x *splitIndex) mayHave(k uint64) bool {
	w, bm := x.bloom(k)
	return x.bits[w]&bm == bm
}

// keyed returns the entries with key k.
func (x *splitIndex) keyed(k uint64) []splitEntry {
	for h := (k * mulB) >> 7 & x.tmask; ; h = (h + 1) & x.tmask {
		e := x.table[h]
		if e == 0 {
			return nil
		}
		if lo := int(e - 1); x.keys[lo] == k {
			hi := lo + 1
			for hi < len(x.keys) && x.keys[hi] == k {
				hi++
			}
			return x.ents[lo:hi]
		}
	}
}

// candidates returns the entries whose head probe may end b at e1 (e1 >=
// 4), by their keys: those with probes of 4 to 7 bytes, then the longer.
func (x *splitIndex) candidates(b []byte, e1 int) (short, long []splitEntry) {
	if k := splitKey(b, e1, 4); x.mayHave(k) {
		short = x.keyed(k)
	}
	if e1 >= 8 {
		if k := splitKey(b, e1, 8); x.mayHave(k) {
			long = x.keyed(k)
		}
	}
	return short, long
}

// headAt reports whether the head probe of e ends b at e1.
func (x *splitIndex) headAt(b []byte, e1 int, e splitEntry) bool {
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

// mayEnd is a quick test for splitAt: whether a head may end b at e1
// (e1 >= 4), by the Bloom filter alone.
func (x *splitIndex) mayEnd(b []byte, e1 int) bool {
	return x.mayHave(splitKey(b, e1, 4)) || e1 >= 8 && x.mayHave(splitKey(b, e1, 8))
}

// splitAt appends the pieces of values split at the line break between
// b[:e1] and b[a2:] (e1 >= minSplitHead): for each head that ends the line
// and whose tail is on the next line, one match for each piece.
func (x *splitIndex) splitAt(b []byte, e1, a2 int, eof bool, ms []match) []match {
	short, long := x.candidates(b, e1)
	end := -1
	for _, cands := range [2][]splitEntry{short, long} {
		for _, e := range cands {
			if !x.headAt(b, e1, e) {
				continue
			}
			if end < 0 {
				end = splitRegion(b, a2)
			}
			if s := tailIn(b, a2, end, x.tail(e), eof); s >= 0 {
				ms = append(ms,
					match{start: e1 - int(e.hl), end: e1, owner: e.owner},
					match{start: s, end: s + int(e.tl), owner: e.owner})
			}
		}
	}
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
	short, long := x.candidates(b, e1)
	for _, cands := range [2][]splitEntry{short, long} {
		for _, e := range cands {
			if x.headAt(b, e1, e) && (a2 >= len(b) || tailIn(b, a2, len(b), x.tail(e), false) < 0) {
				hold = min(hold, e1-int(e.hl))
			}
		}
	}
	return hold
}
