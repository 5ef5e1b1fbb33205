package scan

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"io"
	"slices"
	"sync"

	"github.com/wardhq/ward/internal/mask"
)

// Overlap is how many bytes consecutive windows of a stream share, and so
// the longest text a rule (max_length) or an encoded run may span. A match
// that starts in one window and ends within Overlap bytes is found whole.
const Overlap = 16 << 10

// DefaultWindow is the default number of new bytes read per window.
const DefaultWindow = 1 << 20

// span is a match placed in a stream: absolute offsets and 1-based lines
// and byte columns (end inclusive).
type span struct {
	m                      match
	startLine, startColumn int
	endLine, endColumn     int
	allowed                bool
	known                  *KnownRef
}

var allowMarker = []byte("ward:allow")

// streamScanner reads one stream in overlapping windows and places each
// match at its line and column. A stream longer than one window is scanned
// by par goroutines, window by window, while the next window is read.
type streamScanner struct {
	e      *engine
	known  KnownMatcher
	window int
	par    int
	pool   *sync.Pool // *[]byte of capacity window+Overlap
}

// windowJob is one window handed to a worker: the buffer (which the worker
// returns to the pool), the end of what it reports, and where it starts.
type windowJob struct {
	bp     *[]byte
	buf    []byte
	limit  int
	base   int64
	line   int
	lastNL int64
}

// scan reads r to its end and calls found for each match, one call at a
// time, in no particular order. On a read error it still reports what it
// found in what it read, then returns the error. found is never called
// after scan returns.
func (ss *streamScanner) scan(ctx context.Context, r io.Reader, found func(span)) (total int64, err error) {
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		jobs chan windowJob
	)
	emit := func(sp span) { mu.Lock(); found(sp); mu.Unlock() }
	defer func() {
		if jobs != nil {
			close(jobs)
			wg.Wait()
		}
	}()
	bp := ss.pool.Get().(*[]byte)
	buf := (*bp)[:0]
	var (
		base   int64 // stream offset of buf[0]
		line   = 1   // line number of buf[0]
		lastNL = int64(-1)
	)
	for {
		if err := ctx.Err(); err != nil {
			ss.pool.Put(bp)
			return total, err
		}
		var rerr error
		for len(buf) < cap(buf) && rerr == nil {
			var n int
			n, rerr = r.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			total += int64(n)
		}
		done := rerr != nil
		limit := len(buf)
		if !done {
			limit = len(buf) - Overlap
		}
		// Where the next window starts, counted before this one is handed
		// to a worker (which may recycle its buffer).
		nextLine := line + bytes.Count(buf[:limit], []byte{'\n'})
		nextNL := lastNL
		if i := bytes.LastIndexByte(buf[:limit], '\n'); i >= 0 {
			nextNL = base + int64(i)
		}
		if done && jobs == nil {
			// The whole stream fit one window: no goroutines.
			ss.scanWindow(buf, limit, base, line, lastNL, found)
			ss.pool.Put(bp)
		} else {
			if jobs == nil {
				jobs = make(chan windowJob, ss.par)
				for range ss.par {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for j := range jobs {
							ss.scanWindow(j.buf, j.limit, j.base, j.line, j.lastNL, emit)
							ss.pool.Put(j.bp)
						}
					}()
				}
			}
			next := ss.pool.Get().(*[]byte)
			nbuf := append((*next)[:0], buf[limit:]...)
			jobs <- windowJob{bp: bp, buf: buf, limit: limit, base: base, line: line, lastNL: lastNL}
			bp, buf = next, nbuf
		}
		if done {
			if errors.Is(rerr, io.EOF) {
				rerr = nil
			}
			if jobs != nil {
				ss.pool.Put(bp)
			}
			return total, rerr
		}
		base += int64(limit)
		line, lastNL = nextLine, nextNL
	}
}

