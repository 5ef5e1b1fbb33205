package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Record is one answered request as Query reads it back from a log: the
// public members of a response line. Data, tokens and accessors, which are
// HMACs in the log, are not part of it.
type Record struct {
	Seq         uint64            `json:"seq"`
	Time        time.Time         `json:"time"`
	RequestID   string            `json:"request_id"`
	Identity    string            `json:"identity"`
	Policies    []string          `json:"policies,omitempty"`
	Environment string            `json:"environment,omitempty"`
	Path        string            `json:"path"`
	Operation   string            `json:"operation"`
	RemoteAddr  string            `json:"remote_addr,omitempty"`
	Status      int               `json:"status"`
	Error       string            `json:"error,omitempty"`
	Meta        map[string]string `json:"meta,omitempty"`
}

// Filter selects records. Zero values select everything.
type Filter struct {
	Identity    string // a case-insensitive substring of the identity
	Path        string // a prefix of the API path ("prod/data/payments/")
	Environment string // exact
	Repository  string // a case-insensitive substring of meta ci_repository
	Since       time.Time
	Until       time.Time
	AfterSeq    uint64 // only records after this line
	// Events selects the log's event entries (rotation, retirement and
	// drill steps) instead of its answered requests.
	Events bool
	Limit  int // newest first, at most this many; 0: DefaultQueryLimit
	// MaxScanBytes bounds how far back from the end Query reads; 0:
	// DefaultMaxScanBytes.
	MaxScanBytes int64
}

// Query's bounds.
const (
	DefaultQueryLimit   = 100
	MaxQueryLimit       = 1000
	DefaultMaxScanBytes = 256 << 20
)

// Result is what Query found.
type Result struct {
	Records []Record `json:"records"` // newest first
	// Truncated is set when Query stopped at MaxScanBytes before the start
	// of the log: older matches may exist.
	Truncated bool `json:"truncated"`
	// Head is the sequence number of the newest line read, for a later
	// query with AfterSeq.
	Head uint64 `json:"head"`
}

// ErrBadFilter is wrapped by Query's errors about its filter.
var ErrBadFilter = errors.New("bad audit filter")

// Query reads the log at path backwards, from its newest line, and returns
// the response records that match f, newest first. It never writes and
// never takes the Log's lock, so it runs beside a live Log; a torn last
// line (being written) is skipped.
func Query(ctx context.Context, path string, f Filter) (*Result, error) {
	if f.Limit == 0 {
		f.Limit = DefaultQueryLimit
	}
	if f.Limit < 0 || f.Limit > MaxQueryLimit {
		return nil, fmt.Errorf("%w: limit must be 1 to %d", ErrBadFilter, MaxQueryLimit)
	}
	if f.MaxScanBytes == 0 {
		f.MaxScanBytes = DefaultMaxScanBytes
	}
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return nil, err
	}
	res := &Result{Records: []Record{}}
	identity, repo := strings.ToLower(f.Identity), strings.ToLower(f.Repository)
	kind := "response"
	if f.Events {
		kind = "event"
	}
	err = readBackwards(file, st.Size(), queryChunk, f.MaxScanBytes, func(line []byte) (bool, error) {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		var r struct {
			Record
			Type string `json:"type"`
		}
		if json.Unmarshal(line, &r) != nil {
			return true, nil // a torn line, or one not written by Log
		}
		if res.Head == 0 {
			res.Head = r.Seq
		}
		if r.Seq <= f.AfterSeq || !f.Since.IsZero() && r.Time.Before(f.Since) {
			return false, nil
		}
		if r.Type != kind || !f.Until.IsZero() && r.Time.After(f.Until) ||
			f.Environment != "" && r.Environment != f.Environment ||
			f.Path != "" && !strings.HasPrefix(r.Path, f.Path) ||
			identity != "" && !strings.Contains(strings.ToLower(r.Identity), identity) ||
			repo != "" && !strings.Contains(strings.ToLower(r.Meta["ci_repository"]), repo) {
			return true, nil
		}
		res.Records = append(res.Records, r.Record)
		return len(res.Records) < f.Limit, nil
	}, &res.Truncated)
	if err != nil {
		return nil, err
	}
	return res, nil
}

// queryChunk is how much Query reads at a time.
const queryChunk = 64 << 10

// readBackwards calls fn with each complete line of r (size bytes),
// last first, reading chunk bytes at a time, until fn returns false or
// maxBytes have been read; then *truncated is set if lines before were
// left unread. A last line without its newline is skipped.
func readBackwards(r io.ReaderAt, size, chunk, maxBytes int64, fn func([]byte) (bool, error), truncated *bool) error {
	end := size
	var tail []byte // the start of a line whose end was read already
	torn := true    // until the last newline is found: bytes of a line being written
	for end > 0 {
		if size-end >= maxBytes {
			*truncated = true
			return nil
		}
		start := max(end-chunk, 0)
		buf := make([]byte, end-start, int(end-start)+len(tail))
		if _, err := r.ReadAt(buf, start); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		end = start
		if torn {
			i := bytes.LastIndexByte(buf, '\n')
			if i < 0 {
				continue
			}
			buf, torn = buf[:i+1], false
		}
		buf = append(buf, tail...)
		// buf ends with a newline; every newline before it ends a line.
		for {
			i := bytes.LastIndexByte(buf[:len(buf)-1], '\n')
			if i < 0 {
				break
			}
			line := buf[i+1 : len(buf)-1]
			buf = buf[:i+1]
			if len(line) == 0 {
				continue
			}
			more, err := fn(line)
			if err != nil || !more {
				return err
			}
		}
		tail = buf
	}
	if line := bytes.TrimSuffix(tail, []byte("\n")); len(line) > 0 {
		_, err := fn(line)
		return err
	}
	return nil
}
