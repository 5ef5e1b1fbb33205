package mask

import (
	"io"
	"sync"
)

// An Input reads a stream ahead of the Writer that masks it (a filter's
// stdin: ward mask), so that reading and masking overlap: a goroutine reads
// into spare buffers while the last read is masked, and each buffer then
// becomes the Writer's own, without a copy. Start it with ReadAhead before
// the Matcher is built, so that the first reads are in hand when it is, and
// hand it to Writer.ReadInput.
//
// Each read of the source is handed on as it arrives, however short, so a
// live stream stays live. An Input is read by one Writer, once.
type Input struct {
	full chan inputChunk
	free chan []byte
	stop chan struct{}
	once sync.Once
	size int // bytes read into a buffer at a time
}

type inputChunk struct {
	b   []byte // a whole buffer: inputFront bytes of room, then n read
	n   int
	err error
}

// inputFront is the room before the bytes read into an Input's buffer,
// where the Writer puts what it keeps of the previous buffer (context for
// matches that started there, bytes held as the start of a possible match:
// a few hundred bytes) so that the buffer needs no copy. A variable so
// that tests can make it too small.
var inputFront = 4 << 10

// ReadAhead starts reading r into depth buffers of size bytes (ward mask:
// 1 MiB, 4). Close the Input to stop reading when its Writer is not going
// to read it to the end.
func ReadAhead(r io.Reader, size, depth int) *Input {
	in := &Input{
		full: make(chan inputChunk, depth),
		free: make(chan []byte, depth+2),
		stop: make(chan struct{}),
		size: size,
	}
	// depth buffers queued full, one being read into, one masked.
	for range depth + 2 {
		in.free <- make([]byte, inputFront+size)
	}
	go in.fill(r)
	return in
}

func (in *Input) fill(r io.Reader) {
	for {
		var b []byte
		select {
		case b = <-in.free:
		case <-in.stop:
			return
		}
		var n int
		var err error
		for n == 0 && err == nil {
			n, err = r.Read(b[inputFront:])
		}
		select {
		case in.full <- inputChunk{b: b, n: n, err: err}:
		case <-in.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

// Close stops the reading goroutine (after the read it is in, if any). It
// does not close the source.
func (in *Input) Close() error {
	in.once.Do(func() { close(in.stop) })
	return nil
}

// ReadInput masks everything in yields until io.EOF, as ReadFrom does with
// its reader, and returns the number of bytes read. It does not Close the
// Writer. It must not run alongside Write, ReadFrom or Close.
func (w *Writer) ReadInput(in *Input) (int64, error) {
	defer in.Close()
	var total int64
	var cur []byte // the buffer w.buf lies in, nil while it is the Writer's own
	for {
		c := <-in.full
		w.mu.Lock()
		if err := w.unusableLocked(); err != nil {
			w.mu.Unlock()
			return total, err
		}
		// Move what the Writer keeps in front of the new bytes.
		k := len(w.buf)
		if k <= inputFront {
			copy(c.b[inputFront-k:], w.buf)
			w.buf = c.b[inputFront-k : inputFront+c.n]
		} else { // not expected: held bytes are bounded well below that
			w.buf = append(w.buf[:k:k], c.b[inputFront:inputFront+c.n]...)
			in.free <- c.b
			c.b = nil
		}
		// The buffer w.buf left goes back to be read into; the one it
		// lies in now never does while it is there.
		if cur != nil {
			in.free <- cur
		}
		cur = c.b
		total += int64(c.n)
		if c.n > 0 {
			w.afterInputLocked()
		}
		err := w.err
		w.mu.Unlock()
		switch {
		case err != nil:
			return total, err
		case c.err == io.EOF:
			return total, nil
		case c.err != nil:
			return total, c.err
		}
	}
}
