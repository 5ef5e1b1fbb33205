package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// auditFiles reads audit log files one after the other as one chain: the
// files of a rotated log, oldest first, each new file's first line chained
// to the last line of the one before. It remembers how many lines it read
// from each, to name the file and line of a line number of the whole.
type auditFiles struct {
	names  []string
	stdin  io.Reader // for the name "-", allowed alone only
	cur    int       // the file being read; len(names) at the end
	r      io.Reader // nil: open names[cur] next
	closer func()
	lines  []int  // complete lines read from each file
	read   []bool // whether any byte was read from each file
	last   byte   // the last byte read from names[cur]
}

// tornFileError: a file before the last ends with an incomplete line, so
// the next file cannot follow it.
type tornFileError struct {
	file string
	line int
}

func (e *tornFileError) Error() string {
	return fmt.Sprintf("%s:%d: the last line is incomplete: a write was cut short by a crash", e.file, e.line)
}

func newAuditFiles(names []string, stdin io.Reader) *auditFiles {
	return &auditFiles{names: names, stdin: stdin, lines: make([]int, len(names)), read: make([]bool, len(names))}
}

func (a *auditFiles) Read(p []byte) (int, error) {
	for a.cur < len(a.names) {
		if a.r == nil {
			r, closer, err := openAuditLog(a.names[a.cur], a.stdin)
			if err != nil {
				return 0, err
			}
			a.r, a.closer = r, closer
		}
		n, err := a.r.Read(p)
		if n > 0 {
			a.lines[a.cur] += bytes.Count(p[:n], []byte("\n"))
			a.read[a.cur], a.last = true, p[n-1]
		}
		if err == io.EOF {
			a.closer()
			a.r = nil
			if a.read[a.cur] && a.last != '\n' && a.cur < len(a.names)-1 {
				return n, &tornFileError{file: a.names[a.cur], line: a.lines[a.cur] + 1}
			}
			a.cur++
			err = nil
		}
		if n > 0 || err != nil {
			return n, err
		}
	}
	return 0, io.EOF
}

// Close closes the file being read, if any.
func (a *auditFiles) Close() {
	if a.r != nil {
		a.closer()
		a.r = nil
	}
}

// where names the file and the line in it of line n of the whole.
func (a *auditFiles) where(n int) (string, int) {
	for i, name := range a.names {
		if n <= a.lines[i] || i == len(a.names)-1 || i >= a.cur {
			return name, n
		}
		n -= a.lines[i]
	}
	return "", n
}

// joined names the files for a message: "a.log" or "a.log, b.log".
func (a *auditFiles) joined() string { return strings.Join(a.names, ", ") }
