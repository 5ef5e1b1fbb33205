package main

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// growPipe asks the kernel for a larger buffer on r when it is a pipe, so
// that one read can take up to size bytes instead of the default 64 KiB.
// It is best effort: an unprivileged process may be held to a smaller
// maximum, and anything but a pipe is left alone.
func growPipe(r io.Reader, size int) {
	f, ok := r.(*os.File)
	if !ok {
		return
	}
	if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		return
	}
	unix.FcntlInt(f.Fd(), unix.F_SETPIPE_SZ, size)
}
