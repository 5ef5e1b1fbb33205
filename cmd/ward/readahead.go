package main

import (
	"io"
	"sync"
)

// readAhead returns a reader that reads r in the background, up to depth
// reads (of at most size bytes each) ahead of its caller, so that a filter's reading of
// its input overlaps its work on what it has read. Close stops the
// background reader.
func readAhead(r io.Reader, size, depth int) *aheadReader {
	a := &aheadReader{
		full: make(chan chunk, depth),
		free: make(chan []byte, depth+1),
		stop: make(chan struct{}),
	}
	for i := 0; i < depth+1; i++ {
		a.free <- make([]byte, size)
	}
	go a.fill(r)
	return a
}

type chunk struct {
	b   []byte
	n   int
	err error
}

type aheadReader struct {
	full chan chunk
	free chan []byte
	stop chan struct{}
	once sync.Once

	cur  chunk // the chunk being handed out; owned by Read's caller
	off  int
	done error // the error that ended the input, once seen
}

func (a *aheadReader) fill(r io.Reader) {
	for {
		var b []byte
		select {
		case b = <-a.free:
		case <-a.stop:
			return
		}
		// One Read, not a full buffer: what arrives is handed on at once,
		// so a live stream stays live.
		var n int
		var err error
		for n == 0 && err == nil {
			n, err = r.Read(b)
		}
		select {
		case a.full <- chunk{b: b, n: n, err: err}:
		case <-a.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

func (a *aheadReader) Read(p []byte) (int, error) {
	for a.cur.b == nil || a.off == a.cur.n {
		if a.cur.b != nil {
			if a.cur.err != nil {
				a.done = a.cur.err
			}
			a.free <- a.cur.b
			a.cur = chunk{}
		}
		if a.done != nil {
			return 0, a.done
		}
		a.cur, a.off = <-a.full, 0
	}
	n := copy(p, a.cur.b[a.off:a.cur.n])
	a.off += n
	return n, nil
}

// Close stops the background reader; it does not close the source.
func (a *aheadReader) Close() error {
	a.once.Do(func() { close(a.stop) })
	return nil
}