func (ss *streamScanner) scanWindow(buf []byte, limit int, base int64, line int, lastNL int64, found func(span)) {
	var ms []span
	ss.e.scan(buf, limit, 0, func(m match) { ms = append(ms, span{m: m}) })
	if ss.known != nil {
		ms = findKnown(ss.known, buf, limit, ms)
	}
	if len(ms) == 0 {
		return
	}
	// One finding per span: the first rule of the set wins; known values
	// win over everything.
	slices.SortFunc(ms, func(a, b span) int {
		if a.m.start != b.m.start {
			return a.m.start - b.m.start
		}
		if a.m.end != b.m.end {
			return a.m.end - b.m.end
		}
		if a.m.sid != b.m.sid {
			return cmp.Compare(a.m.sid, b.m.sid)
		}
		return a.m.rule.index - b.m.rule.index
	})
	// Several secrets decoded from one run share its span: one finding
	// for each.
	ms = slices.CompactFunc(ms, func(a, b span) bool {
		return a.m.start == b.m.start && a.m.end == b.m.end && a.m.sid == b.m.sid
	})
	ms = dropEncodedDuplicates(ms)
	// Place each span, counting lines incrementally.
	pos := 0
	for i := range ms {
		sp := &ms[i]
		line, lastNL = advanceLines(buf, pos, sp.m.start, line, base, lastNL)
		pos = sp.m.start
		sp.startLine, sp.startColumn = line, int(base+int64(sp.m.start)-lastNL)
		el, eNL := advanceLines(buf, pos, sp.m.end-1, line, base, lastNL)
		sp.endLine, sp.endColumn = el, int(base+int64(sp.m.end-1)-eNL)
		sp.allowed = lineHas(buf, sp.m.start, allowMarker)
		found(*sp)
	}
}

// advanceLines moves from buf[from] to buf[to], counting newlines.
func advanceLines(buf []byte, from, to, line int, base, lastNL int64) (int, int64) {
	seg := buf[from:to]
	if n := bytes.Count(seg, []byte{'\n'}); n > 0 {
		line += n
		lastNL = base + int64(from+bytes.LastIndexByte(seg, '\n'))
	}
	return line, lastNL
}

// lineHas reports whether the line around buf[at] (as far as buf holds it)
// contains marker.
func lineHas(buf []byte, at int, marker []byte) bool {
	s := bytes.LastIndexByte(buf[:at], '\n') + 1
	e := bytes.IndexByte(buf[at:], '\n')
	if e < 0 {
		e = len(buf)
	} else {
		e += at
	}
	return bytes.Contains(buf[s:e], marker)
}

// dropEncodedDuplicates drops a match found through a decoding when the
// same secret was found inside its span otherwise: as is (an escaped run
// that leaves the secret's own bytes alone), or through a shorter run (a
// part of a JSON string that is base64 by itself). The inner span is the
// precise one.
func dropEncodedDuplicates(ms []span) []span {
	bySecret := map[uint64][]match{}
	for _, sp := range ms {
		bySecret[sp.m.sid] = append(bySecret[sp.m.sid], sp.m)
	}
	return slices.DeleteFunc(ms, func(sp span) bool {
		if sp.m.encoding == "" {
			return false
		}
		for _, p := range bySecret[sp.m.sid] {
			if p.start >= sp.m.start && p.end <= sp.m.end && (p.start != sp.m.start || p.end != sp.m.end) {
				return true
			}
		}
		return false
	})
}

// findKnown appends the known values in buf that start before limit: as
// they are, and in the canonical readings the masker makes of escaped text
// (mask.Readings), so that every form the masker masks is found.
func findKnown(km KnownMatcher, buf []byte, limit int, ms []span) []span {
	add := func(start, end int, enc string, ref KnownRef) {
		r := ref
		m := match{rule: knownRule, start: start, end: end, encoding: enc, fingerprint: ref.Fingerprint, sid: secretID(buf[start:end])}
		ms = append(ms, span{m: m, known: &r})
	}
	km.Find(buf, limit, func(start, end int, ref KnownRef) { add(start, end, ref.Encoding, ref) })
	mask.Readings(buf, km.MaxLen(), func(r *mask.Reading) {
		km.Find(r.Text, len(r.Text), func(start, end int, ref KnownRef) {
			from, to := int(r.From[start]), int(r.To[end-1])
			if from >= limit {
				return
			}
			enc := r.View
			if ref.Encoding != "" {
				enc += "+" + ref.Encoding
			}
			ref.Encoding = enc
			add(from, to, enc, ref)
		})
	})
	return ms
}
