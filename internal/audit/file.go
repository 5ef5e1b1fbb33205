package audit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// logFile is what Log needs of its open file; *os.File is one. Tests put a
// failing one in its place.
type logFile interface {
	io.Writer
	io.ReaderAt
	Truncate(size int64) error
	Sync() error
	Stat() (os.FileInfo, error)
	Close() error
}

// openFile opens path for appending, creating it 0600. An existing file
// with a wider mode is tightened to 0600. The file is locked so that a second
// ward process cannot append to it too.
func openFile(path string) (logFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is not a regular file: %w", path, ErrNotRegular)
	}
	if fi.Mode().Perm()&^0o600 != 0 {
		if err := f.Chmod(0o600); err != nil {
			f.Close()
			return nil, err
		}
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s: %w", path, ErrLocked)
		}
		return nil, err
	}
	return f, nil
}

// lastLine finds the last complete line of a file of the given size. It
// returns that line without its newline (nil if there is none) and end, the
// offset just past its newline: bytes from end to size are a torn tail.
func lastLine(f io.ReaderAt, size int64) (line []byte, end int64, err error) {
	for window := int64(64 << 10); ; window *= 2 {
		start := max(0, size-window)
		buf := make([]byte, size-start)
		if _, err := f.ReadAt(buf, start); err != nil && err != io.EOF {
			return nil, 0, err
		}
		i := bytes.LastIndexByte(buf, '\n')
		j := -1
		if i > 0 {
			j = bytes.LastIndexByte(buf[:i], '\n')
		}
		switch {
		case i >= 0 && (j >= 0 || start == 0):
			return buf[j+1 : i], start + int64(i) + 1, nil
		case i < 0 && start == 0:
			return nil, 0, nil
		case window > 2*MaxLine:
			return nil, 0, fmt.Errorf("its last line is longer than %d bytes: %w", MaxLine, ErrBroken)
		}
	}
}

// syncDir fsyncs a directory, making the creation of a file in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
