// Package bolt is ward's embedded storage driver: a storage.Backend kept in
// one bbolt file on local disk, the default store of `ward server` and
// `ward dev`.
//
// Open the data file once per process and share the *DB:
//
//	db, err := bolt.Open(filepath.Join(dataDir, "ward.db"), bolt.Options{})
//	if err != nil {
//		return err
//	}
//	defer db.Close()
//
// The file is created with mode 0600 and locked for the life of the *DB; a
// second process that opens it gets an error wrapping ErrInUse after
// Options.LockTimeout instead of waiting forever. A file that is not a
// readable bbolt file (torn, truncated, overwritten) gives an error wrapping
// ErrCorrupt; an empty (zero-byte) file is taken as a new store, as bbolt
// does, since that is what a crash between creating and first writing the
// file leaves.
//
// Every Put, Delete and Transaction returns only once its change is on disk
// (fsynced). Writers that arrive while a commit is in progress are grouped
// into the next bbolt write transaction and share its fsync ("group
// commit"), so throughput grows with the number of concurrent writers while
// a lone writer pays one commit and no added delay. A write call that fails
// inside a group is taken out and the rest of the group is committed without
// it.
package bolt

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	bbolt "go.etcd.io/bbolt"
	bberrors "go.etcd.io/bbolt/errors"

	"github.com/wardhq/ward/internal/storage"
)

var _ storage.Backend = (*DB)(nil)

// ErrInUse is wrapped by the error from Open when another process holds the
// data file.
var ErrInUse = errors.New("bolt: data file in use")

// ErrCorrupt is wrapped by the error for a data file that cannot be read as a
// ward store.
var ErrCorrupt = errors.New("bolt: data file corrupt")

// ErrFull is wrapped by the error for a write that would grow the data file
// past Options.MaxSize.
var ErrFull = errors.New("bolt: data file full")

// Options tune a DB. The zero value is the recommended configuration.
type Options struct {
	// LockTimeout is how long Open waits for another process to release
	// the data file before it gives up with ErrInUse. Zero means one
	// second.
	LockTimeout time.Duration

	// MaxBatch is the most write calls grouped into one bbolt transaction
	// and fsync. Zero means 1024.
	MaxBatch int

	// MaxSize caps the data file's size in bytes: a commit that would grow
	// it further fails with ErrFull and changes nothing. Zero means no cap.
	MaxSize int
}

const (
	defaultLockTimeout = time.Second
	defaultMaxBatch    = 1024
	fileMode           = 0o600
)

// bucket holds every entry; keys are storage keys, values are stored as is.
var bucket = []byte("entries")

// DB is a storage.Backend in one bbolt file. It is safe for concurrent use.
type DB struct {
	path     string
	bdb      *bbolt.DB
	maxBatch int
	writes   chan *write   // to commitLoop; closed by Close
	stopped  chan struct{} // closed when commitLoop has returned
	stats    counters

	// mu is held for reading by every call in flight and for writing by
	// Close, so Close waits for them and no call starts after it.
	mu     sync.RWMutex
	closed bool // guarded by mu

	// beforeApply, when set by a test, runs before each write call's ops
	// are applied inside a group; an error fails that call.
	beforeApply func(ops []storage.Op) error
}

// Open opens the data file at path, creating it with mode 0600 if it does
// not exist. The directory must exist.
func Open(path string, opts Options) (*DB, error) {
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = defaultLockTimeout
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = defaultMaxBatch
	}
	bdb, err := openFile(path, opts)
	if err != nil {
		return nil, err
	}
	db := &DB{
		path:     path,
		bdb:      bdb,
		maxBatch: opts.MaxBatch,
		writes:   make(chan *write, opts.MaxBatch),
		stopped:  make(chan struct{}),
	}
	go db.commitLoop()
	return db, nil
}

