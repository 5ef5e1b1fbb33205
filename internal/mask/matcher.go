package mask

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// WindowLen is the length of the pieces that long forms are cut into: any run
// of at least WindowLen bytes of a form is masked, and a match is confirmed
// WindowLen bytes at a time. Forms shorter than this are matched whole.
const WindowLen = 16

// ErrUnnamed is returned by NewMatcher for a secret without a name: the name
// is what the replacement shows in place of the value.
var ErrUnnamed = errors.New("mask: secret has no name")

// Secret is one value to mask and the name shown in its place.
type Secret struct {
	Name  string // e.g. "payments/db.password"; shown as "[masked:payments/db.password]"
	Value []byte
	// Public marks a value that is not secret, such as a field its type
	// marks "x-ward-sensitive": false (a host, a database name): it is
	// not masked, nor warned about, nor masked where it is a string
	// leaf or a line of another value. A value that is also given as a
	// secret that is not public is masked.
	Public bool
}

// Options tunes a Matcher. The zero value is ready to use.
type Options struct {
	// Replacement returns the text written in place of a value of the named
	// secret. Nil means "[masked:NAME]"; Fixed("***") hides names too.
	Replacement func(name string) string
	// FlushAfter bounds how long a Writer keeps bytes that cannot be part
	// of a secret before writing them out. Zero means 50ms.
	FlushAfter time.Duration
	// AfterFunc schedules f after d, like time.AfterFunc, and returns a
	// function that cancels it. Nil means time.AfterFunc; tests inject a
	// fake clock here.
	AfterFunc func(d time.Duration, f func()) (stop func() bool)
	// Workers is how many goroutines may scan one large write (64 KiB and
	// more) at once, each a part of it. Zero means 1. A filter with spare
	// cores, like ward mask, sets it to runtime.GOMAXPROCS(0).
	Workers int
	// Warn is called once for each distinct value that is not masked
	// because it is too short or a common word. The message names the
	// secrets and fields that hold it, never the value. Nil means no
	// warnings (NewMatcher returns them anyway).
	Warn func(msg string)
}

// Fixed returns a Replacement that writes s for every secret.
func Fixed(s string) func(string) string { return func(string) string { return s } }

func defaultReplacement(name string) string { return "[masked:" + name + "]" }

// Matcher is a compiled set of values and all their forms. It is immutable
// and safe for concurrent use by any number of Writers.
type Matcher struct {
	tiers    []*tier      // forms shorter than WindowLen, whole, by length
	window   *windowIndex // the runs of longer forms, or nil; also used across line folds
	names    []string     // replacement text by value index
	prefixes prefixIndex  // tells whether a tail may still grow into a match
	split    *splitIndex  // values split across two lines, or nil
	maxLen   int          // longest pattern
	longest  int          // longest form: a region waits for its name at most twice this
	// lineForms is whether some masked form holds a line break (the raw
	// form of a multi-line value), so that a match may run through one.
	lineForms bool
	context   int // bytes a Writer keeps before what it has written
	workers   int // goroutines per large scan
	flush     time.Duration
	after     func(d time.Duration, f func()) (stop func() bool)
}

