package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Errors of Open and Write.
var (
	ErrKeySize    = errors.New("audit HMAC key must be 32 bytes")
	ErrNoPath     = errors.New("audit log path is empty")
	ErrNotRegular = errors.New("audit log is not a regular file")
	ErrLocked     = errors.New("audit log is in use by another ward process")
	ErrClosed     = errors.New("audit log is closed")
	ErrTooLarge   = errors.New("audit entry is larger than the longest line")
)

// WriteError is a failed write of a batch of lines: the caller must fail its
// request. The file and the chain are as they were before the batch.
type WriteError struct {
	Path string
	Err  error // from the file system, e.g. syscall.ENOSPC
}

func (e *WriteError) Error() string {
	return fmt.Sprintf("audit log %s cannot be written: %v", e.Path, e.Err)
}
func (e *WriteError) Unwrap() error { return e.Err }

// errRemoved: the file written to was removed.
var errRemoved = errors.New("the file was removed")

// Config configures a Log. Path and HMACKey are required.
type Config struct {
	// Path is the log file. It is created 0600; an existing file with a
	// wider mode is tightened to 0600. It must be a regular file.
	Path string
	// HMACKey is the vault's audit key, 32 bytes. Log keeps a copy.
	HMACKey []byte
	// Now stamps entries whose Time is zero; it is called by concurrent
	// Writes. nil: time.Now.
	Now func() time.Time
	// Sync makes Write return only after the batch holding its line is
	// fsynced. Without it (the default) Write returns once the line is
	// handed to the kernel: it survives a crash of ward but not of the
	// machine, and Write is several times faster on most disks.
	Sync bool
	// CheckpointKey signs checkpoints (see Log.Checkpoint); Log keeps a
	// copy and wipes it on Close. nil: no checkpoints.
	CheckpointKey ed25519.PrivateKey
	// OnWrite, OnEntries and OnBatch, when set, watch the log (see
	// hooks.go): they are called by the goroutine that wrote a batch and
	// must not block.
	OnWrite   func(lines []byte)
	OnEntries func(batch []Written)
	OnBatch   func(took time.Duration, err error)

	// openFile opens Path; nil: the real one. Tests replace it.
	openFile func(path string) (logFile, error)
}

// Log appends entries to one audit file. It is safe for concurrent use.
type Log struct {
	cfg    Config
	hasher *hasher

	mu      sync.Mutex
	cond    *sync.Cond // on mu; broadcast when writing ends
	queue   []*pending // guarded by mu: lines waiting for the next batch
	spare   []*pending // guarded by mu: a spare queue
	writing bool       // guarded by mu: a leader is writing a batch
	closed  bool       // guarded by mu

	// Owned by the leader (the goroutine that set writing), and by Close
	// once writing is over.
	f    logFile     // nil: reopen before the next batch
	fi   os.FileInfo // of f when it was opened
	size int64       // bytes of complete lines in f
	head head        // of the last line written
	buf  []byte      // the batch being written
	seen []Written   // the batch handed to OnEntries
	// lastCheckpoint is the seq of the last checkpoint line written; a
	// periodic checkpoint right after it would sign nothing new.
	lastCheckpoint uint64

	batches atomic.Int64 // batches written, for benchmarks
}

// pending is one line waiting in the queue.
type pending struct {
	objs       [][]byte   // the entries' JSON objects without their closing braces
	checkpoint string     // or, instead, the reason of a checkpoint to sign
	line       []byte     // set by the leader: the checkpoint line written, if any
	reopen     bool       // or, instead, reopen the file before the batch (Reopen)
	done       chan error // the result; errLead hands over the leader's role
	// written describes objs for OnEntries (only when it is set); room
	// holds it for a request's two entries without an allocation.
	written []Written
	room    [2]Written
}

var errLead = errors.New("lead the next batch")