// openFile opens and checks the bbolt file, turning bbolt's errors and
// panics about the file into errors that name it.
func openFile(path string, opts Options) (*bbolt.DB, error) {
	var bdb *bbolt.DB
	err := recoverCorrupt(path, func() error {
		var err error
		bdb, err = bbolt.Open(path, fileMode, &bbolt.Options{
			Timeout:      opts.LockTimeout,
			MaxSize:      opts.MaxSize,
			FreelistType: bbolt.FreelistMapType,
			// NoFreelistSync stays false: with it, Open rebuilds the
			// freelist by walking the file in a goroutine of bbolt's
			// own, where a damaged page panics beyond our recover.
		})
		if err != nil {
			return openError(path, opts, err)
		}
		return checkFile(path, bdb)
	})
	if err != nil {
		if bdb != nil {
			bdb.Close()
		}
		return nil, err
	}
	return bdb, nil
}

// openError says what an error from bbolt.Open means for ward's user.
func openError(path string, opts Options, err error) error {
	switch {
	case errors.Is(err, bberrors.ErrTimeout):
		return &fileError{path: path, what: fmt.Sprintf("is in use by another ward process (waited %v for its lock); stop that process or use another data directory", opts.LockTimeout), kind: ErrInUse, cause: err}
	case errors.Is(err, bberrors.ErrInvalid), errors.Is(err, bberrors.ErrChecksum), errors.Is(err, bberrors.ErrVersionMismatch):
		return corruptError(path, err)
	case !isSystemError(err):
		// bbolt's other complaints about what it read ("file size too
		// small") have no sentinel; anything that is not an error from
		// the operating system is one of them.
		return corruptError(path, err)
	}
	return fmt.Errorf("bolt: open data file %q: %w", path, err)
}

// checkFile refuses a file shorter than its own meta page says (reading past
// the end of the mapping would crash the process) and creates the bucket of
// a new file.
func checkFile(path string, bdb *bbolt.DB) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("bolt: data file %q: %w", path, err)
	}
	return bdb.Update(func(tx *bbolt.Tx) error {
		if tx.Size() > info.Size() {
			return corruptError(path, fmt.Errorf("file is %d bytes, its header says %d", info.Size(), tx.Size()))
		}
		b, err := tx.CreateBucketIfNotExists(bucket)
		if errors.Is(err, bberrors.ErrIncompatibleValue) {
			return corruptError(path, err)
		}
		if err != nil {
			return fmt.Errorf("bolt: data file %q: %w", path, err)
		}
		b.Cursor().First() // touch the root page while a panic is still an error
		return nil
	})
}

// Stats counts a DB's work since Open.
type Stats struct {
	Writes  int64 // Put, Delete and Transaction calls committed
	Commits int64 // bbolt write transactions committed, each with its fsync
}

type counters struct{ writes, commits atomic.Int64 }

// Stats returns the DB's counters. Writes/Commits is the average number of
// calls that shared one fsync.
func (db *DB) Stats() Stats {
	return Stats{Writes: db.stats.writes.Load(), Commits: db.stats.commits.Load()}
}

// Path returns the data file's path.
func (db *DB) Path() string { return db.path }

// Close waits for the calls in flight, commits what they wrote and closes the
// file. Calls after Close return storage.ErrClosed; so does a second Close.
func (db *DB) Close() error {
	db.mu.Lock()
	if db.closed {
		db.mu.Unlock()
		return storage.ErrClosed
	}
	db.closed = true
	close(db.writes)
	db.mu.Unlock()
	<-db.stopped
	if err := db.bdb.Close(); err != nil {
		return fmt.Errorf("bolt: close data file %q: %w", db.path, err)
	}
	return nil
}

// isSystemError reports whether err came from the operating system (a
// missing directory, a permission) rather than from the file's content.
func isSystemError(err error) bool {
	var pathErr *fs.PathError
	var errno syscall.Errno
	return errors.As(err, &pathErr) || errors.As(err, &errno)
}

// fileError is an error about the data file as a whole.
type fileError struct {
	path  string
	what  string // completes "data file <path> ..."
	kind  error  // ErrInUse or ErrCorrupt
	cause error  // from bbolt or the file system
}

func (e *fileError) Error() string   { return fmt.Sprintf("bolt: data file %q %s", e.path, e.what) }
func (e *fileError) Unwrap() []error { return []error{e.kind, e.cause} }

func corruptError(path string, cause error) error {
	return &fileError{path: path, what: fmt.Sprintf("is damaged or is not a ward data file (%v); restore it from a backup", cause), kind: ErrCorrupt, cause: cause}
}