// NewMatcher compiles secrets into a Matcher. Values that are too short or
// common words are not masked: they are returned in skipped, one entry per
// distinct value, and reported through opt.Warn. Public values are neither
// masked nor reported. The only error is ErrUnnamed.
func NewMatcher(secrets []Secret, opt Options) (*Matcher, []Skipped, error) {
	repl := opt.Replacement
	if repl == nil {
		repl = defaultReplacement
	}
	m := &Matcher{flush: opt.FlushAfter, after: opt.AfterFunc, workers: max(1, opt.Workers)}
	if m.flush <= 0 {
		m.flush = 50 * time.Millisecond
	}
	if m.after == nil {
		m.after = func(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
	}
	byLen := map[int]*tierBuilder{}
	var wb windowBuilder
	var cuts []splitForm // for the split index, built alongside the windows
	var sk skips
	public := publicValues(secrets)
	var vals []value
	for i, s := range secrets {
		if s.Name == "" {
			return nil, nil, fmt.Errorf("secret #%d: %w", i+1, ErrUnnamed)
		}
		if s.Public {
			continue // masked only where another secret gives its value
		}
		vals = append(vals, expand(s, public, &sk)...)
	}
	allForms := formsOf(vals)
	// The window arena gets the room of every form at once: grown by
	// appending, it copied itself several times over.
	size, nforms := 0, 0
	for _, fs := range allForms {
		for _, f := range fs {
			size += len(f.b)
		}
		nforms += len(fs)
	}
	wb.arena = make([]byte, 0, size)
	wb.starts, wb.owners = make([]int32, 0, nforms), make([]int32, 0, nforms)
	cuts = make([]splitForm, 0, nforms)
	for i, v := range vals {
		owner := int32(len(m.names))
		m.names = append(m.names, repl(v.name))
		fs := allForms[i]
		for k, f := range fs {
			m.longest = max(m.longest, len(f.b))
			if !f.splitOnly && bytes.IndexByte(f.b, '\n') >= 0 {
				m.lineForms = true
			}
			switch {
			case f.splitOnly:
			case len(f.b) < WindowLen:
				addPattern(byLen, f.b, owner, v.public)
			case !inEarlier(fs[:k], f.b):
				// A form inside another (the base64 core at alignment
				// 0 starts the whole encoding) has no window of its own.
				wb.add(f.b, owner, v.public)
			}
			cuts = append(cuts, splitForm{f.b, f.minHead, owner, v.public})
		}
	}
	skipped := sk.list
	clear(sk.seen)
	clear(public)
	if opt.Warn != nil {
		for _, s := range skipped {
			opt.Warn(s.warning())
		}
	}
	// The split index and the window index are built at once, on two
	// cores where there are.
	splitDone := make(chan *splitIndex)
	go func() {
		split := newSplitIndex(len(secrets))
		for _, c := range cuts {
			split.add(c.f, c.minHead, c.owner, c.public)
		}
		splitDone <- split.build()
	}()
	lens := make([]int, 0, len(byLen))
	for l := range byLen {
		lens = append(lens, l)
	}
	slices.Sort(lens)
	for _, l := range lens {
		m.tiers = append(m.tiers, newTier(byLen[l]))
		m.maxLen = max(m.maxLen, l)
	}
	if m.window = wb.build(); m.window != nil {
		m.maxLen = WindowLen
	}
	m.prefixes = newPrefixIndex(m.tiers)
	m.split = <-splitDone
	m.context = max(m.maxLen+1, viewReach+1)
	if m.split != nil {
		// A split value's tail may come up to splitSpan bytes after
		// its head: keep the head to find the pair again.
		m.context = max(m.context, splitSpan)
	}
	return m, skipped, nil
}

// formsOf returns the forms of each value, computed on two goroutines
// where there are two cores.
func formsOf(vals []value) [][]form {
	out := make([][]form, len(vals))
	half := len(vals) / 2
	done := make(chan struct{})
	go func() {
		for i := half; i < len(vals); i++ {
			out[i] = forms(vals[i].b, vals[i].encodedOnly)
		}
		close(done)
	}()
	for i := range half {
		out[i] = forms(vals[i].b, vals[i].encodedOnly)
	}
	<-done
	return out
}

// publicValues returns the values of the public secrets that no other
// secret gives as a secret.
func publicValues(secrets []Secret) map[string]bool {
	var public map[string]bool
	for _, s := range secrets {
		if s.Public {
			if public == nil {
				public = map[string]bool{}
			}
			public[string(s.Value)] = true
		}
	}
	for _, s := range secrets {
		if !s.Public {
			delete(public, string(s.Value))
		}
	}
	return public
}

// splitForm is a form to add to the split index.
type splitForm struct {
	f       []byte
	minHead int
	owner   int32
	public  []string
}

// inEarlier reports whether f lies inside one of the forms before it.
func inEarlier(before []form, f []byte) bool {
	for _, e := range before {
		if !e.splitOnly && bytes.Contains(e.b, f) {
			return true
		}
	}
	return false
}

// addPattern adds form f of value owner, shorter than WindowLen, whole,
// unless it lies in a public line. The first value to claim a pattern
// names it.
func addPattern(byLen map[int]*tierBuilder, f []byte, owner int32, public []string) {
	if inPublic(f, public) {
		return
	}
	l := len(f)
	b := byLen[l]
	if b == nil {
		b = &tierBuilder{L: l}
		byLen[l] = b
	}
	b.addGrams(f)
	b.arena = append(b.arena, f...)
	b.owners = append(b.owners, owner)
}

// parallelMin is the smallest buffer that find splits between workers (a
// variable so that tests can split small ones). A filter reading a pipe
// gets what the writer has written so far, often a few hundred KiB: those
// reads are worth splitting too, since a part costs the workers little
// more than its overlap, a few hundred bytes.
var parallelMin = 64 << 10

// partsPerWorker is how many parts find cuts a buffer into for each
// worker, which take them one after another. With one part each, a worker
// whose core is shared (with cat at the other end of the pipe) held the
// other at the end of every buffer: ward mask on a 200 MB log took
// 0.342 s with four parts a worker against
// 0.370 s with one (15 runs interleaved); two and eight did as well as
// four. A part costs little more than its overlap, a few hundred bytes.
var partsPerWorker = 4

// find returns the occurrences in b, sorted by start. Occurrences may
// overlap and repeat. eof tells that b ends the stream.
func (m *Matcher) find(b []byte, ms []match, eof bool) []match {
	if m.workers == 1 || len(b) < parallelMin {
		ms = m.findPart(b, 0, len(b), len(b), ms[:0], eof)
		sortMatches(ms)
		return ms
	}
	// Each part owns size bytes and scans overlap bytes more, more than
	// the longest span of a match (a window cut by a CRLF, the two pieces
	// of a split value and the byte after), so every match lies wholly
	// inside some part. What a part finds near its ends is a subset of
	// what one goroutine finds there, except in the views, where a region
	// cut by a part's start could read differently: each region is read,
	// whole, by the part that owns its first escape.
	overlap := max(2*m.maxLen+2, splitSpan)
	nparts := m.workers * partsPerWorker
	size := (len(b) + nparts - 1) / nparts
	parts := make([][]match, nparts)
	var next atomic.Int32
	work := func() {
		for {
			i := int(next.Add(1) - 1)
			if i >= nparts || i*size >= len(b) {
				return
			}
			lo := i * size
			own := min(len(b), lo+size)
			hi := min(len(b), own+overlap)
			parts[i] = m.findPart(b, lo, own, hi, nil, eof && hi == len(b))
		}
	}
	var wg sync.WaitGroup
	for range m.workers - 1 {
		wg.Go(work)
	}
	work() // on this goroutine, which would only wait
	wg.Wait()
	ms = ms[:0]
	for _, pm := range parts {
		ms = append(ms, pm...)
	}
	sortMatches(ms)
	return ms
}

// findPart is find on one goroutine, for the part b[lo:hi] that owns
// b[lo:own]. The runs of the window index are extended over all of b, so
// that a run through a part's edge is found whole, the same in every part
// that sees it; the views read the regions whose first escape the part
// owns, whole.
func (m *Matcher) findPart(whole []byte, lo, own, hi int, ms []match, eof bool) []match {
	if m.window != nil {
		ms = m.window.scanRange(whole, lo, hi, ms)
	}
	ms = m.viewFind(whole, lo, own, ms)
	n := len(ms)
	ms = m.findInPart(whole[lo:hi], ms, eof)
	for k := n; k < len(ms); k++ {
		ms[k].start += lo
		ms[k].end += lo
	}
	return ms
}

// findInPart is findPart except for the window index's runs and the views.
func (m *Matcher) findInPart(b []byte, ms []match, eof bool) []match {
	for _, t := range m.tiers {
		ms = t.scan(b, ms)
	}
	if m.window == nil && m.split == nil {
		return ms
	}
	// Matches across line breaks: folded windows and split values. Most
	// line breaks fail both quick tests, each a load from a filter that
	// may not be in cache. The breaks are gathered first and tested in a
	// loop that does nothing else, so that the loads of many breaks are in
	// flight at once, and only those that pass are looked at closely. The
	// breaks are found 64 bytes at a time (newlineMasks) where there is
	// code for it: a search per line, of some 70 bytes, cost more in calls
	// than in reading.
	var nls, hits [256]int32
	var masks [64]uint64
	n := 0
	for base := 0; base < len(b); base += newlineBlock * len(masks) {
		block := b[base:min(len(b), base+newlineBlock*len(masks))]
		whole := newlineMasks(block, masks[:])
		for k, mk := range masks[:whole] {
			for ; mk != 0; mk &= mk - 1 {
				nls[n] = int32(base + newlineBlock*k + bits.TrailingZeros64(mk))
				if n++; n == len(nls) {
					ms, n = m.atBreaks(b, nls[:], &hits, eof, ms), 0
				}
			}
		}
		for off := newlineBlock * whole; ; {
			k := bytes.IndexByte(block[off:], '\n')
			if k < 0 {
				break
			}
			nls[n] = int32(base + off + k)
			if n++; n == len(nls) {
				ms, n = m.atBreaks(b, nls[:], &hits, eof, ms), 0
			}
			off += k + 1
		}
	}
	return m.atBreaks(b, nls[:n], &hits, eof, ms)
}

// atBreaks appends the matches across the line breaks nls of b.
func (m *Matcher) atBreaks(b []byte, nls []int32, hits *[256]int32, eof bool, ms []match) []match {
	k := m.maybeAtBreaks(b, nls, hits)
	return m.lineBreaks(b, hits[:k], eof, ms)
}

// maybeAtBreaks puts in hits the line breaks in nls (positions of '\n'
// in b) where a fold or a split value may be, as mayFold and mayEnd would
// say without their exact checks, and returns how many there are. It
// calls nothing, so that its loop keeps its values in registers.
func (m *Matcher) maybeAtBreaks(b []byte, nls []int32, hits *[256]int32) int {
	var wbits, sbits []uint64 // the two filters, nil if absent
	var wsh, ssh uint
	if t := m.window; t != nil {
		wbits, wsh = t.bits, t.bshift&63
	}
	if x := m.split; x != nil {
		sbits, ssh = x.bits, x.bshift&63
	}
	// The 8 bytes after a break are mostly those after the last one (a
	// timestamp, a prompt): their test is taken again from the last.
	var lastStart uint64
	lastMaybe := true
	k := 0
	for _, nl := range nls[:min(len(nls), len(hits))] {
		n := int(nl)
		if n < 9 || n+9 > len(b) {
			hits[k] = nl // near an end of b: no quick test
			k++
			continue
		}
		e1 := n
		if b[n-1] == '\r' {
			e1--
		}
		end := binary.LittleEndian.Uint64(b[e1-8 : e1])
		maybe := false
		if wbits != nil {
			// windowIndex.mayHave of the 8 bytes before the break
			// and the 8 after.
			h1 := end * mulA
			m1 := uint64(1)<<(h1>>58) | uint64(1)<<(h1>>52&63) | uint64(1)<<(h1>>46&63) | uint64(1)<<(h1>>40&63)
			maybe = wbits[(end*mulB)>>wsh]&m1 == m1
			if start := binary.LittleEndian.Uint64(b[n+1 : n+9]); start != lastStart {
				h2 := start * mulA
				m2 := uint64(1)<<(h2>>58) | uint64(1)<<(h2>>52&63) | uint64(1)<<(h2>>46&63) | uint64(1)<<(h2>>40&63)
				lastStart, lastMaybe = start, wbits[(start*mulB)>>wsh]&m2 == m2
			}
			maybe = maybe || lastMaybe
		}
		if sbits != nil {
			// splitIndex.mayEnd.
			w := sbits[((end>>32)*mulA)>>ssh]
			b4, b8 := bloomBits(end>>32, false), bloomBits(end, true)
			maybe = maybe || w&b4 == b4 || w&b8 == b8
		}
		if maybe {
			hits[k] = nl
			k++
		}
	}
	return k
}

// lineBreaks appends the folded windows and split values at the line
// breaks nls in b.
func (m *Matcher) lineBreaks(b []byte, nls []int32, eof bool, ms []match) []match {
	for _, nl := range nls {
		n := int(nl)
		e1, a2 := n, n+1
		if e1 > 0 && b[e1-1] == '\r' {
			e1--
		}
		if t := m.window; t != nil && e1 >= 1 && a2 < len(b) && t.mayFold(b, e1, a2) {
			ms = t.foldAt(b, e1, a2, ms)
		}
		if x := m.split; x != nil && e1 >= minSplitHead {
			if short, long := x.mayEnd(b, e1); short || long {
				ms = x.splitAt(b, e1, a2, short, long, eof, ms)
			}
		}
	}
	return ms
}

// scanPlain appends the matches of every tier and of the window index in b.
func (m *Matcher) scanPlain(b []byte, ms []match) []match {
	for _, t := range m.tiers {
		ms = t.scan(b, ms)
	}
	if m.window != nil {
		ms = m.window.scan(b, ms)
	}
	return ms
}

// foldAt finds windows cut in two by the line break between b[:e1] and
// b[a2:] (LF or CRLF), as in base64 folded at 64 or 76 columns or a value
// printed across two lines, once mayFold has said there may be one. Each
// side becomes its own match, so the line break survives.
func (t *windowIndex) foldAt(b []byte, e1, a2 int, ms []match) []match {
	const F = WindowLen
	before := b[max(0, e1-(F-1)):e1]
	after := b[a2:min(len(b), a2+F-1)]
	if len(before)+len(after) < F {
		return ms
	}
	var j [2*F - 2]byte
	c := copy(j[:], before)
	jl := c + copy(j[c:], after)
	js := j[:jl]
	for i := max(0, c-F+1); i < c && i+F <= jl; i++ {
		if o := t.lookup(js[i : i+F]); o >= 0 {
			ms = append(ms,
				match{start: e1 - (c - i), end: e1, owner: o},
				match{start: a2, end: a2 + i + F - c, owner: o})
		}
	}
	return ms
}

// mayFold is a quick test for foldAt: whether the 8 bytes before the line
// break between b[:e1] and b[a2:], or the 8 after it, are a gram of a form.
// A window cut by the break has 8 or more of its 16 bytes on one side, so
// one of these lies inside it. The bytes after a break are mostly the same
// from line to line (a timestamp, a prompt), so their test costs little.
func (t *windowIndex) mayFold(b []byte, e1, a2 int) bool {
	if e1 >= 8 {
		if x := binary.LittleEndian.Uint64(b[e1-8:]); t.mayHave(x) && t.has(x) {
			return true
		}
	}
	if a2+8 <= len(b) {
		if x := binary.LittleEndian.Uint64(b[a2:]); t.mayHave(x) && t.has(x) {
			return true
		}
	}
	return false
}

// minFoldPiece is the shortest end of a line that is held back as the
// possible first half of a value folded onto the next line. Holding shorter
// pieces would delay the last byte of most lines until the next one.
const minFoldPiece = 4

// mayStart reports whether tail, shorter than the longest pattern, could be
// the beginning of a match that more bytes would complete. A single line
// break inside tail is skipped, as foldAt does.
func (m *Matcher) mayStart(tail []byte) bool {
	if i := bytes.IndexByte(tail, '\n'); i >= 0 && m.window != nil {
		if bytes.IndexByte(tail[i+1:], '\n') >= 0 {
			return false
		}
		e := i
		if e > 0 && tail[e-1] == '\r' {
			e--
		}
		if e < minFoldPiece {
			return false
		}
		joined := append(tail[:e:e], tail[i+1:]...)
		return m.isPrefix(joined)
	}
	if n := len(tail); n > 1 && tail[n-1] == '\r' && m.window != nil && m.isPrefix(tail[:n-1]) {
		return true // a CRLF fold may follow
	}
	return m.isPrefix(tail)
}

func (m *Matcher) isPrefix(p []byte) bool {
	return m.prefixes.has(m.tiers, p) || m.window != nil && m.window.isPrefix(p)
}

// sortMatches orders matches by start, then end, then owner, so that the
// result does not depend on how the scan was split.
func sortMatches(ms []match) {
	slices.SortFunc(ms, func(x, y match) int {
		if x.start != y.start {
			return x.start - y.start
		}
		if x.end != y.end {
			return x.end - y.end
		}
		return int(x.owner - y.owner)
	})
}