// Open opens or creates the log at cfg.Path and resumes its chain from its
// last complete line. A torn last line (a write cut short by a crash) is
// truncated away: no Write returned for it. A last line that is not a ward
// audit line is refused with ErrBroken: run `ward audit verify` on the file,
// and move it aside to start a new log.
func Open(cfg Config) (*Log, error) {
	if cfg.Path == "" {
		return nil, ErrNoPath
	}
	if len(cfg.HMACKey) != 32 {
		return nil, ErrKeySize
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.openFile == nil {
		cfg.openFile = openFile
	}
	cfg.CheckpointKey = bytes.Clone(cfg.CheckpointKey)
	l := &Log{cfg: cfg, hasher: newHasher(cfg.HMACKey), head: head{hash: genesis}}
	l.cond = sync.NewCond(&l.mu)
	if err := l.resume(); err != nil {
		return nil, fmt.Errorf("opening audit log %s: %w", cfg.Path, err)
	}
	return l, nil
}

// resume opens the file and reads the chain head from its last line.
func (l *Log) resume() error {
	f, err := l.open()
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	line, end, err := lastLine(f, fi.Size())
	if err == nil && line != nil {
		seq, _, hash, reason := parseLine(line)
		if reason != "" {
			err = fmt.Errorf("its last complete line is damaged (%s); run 'ward audit verify %s', and move the file aside to start a new log: %w", reason, l.cfg.Path, ErrBroken)
		}
		l.head = head{seq: seq, hash: hash}
		if isCheckpoint(line) {
			l.lastCheckpoint = seq
		}
	}
	if err == nil && end < fi.Size() {
		err = f.Truncate(end)
	}
	if err != nil {
		f.Close()
		return err
	}
	l.f, l.fi, l.size = f, fi, end
	return nil
}

// open opens the log's path. With Config.Sync it also syncs the directory,
// so that a file it created survives a crash of the machine.
func (l *Log) open() (logFile, error) {
	f, err := l.cfg.openFile(l.cfg.Path)
	if err != nil || !l.cfg.Sync {
		return f, err
	}
	if err := syncDir(filepath.Dir(l.cfg.Path)); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// HMAC returns the HMAC-SHA256 of value under the log's key as
// "hmac-sha256:<hex>", the form in which values appear in the log.
func (l *Log) HMAC(value string) string { return l.hasher.sum(value) }

// Write appends e as one line and returns once the line is written (see
// Config.Sync). An error means the line is not in the log and the caller
// must fail the request. ctx is checked only before the line is queued: once
// queued, Write waits for the batch, which does not wait on the network.
func (l *Log) Write(ctx context.Context, e *Entry) error {
	return l.WriteAll(ctx, e)
}

// WriteAll appends the entries as consecutive lines, all or none, in one
// write: the server uses it for the request and response entries of a
// read, which returns nothing until both are in the log.
func (l *Log) WriteAll(ctx context.Context, entries ...*Entry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := l.cfg.Now()
	p := &pending{objs: make([][]byte, len(entries)), done: make(chan error, 1)}
	if l.cfg.OnEntries != nil {
		p.written = p.room[:0]
	}
	var room [2]*[]byte // a read writes two entries
	bufs := room[:0]
	var s sums
	for i, e := range entries {
		if e.Type == "checkpoint" {
			return errors.New("audit: checkpoints are written by Checkpoint, not Write")
		}
		bp := entryBufs.Get().(*[]byte)
		bufs = append(bufs, bp)
		obj, err := l.hasher.encode((*bp)[:0], e, now, &s)
		if err != nil {
			return err
		}
		p.objs[i], *bp = obj, obj
		if p.written != nil {
			p.written = append(p.written, written(e, now, &s))
		}
	}
	err := l.enqueue(ctx, p)
	// The lines are written (or failed) and the watchers have seen them:
	// the buffers go back to the pool.
	for _, bp := range bufs {
		if cap(*bp) <= maxPooledEntry {
			*bp = (*bp)[:0]
			entryBufs.Put(bp)
		}
	}
	return err
}

// entryBufs holds the buffers entries are encoded into, up to
// maxPooledEntry bytes. What they hold is what the log writes.
var entryBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

const maxPooledEntry = 64 << 10

// enqueue queues p and waits for the batch that writes it; the first
// writer to find no batch under way writes it (see the package doc).
func (l *Log) enqueue(ctx context.Context, p *pending) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	l.queue = append(l.queue, p)
	if l.writing {
		l.mu.Unlock()
		if err := <-p.done; err != errLead {
			return err
		}
		l.mu.Lock()
	}
	l.writing = true
	if len(l.queue) == 1 {
		// Alone in the queue: let the goroutines already runnable (other
		// requests on their way to the log) run first, so that their
		// lines share this write rather than each paying for its own.
		l.mu.Unlock()
		runtime.Gosched()
		l.mu.Lock()
	}
	batch := l.queue
	l.queue, l.spare = l.spare[:0], nil
	l.mu.Unlock()

	began := time.Now()
	err := l.writeBatch(batch)
	l.observe(batch, began, err)
	for _, q := range batch {
		q.done <- err
	}

	l.mu.Lock()
	clear(batch)
	l.spare = batch[:0]
	if len(l.queue) > 0 {
		l.queue[0].done <- errLead
	} else {
		l.writing = false
		l.cond.Broadcast()
	}
	l.mu.Unlock()
	return <-p.done
}

// writeBatch writes the lines of batch in one write. On failure it leaves
// the file and the head as they were and returns a *WriteError.
func (l *Log) writeBatch(batch []*pending) error {
	if l.f != nil && slices.ContainsFunc(batch, func(p *pending) bool { return p.reopen }) {
		l.f.Close()
		l.f = nil
	}
	if l.f == nil {
		if err := l.reopen(); err != nil {
			return &WriteError{Path: l.cfg.Path, Err: err}
		}
	}
	buf, h, lastCheckpoint := l.buf[:0], l.head, l.lastCheckpoint
	for _, p := range batch {
		if p.checkpoint != "" {
			if p.checkpoint == CheckpointPeriodic && h.seq == lastCheckpoint {
				continue // nothing new to sign
			}
			start := len(buf)
			buf, h = appendLine(buf, encodeCheckpoint(l.cfg.CheckpointKey, p.checkpoint, h, l.cfg.Now()), h)
			lastCheckpoint = h.seq
			p.line = bytes.Clone(buf[start:])
			continue
		}
		for _, obj := range p.objs {
			buf, h = appendLine(buf, obj, h)
		}
	}
	l.buf = buf
	if len(buf) == 0 {
		return nil
	}
	n, err := l.f.Write(buf)
	if err == nil && l.cfg.Sync {
		err = l.f.Sync()
	}
	if err == nil {
		err = l.stillLinked()
	}
	if err != nil {
		if n > 0 {
			// The n bytes just written end the file. Cut them off (reopen
			// tries again if this fails), measuring the file rather than
			// trusting l.size, which is stale if someone truncated it.
			if fi, serr := l.f.Stat(); serr == nil && fi.Size() >= int64(n) {
				l.size = fi.Size() - int64(n)
				l.f.Truncate(l.size)
			}
		}
		l.f.Close()
		l.f = nil
		return &WriteError{Path: l.cfg.Path, Err: err}
	}
	l.size += int64(n)
	l.head, l.lastCheckpoint = h, lastCheckpoint
	l.batches.Add(1)
	return nil
}

// stillLinked reports errRemoved if the file written to was removed (no
// name is left to it), so that lines written to it count as lost. A file
// that was renamed, as log rotation does, keeps its lines: writing goes on
// into it until Reopen.
func (l *Log) stillLinked() error {
	fi, err := l.f.Stat()
	if err != nil {
		return err
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink == 0 {
		return errRemoved
	}
	return nil
}

// reopen opens the log's path again after a failed batch. If it is the
// same file, bytes past the last complete line are truncated. If the file
// was removed or replaced, the chain goes on in the new file from the head,
// so Verify of the new file reports that it continues an earlier one.
func (l *Log) reopen() error {
	f, err := l.open()
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	size := fi.Size()
	if os.SameFile(fi, l.fi) && size > l.size {
		if err := f.Truncate(l.size); err != nil {
			f.Close()
			return err
		}
		size = l.size
	}
	l.f, l.fi, l.size = f, fi, size
	return nil
}

// Reopen closes the log's file and opens its path again, for log rotation
// (logrotate's create mode): once the file has been renamed, Reopen makes
// the lines that follow go to a new file at the path, whose chain goes on
// from the last line of the renamed one, so that Verify of the two files in
// order (VerifyLog of both, one after the other) finds one chain. Lines
// whose Write returned before Reopen was called are in the old file; lines
// written concurrently with it may land in either. If the path cannot be
// opened, Reopen returns a *WriteError and every Write fails, trying again,
// until it can: nothing goes unaudited.
func (l *Log) Reopen() error {
	return l.enqueue(context.Background(), &pending{reopen: true, done: make(chan error, 1)})
}

// Close waits for the lines already queued to be written, then closes the
// file. Writes after Close return ErrClosed. HMAC still works after Close:
// the key's HMAC state lives as long as the Log (Go gives no way to wipe it),
// so drop the Log when the vault seals.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	for l.writing {
		l.cond.Wait()
	}
	f := l.f
	l.f = nil
	clear(l.cfg.CheckpointKey)
	l.mu.Unlock()
	if f == nil {
		return nil
	}
	return f.Close()
}
