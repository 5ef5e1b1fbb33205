package detect

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"time"
)

// Follower reads an audit log that grows, line by line, from where it last
// stopped. It keeps a torn last line until its newline arrives. When the
// path comes to name another file (the log was moved aside and the vault
// started a new one) or the file shrinks, it finishes the old file and goes
// on with the new one from its beginning. It is not safe for concurrent use.
type Follower struct {
	path    string
	f       *os.File
	partial []byte
	buf     []byte
}

// OpenFollower opens the log at path; the first Poll reads it from its
// beginning.
func OpenFollower(path string) (*Follower, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return &Follower{path: path, f: f, buf: make([]byte, 64<<10)}, nil
}

// Close closes the file being read.
func (fl *Follower) Close() error { return fl.f.Close() }

// Poll hands fn every complete line (without its newline) written since
// the last Poll, and returns the first error fn returns.
func (fl *Follower) Poll(fn func([]byte) error) error {
	if err := fl.drain(fn); err != nil {
		return err
	}
	cur, err := fl.f.Stat()
	if err != nil {
		return err
	}
	now, err := os.Stat(fl.path)
	if err != nil {
		return nil // moved aside, and the new file is not there yet
	}
	off, err := fl.f.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	if os.SameFile(cur, now) && now.Size() >= off {
		return nil
	}
	nf, err := os.Open(fl.path)
	if err != nil {
		return nil
	}
	fl.f.Close()
	fl.f, fl.partial = nf, fl.partial[:0]
	return fl.drain(fn)
}

// drain reads the file to its current end.
func (fl *Follower) drain(fn func([]byte) error) error {
	for {
		n, err := fl.f.Read(fl.buf)
		data := fl.buf[:n]
		for len(data) > 0 {
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				if len(fl.partial)+len(data) > maxLine {
					fl.partial = fl.partial[:0] // longer than any audit line: dropped
				}
				fl.partial = append(fl.partial, data...)
				break
			}
			line := data[:i]
			if len(fl.partial) > 0 {
				line = append(fl.partial, line...)
				fl.partial = fl.partial[:0]
			}
			if ferr := fn(line); ferr != nil {
				return ferr
			}
			data = data[i+1:]
		}
		if err == io.EOF || n == 0 {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading audit log: %w", err)
		}
	}
}

// Follow runs the detectors over the log at path, from its beginning and
// then as the vault writes it, until ctx is done. tick paces the reads
// after the first: it returns a channel that fires when the file should be
// read again (nil: every 250ms). It is the live feed for a process that
// watches the log from outside the vault.
func (s *Service) Follow(ctx context.Context, path string, tick func() <-chan time.Time) error {
	fl, err := OpenFollower(path)
	if err != nil {
		return err
	}
	defer fl.Close()
	if tick == nil {
		tick = func() <-chan time.Time { return time.After(250 * time.Millisecond) }
	}
	line := func(b []byte) error { s.eng.Line(b); return nil }
	for {
		if err := fl.Poll(line); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick():
		}
	}
}
