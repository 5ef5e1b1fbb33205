package mask

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"sync"
)

// ErrClosed is returned by Write and Flush after Close.
var ErrClosed = errors.New("mask: writer is closed")

// outLimit is how much masked output a Writer gathers before writing it to
// its destination without waiting for the flush timer.
const outLimit = 64 << 10

// Writer masks what is written to it and writes the result to its
// destination. Bytes that could still be the start of a secret are held
// until the match completes or fails; other bytes reach the destination
// within the Matcher's FlushAfter, or at once when 64 KiB have gathered.
// Write, Flush and Close may be called from different goroutines; ReadFrom
// must not run alongside Write or Close.
type Writer struct {
	m   *Matcher
	dst io.Writer

	mu       sync.Mutex // guards all below
	buf      []byte     // buf[:done] already handled, kept as context; buf[done:] held
	done     int
	maskedTo int // end of the last replaced run in buf, -1 if none
	out      []byte
	ms       []match
	stop     func() bool // cancels the pending flush timer, nil if none
	err      error       // sticky error from dst
	closed   bool
}

var (
	_ io.WriteCloser = (*Writer)(nil)
	_ io.ReaderFrom  = (*Writer)(nil)
)

// readSize is how much ReadFrom asks of its reader at a time.
const readSize = 1 << 20

// NewWriter returns a Writer that writes the masked stream to dst. Close it
// to write the bytes still held.
func (m *Matcher) NewWriter(dst io.Writer) *Writer {
	return &Writer{m: m, dst: dst, maskedTo: -1}
}

// SetMatcher makes the Writer mask with m from now on, bytes it holds
// included: ward run --watch adds a secret's new value to the masker of a
// child that keeps running. m should mask everything the old Matcher did
// (compile it from the old secrets and the new), since bytes written after
// the call are no longer matched against the old one.
func (w *Writer) SetMatcher(m *Matcher) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.m = m
}

// Write masks p. It returns len(p) unless the destination failed.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, ErrClosed
	}
	if w.err != nil {
		return 0, w.err
	}
	w.buf = append(w.buf, p...)
	w.afterInputLocked()
	if w.err != nil {
		return 0, w.err
	}
	return len(p), nil
}

// ReadFrom masks everything r yields until io.EOF, reading straight into
// the Writer's buffer (io.Copy uses it). It does not Close the Writer.
func (w *Writer) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	for {
		w.mu.Lock()
		if err := w.unusableLocked(); err != nil {
			w.mu.Unlock()
			return total, err
		}
		n := len(w.buf)
		w.buf = slices.Grow(w.buf, readSize)
		w.mu.Unlock()
		// The buffer's tail is written outside the lock, so that a
		// slow reader does not block the flush timer; only this
		// goroutine appends to buf.
		k, rerr := r.Read(w.buf[n : n+readSize])
		w.mu.Lock()
		w.buf = w.buf[:n+k]
		total += int64(k)
		if k > 0 {
			w.afterInputLocked()
		}
		err := w.err
		w.mu.Unlock()
		if err != nil {
			return total, err
		}
		if rerr == io.EOF {
			return total, nil
		}
		if rerr != nil {
			return total, rerr
		}
	}
}

// unusableLocked returns why nothing more can be written: the
// destination's error, ErrClosed, or nil.
func (w *Writer) unusableLocked() error {
	if w.err == nil && w.closed {
		return ErrClosed
	}
	return w.err
}

// afterInputLocked masks new input in buf and writes out what is due.
func (w *Writer) afterInputLocked() {
	w.processLocked(false)
	if len(w.out) >= outLimit {
		w.writeOutLocked()
	} else if len(w.out) > 0 && w.stop == nil {
		w.stop = w.m.after(w.m.flush, w.timerFlush)
	}
}

func (w *Writer) timerFlush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stop = nil
	if !w.closed {
		w.writeOutLocked()
	}
}

// Flush writes every byte that cannot be part of a secret to the
// destination. It never writes a byte that a later Write could turn into a
// secret: those stay held until Close.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	w.writeOutLocked()
	return w.err
}

// Close writes everything still held, masked, and stops the flush timer. It
// does not close the destination.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.stop != nil {
		w.stop()
		w.stop = nil
	}
	if w.err == nil {
		w.processLocked(true)
		w.writeOutLocked()
	}
	return w.err
}

