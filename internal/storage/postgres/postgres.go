// Package postgres is ward's shared storage driver: a storage.Backend kept
// in one PostgreSQL database, so that several ward servers can serve one
// store and PostgreSQL's own replication and failover keep it.
//
// Open the database once per process and share the *DB:
//
//	db, err := postgres.Open(ctx, dsn, postgres.Options{})
//	if err != nil {
//		return err
//	}
//	defer db.Close()
//
// dsn is a libpq connection string (URL or key=value); TLS to the database
// is set there (sslmode=verify-full sslrootcert=/path/ca.pem). Open creates
// or upgrades ward's tables (see schema.go) and refuses a database whose
// schema is newer than this ward. Nothing in an error names the password.
//
// Every value ward stores is already barrier ciphertext; keys are stored as
// bytea so that List's byte order never depends on a collation.
//
// Every Put, Delete and Transaction returns once PostgreSQL has committed it
// (with synchronous_commit on, as Open checks, that is after its WAL flush).
// Writers that arrive while a commit is in progress are grouped into the
// next PostgreSQL transaction and share its WAL flush ("group commit"), as
// in the bolt driver. Each commit also sends the keys it changed on a
// notification channel, which is how several servers keep their caches
// right (*DB is a storage.Notifier); *DB is a storage.Locker and a
// storage.KeyLocker too, over PostgreSQL advisory locks, and a
// storage.Dumper for snapshots.
//
// While that channel is listened to (from the first Changes call until
// Close), Get answers from a bounded read cache of what it read before:
// exact for this process's own writes, and following other processes'
// within the milliseconds their notifications take; emptied and bypassed
// while the listening connection is down (see cache.go).
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wardhq/ward/internal/storage"
)

var (
	_ storage.Backend   = (*DB)(nil)
	_ storage.Dumper    = (*DB)(nil)
	_ storage.Notifier  = (*DB)(nil)
	_ storage.Locker    = (*DB)(nil)
	_ storage.KeyLocker = (*DB)(nil)
)

// ErrBadDSN is wrapped by the error for a connection string that cannot be
// parsed. The error never quotes the string, which may carry a password.
var ErrBadDSN = errors.New("postgres: connection string cannot be parsed")

// ErrNotDurable is wrapped by the error from Open when the database would
// acknowledge commits before they are on disk (synchronous_commit=off).
var ErrNotDurable = errors.New("postgres: commits are not durable")

// Options tune a DB. The zero value is the recommended configuration.
type Options struct {
	// MaxConns is the size of the connection pool that reads use (writes
	// use one of them at a time). Zero means 16.
	MaxConns int32

	// MaxBatch is the most write calls grouped into one PostgreSQL
	// transaction. Zero means 1024.
	MaxBatch int

	// CommitTimeout bounds one group commit; its calls fail when it
	// passes. Zero means 30 seconds.
	CommitTimeout time.Duration

	// LeaseCheck is how often a held Lead lock checks that its connection
	// is alive, and how often the listening connection of the change feed
	// does when no notification came. Zero means one second.
	LeaseCheck time.Duration

	// CacheBytes bounds the read cache (ciphertext, as in the table),
	// which serves Get while the change feed runs (from the first Changes
	// call until Close; see readCache). Zero means 64 MiB; negative turns
	// the cache off.
	CacheBytes int64

	// reconnectDelay is how long the change feed waits before it tries
	// again to reach a database it lost. Zero means 200ms; tests set it.
	reconnectDelay time.Duration
}

const (
	defaultMaxConns      = 16
	defaultMaxBatch      = 1024
	defaultLeaseCheck    = time.Second
	defaultCommitTimeout = 30 * time.Second
	// defaultReconnectDelay is how long the change feed waits before it
	// tries again to reach a database it lost.
	defaultReconnectDelay = 200 * time.Millisecond
)

// DB is a storage.Backend in one PostgreSQL database. It is safe for
// concurrent use.
type DB struct {
	pool     *pgxpool.Pool
	keyLocks *pgxpool.Pool   // holds LockKey's locks; see keylock.go
	cfg      *pgxpool.Config // for the dedicated LISTEN and lock connections
	opts     Options
	writes   chan *write   // to commitLoop; closed by Close
	stopped  chan struct{} // closed when commitLoop has returned
	stats    counters
	notifier notifier
	cache    *readCache // nil: no read cache

	// mu is held for reading by every call in flight and for writing by
	// Close, so Close waits for them and no call starts after it.
	mu     sync.RWMutex
	closed bool // guarded by mu
}

