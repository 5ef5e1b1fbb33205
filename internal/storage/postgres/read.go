package postgres

import (
	"bytes"
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wardhq/ward/internal/storage"
)

// Get returns a copy of the entry at key, or storage.ErrNotFound. While the
// change feed is up it answers from the read cache when it can (see
// readCache).
func (db *DB) Get(ctx context.Context, key string) (*storage.Entry, error) {
	if err := storage.CheckKey(key); err != nil {
		return nil, err
	}
	leave, err := db.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer leave()
	var res *cached
	if db.cache != nil {
		value, hit, r := db.cache.lookup(key)
		if hit {
			return &storage.Entry{Key: key, Value: value}, nil
		}
		res = r
	}
	var value []byte
	err = db.retryRead(ctx, func() error {
		db.stats.reads.Add(1)
		return db.pool.QueryRow(ctx, "SELECT value FROM ward_entries WHERE key = $1", []byte(key)).Scan(&value)
	})
	found := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, queryError(ctx, "get", err)
	}
	if found && value == nil {
		value = []byte{}
	}
	if res != nil {
		db.cache.fill(key, res, value, found)
		if found {
			value = append(make([]byte, 0, len(value)), value...) // the cache keeps the other copy
		}
	}
	if !found {
		return nil, storage.ErrNotFound
	}
	return &storage.Entry{Key: key, Value: value}, nil
}

// listQuery finds the names below prefix $1 (of $2 bytes) in one statement,
// so from one snapshot: a recursive walk that seeks from each key to the
// next name, skipping a folder's keys with one index seek as the bolt
// driver does (every key below prefix+"name/" sorts before prefix+"name0",
// '0' being the byte after '/'). It yields one key per name; List cuts it
// down to the name.
const listQuery = `
WITH RECURSIVE walk(k) AS (
	SELECT (SELECT key FROM ward_entries WHERE key > $1 ORDER BY key LIMIT 1)
	UNION ALL
	SELECT (SELECT key FROM ward_entries
		WHERE key >= CASE
			WHEN position('\x2f'::bytea IN substring(w.k FROM $2 + 1)) = 0 THEN w.k || '\x00'::bytea
			ELSE substring(w.k FROM 1 FOR $2 + position('\x2f'::bytea IN substring(w.k FROM $2 + 1)) - 1) || '\x30'::bytea
		END
		ORDER BY key LIMIT 1)
	FROM walk w
	WHERE w.k IS NOT NULL AND substring(w.k FROM 1 FOR $2) = $1
)
SELECT k FROM walk WHERE k IS NOT NULL AND substring(k FROM 1 FOR $2) = $1`

// List returns the names directly below prefix (see storage.Backend).
func (db *DB) List(ctx context.Context, prefix string) ([]string, error) {
	leave, err := db.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer leave()
	p := []byte(prefix)
	if p == nil {
		p = []byte{} // nil would be NULL
	}
	var names []string
	err = db.retryRead(ctx, func() error {
		names = names[:0]
		db.stats.reads.Add(1)
		rows, err := db.pool.Query(ctx, listQuery, p, len(p))
		if err != nil {
			return err
		}
		var k []byte
		_, err = pgx.ForEachRow(rows, []any{&k}, func() error {
			name := k[len(p):]
			if i := bytes.IndexByte(name, '/'); i >= 0 {
				name = name[:i+1]
			}
			names = append(names, string(name))
			return nil
		})
		return err
	})
	if err != nil {
		return nil, queryError(ctx, "list", err)
	}
	return names, nil
}

// Dump calls fn for every entry in key order, all read in one REPEATABLE
// READ transaction, so from one snapshot of the database while other
// writes go on.
func (db *DB) Dump(ctx context.Context, fn func(*storage.Entry) error) error {
	leave, err := db.enter(ctx)
	if err != nil {
		return err
	}
	defer leave()
	var fnErr error
	err = pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, "SELECT key, value FROM ward_entries ORDER BY key")
		if err != nil {
			return err
		}
		var k, v []byte
		_, err = pgx.ForEachRow(rows, []any{&k, &v}, func() error {
			e := &storage.Entry{Key: string(k), Value: append(make([]byte, 0, len(v)), v...)}
			if err := fn(e); err != nil {
				fnErr = err
				return err
			}
			return nil
		})
		return err
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return queryError(ctx, "dump", err)
	}
	return nil
}

// retryRead runs a read once more when it failed for want of a connection
// (PostgreSQL restarted, or a pooled connection was cut): reads change
// nothing, so trying again on a fresh connection is always safe. The pool
// is emptied first, since what cut one connection has most likely cut them
// all. An error from the database itself, or the caller's context ending,
// is returned at once.
func (db *DB) retryRead(ctx context.Context, read func() error) error {
	err := read()
	if err == nil || ctx.Err() != nil || errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && !sessionEnded(err) {
		return err
	}
	db.pool.Reset()
	return read()
}

// sessionEnded reports whether err says that the database never ran the
// statement: pgx sent nothing, or the server had ended the session
// (SQLSTATE class 57P: shutdown, terminated by an administrator) and so
// committed nothing of it. Such a write is safe to send again.
func sessionEnded(err error) bool {
	var pgErr *pgconn.PgError
	return pgconn.SafeToRetry(err) || errors.As(err, &pgErr) && strings.HasPrefix(pgErr.Code, "57P")
}

// aborted reports whether the database rolled the transaction back to
// resolve a conflict with another (deadlock detected, serialization
// failure): nothing was committed and trying again is safe.
func aborted(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}