func (w *Writer) writeOutLocked() {
	if len(w.out) == 0 || w.err != nil {
		return
	}
	_, w.err = w.dst.Write(w.out)
	w.out = w.out[:0]
}

// processLocked moves buf[done:] to out, masked, except for a tail that may
// still start a match (all of it when final).
func (w *Writer) processLocked(final bool) {
	m, b := w.m, w.buf
	w.ms = m.find(b, w.ms, final)
	hold := len(b)
	if !final {
		// The earliest position whose suffix may still grow into a match.
		hold = m.startHold(b, w.ms)
		// A line that ends with a split value's head waits for its tail.
		hold = min(hold, m.splitHold(b))
		// A view's decoding of the end of b may still grow into a match.
		hold = min(hold, m.viewHold(b))
		hold = max(hold, w.done)
	}
	cur := w.done
	for i, mt := range w.ms {
		if mt.end <= cur {
			continue // handled before, inside a run just replaced, or a repeat
		}
		start := max(mt.start, cur)
		if start >= hold {
			break
		}
		w.emitLocked(b[cur:start])
		if start != w.maskedTo {
			owner, end := regionOf(w.ms[i:], hold)
			if !final && end >= hold && end-start <= 2*m.longest {
				// The region may still grow into a longer match, whose
				// value is the one to name: wait for more input.
				cur, hold = start, start
				break
			}
			w.out = append(w.out, m.names[owner]...)
		}
		cur, w.maskedTo = mt.end, mt.end
		hold = max(hold, cur)
	}
	w.emitLocked(b[cur:hold])
	w.done = hold
	// Keep context for matches that began before done.
	if keep := max(0, w.done-m.context); keep > 0 {
		n := copy(w.buf, w.buf[keep:])
		w.buf = w.buf[:n]
		w.done -= keep
		w.maskedTo -= keep
	}
}

// startHold returns the earliest position of b whose suffix may still grow
// into a match (mayStart), or len(b), given ms, the matches found in b.
//
// A tail that may begin a window folded onto the next line is held from
// the line break on instead, when the rest of its line lies inside a match
// at least WindowLen long that ends at the break, and no form holds a line
// break: the first piece of a window folded there would lie inside that
// match's region and not change it (nor its name, a shorter match's), and
// the second piece starts after the break, which stays held. So a line that
// ends with a value goes out, masked, without waiting for the next line: a
// child that prints one and then waits for a signal shows it.
func (m *Matcher) startHold(b []byte, ms []match) int {
	p := len(b)
	for q := max(0, len(b)-m.maxLen-1); q < len(b); q++ {
		if m.mayStart(b[q:]) {
			p = q
			break
		}
	}
	if p == len(b) || m.lineForms {
		return p
	}
	k := bytes.IndexByte(b[p:], '\n')
	if k < 0 {
		return p
	}
	n := p + k
	e1 := n
	if e1 > p && b[e1-1] == '\r' {
		e1--
	}
	for _, mt := range ms {
		if mt.start <= p && mt.end == e1 && mt.end-mt.start >= WindowLen {
			return n + 1
		}
	}
	return p
}

// emitLocked adds clear bytes to the output; a large run goes straight to
// the destination instead of being copied.
func (w *Writer) emitLocked(p []byte) {
	if len(p) < outLimit || w.err != nil {
		w.out = append(w.out, p...)
		return
	}
	w.writeOutLocked()
	if w.err == nil {
		_, w.err = w.dst.Write(p)
	}
}

// regionOf returns the masked region that ms[0] opens: the owner of its
// longest match, whose secret the replacement names, and where the region
// ends as far as b shows. Values that share a long prefix or suffix
// (svc/s00 and svc/s10 both end "-0123456789abcdef") leave shorter runs
// of the other values inside one value's region, and the region is that
// value's. The region is the run of matches that overlap or touch, as
// processLocked merges them, up to hold; the first longest wins, so the
// choice does not depend on how the scan was split.
func regionOf(ms []match, hold int) (owner int32, end int) {
	best, end := ms[0], ms[0].end
	for _, mt := range ms[1:] {
		if mt.start > end || mt.start >= hold {
			break
		}
		end = max(end, mt.end)
		if mt.end-mt.start > best.end-best.start {
			best = mt
		}
	}
	return best.owner, end
}