// Open connects to the database named by dsn, creates or upgrades ward's
// schema in it and returns the store.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	if opts.MaxConns <= 0 {
		opts.MaxConns = defaultMaxConns
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = defaultMaxBatch
	}
	if opts.CommitTimeout <= 0 {
		opts.CommitTimeout = defaultCommitTimeout
	}
	if opts.LeaseCheck <= 0 {
		opts.LeaseCheck = defaultLeaseCheck
	}
	if opts.reconnectDelay <= 0 {
		opts.reconnectDelay = defaultReconnectDelay
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// The parse error may quote the connection string, password
		// and all: say only that it failed.
		return nil, fmt.Errorf("%w; check its syntax (postgres://USER@HOST:PORT/DB?sslmode=verify-full or key=value pairs)", ErrBadDSN)
	}
	cfg.MaxConns = opts.MaxConns
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, connectError(err)
	}
	if err := checkDurable(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	lcfg := cfg.Copy()
	lcfg.MaxConns = keyLockConns
	lcfg.MinConns = 0
	lcfg.ConnConfig.RuntimeParams["application_name"] = "ward-keylock"
	keyLocks, err := pgxpool.NewWithConfig(ctx, lcfg)
	if err != nil {
		pool.Close()
		return nil, connectError(err)
	}
	db := &DB{
		pool:     pool,
		keyLocks: keyLocks,
		cfg:      cfg,
		opts:     opts,
		writes:   make(chan *write, opts.MaxBatch),
		stopped:  make(chan struct{}),
		cache:    newReadCache(opts.CacheBytes),
	}
	db.notifier.init(db)
	go db.commitLoop()
	return db, nil
}

// connectError describes a failure to reach or log in to the database.
// pgx's errors name the user, database and address, never the password.
func connectError(err error) error {
	if unavailable(err) {
		return fmt.Errorf("postgres: cannot use the database: %w (%w)", err, storage.ErrUnavailable)
	}
	return fmt.Errorf("postgres: cannot use the database: %w", err)
}

// checkDurable refuses a database that acknowledges commits before their
// WAL is flushed: the Backend contract promises a returned write survives a
// crash.
func checkDurable(ctx context.Context, pool *pgxpool.Pool) error {
	var mode string
	if err := pool.QueryRow(ctx, "SHOW synchronous_commit").Scan(&mode); err != nil {
		return connectError(err)
	}
	if mode == "off" {
		return fmt.Errorf("%w: the database has synchronous_commit=off, so a write ward acknowledged could be lost in a crash; set it to on (ALTER ROLE ... SET synchronous_commit = on)", ErrNotDurable)
	}
	return nil
}

// Stats counts a DB's work since Open.
type Stats struct {
	Writes      int64 // Put, Delete and Transaction calls committed
	Commits     int64 // PostgreSQL transactions committed, each with its WAL flush
	Reads       int64 // Get and List queries sent to the database
	CacheHits   int64 // Get calls the read cache answered
	CacheMisses int64 // Get calls the read cache could not answer while it was on
	CacheOn     bool  // the read cache is in use: the change feed listens
}

type counters struct{ writes, commits, reads atomic.Int64 }

// Stats returns the DB's counters. Writes/Commits is the average number of
// calls that shared one commit.
func (db *DB) Stats() Stats {
	st := Stats{Writes: db.stats.writes.Load(), Commits: db.stats.commits.Load(), Reads: db.stats.reads.Load()}
	if db.cache != nil {
		st.CacheHits, st.CacheMisses, st.CacheOn = db.cache.hits.Load(), db.cache.misses.Load(), db.cache.on.Load()
	}
	return st
}

// Close waits for the calls in flight, commits what they wrote and closes
// the connections. Calls after Close return storage.ErrClosed; so does a
// second Close.
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
	db.notifier.stop()
	db.keyLocks.Close()
	db.pool.Close()
	return nil
}

// enter starts a call: it fails after Close, and otherwise holds db.mu for
// reading until the returned function is called.
func (db *DB) enter(ctx context.Context) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	db.mu.RLock()
	if db.closed {
		db.mu.RUnlock()
		return nil, storage.ErrClosed
	}
	return db.mu.RUnlock, nil
}

// queryError turns a failed query into the error a caller sees: the
// context's own error when the context ended (pgx wraps it), otherwise the
// driver's error.
func queryError(ctx context.Context, what string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil && (errors.Is(err, ctxErr) || pgconn.Timeout(err)) {
		return ctxErr
	}
	if unavailable(err) {
		return fmt.Errorf("postgres: %s: %w (%w)", what, err, storage.ErrUnavailable)
	}
	return fmt.Errorf("postgres: %s: %w", what, err)
}

// unavailable reports whether err says the database could not be reached
// or is going away or not yet back (SQLSTATE classes 08, connection
// exception, and 57P, shutting down or starting up), as opposed to the
// database refusing a statement.
func unavailable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P")
	}
	var connErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connErr) || errors.As(err, &netErr) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}
