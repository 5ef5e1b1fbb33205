package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	bbolt "go.etcd.io/bbolt"

	"github.com/wardhq/ward/internal/storage"
)

// Get returns a copy of the entry at key, or storage.ErrNotFound.
func (db *DB) Get(ctx context.Context, key string) (*storage.Entry, error) {
	if err := storage.CheckKey(key); err != nil {
		return nil, err
	}
	var e *storage.Entry
	err := db.view(ctx, func(b *bbolt.Bucket) error {
		var err error
		e, err = getIn(b.Cursor(), key)
		return err
	})
	return e, err
}

// getIn returns a copy of the entry at key in c's bucket, or
// storage.ErrNotFound.
func getIn(c *bbolt.Cursor, key string) (*storage.Entry, error) {
	// Seek rather than b.Get: Get cannot tell an empty value from a
	// missing key.
	k, v := c.Seek([]byte(key))
	if k == nil || string(k) != key {
		return nil, storage.ErrNotFound
	}
	return &storage.Entry{Key: key, Value: append(make([]byte, 0, len(v)), v...)}, nil
}

var _ storage.Viewer = (*DB)(nil)

// View runs fn in one bbolt read transaction (see storage.Viewer). A
// damaged page met by a Get is that Get's error (wrapping ErrCorrupt); a
// panic of fn's own goes on as a panic once the transaction is rolled
// back, rather than being taken for a damaged file.
func (db *DB) View(ctx context.Context, fn func(r storage.Reader) error) error {
	var fnPanic any
	err := db.view(ctx, func(b *bbolt.Bucket) (err error) {
		defer func() {
			if p := recover(); p != nil {
				fnPanic = p
			}
		}()
		return fn(&txReader{path: db.path, c: b.Cursor()})
	})
	if fnPanic != nil {
		panic(fnPanic)
	}
	return err
}

// txReader reads one bbolt read transaction's bucket, with one cursor
// for all its Gets (a Seek reuses what the one before it allocated).
type txReader struct {
	path string
	c    *bbolt.Cursor
}

func (r *txReader) Get(ctx context.Context, key string) (*storage.Entry, error) {
	if err := storage.CheckKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var e *storage.Entry
	err := recoverCorrupt(r.path, func() error {
		var err error
		e, err = getIn(r.c, key)
		return err
	})
	return e, err
}

// List returns the names directly below prefix (see storage.Backend). It
// walks the keys under prefix in order with one cursor and, on reaching a
// folder, seeks past everything beneath it, so a folder of a million keys
// costs one seek.
func (db *DB) List(ctx context.Context, prefix string) ([]string, error) {
	var names []string
	err := db.view(ctx, func(b *bbolt.Bucket) error {
		var err error
		names, err = listNames(b.Cursor(), []byte(prefix))
		if err != nil {
			return corruptError(db.path, err)
		}
		return nil
	})
	return names, err
}

// listNames walks the keys under prefix from c. A key that does not sort
// after the one before it means the file is damaged; it would send the
// folder seeks round in a loop, so it is reported instead.
func listNames(c *bbolt.Cursor, prefix []byte) ([]string, error) {
	var names []string
	var last []byte
	k, _ := c.Seek(prefix)
	for k != nil && bytes.HasPrefix(k, prefix) {
		if last != nil && bytes.Compare(k, last) <= 0 {
			return nil, errOutOfOrder
		}
		last = append(last[:0], k...)
		name := k[len(prefix):]
		slash := bytes.IndexByte(name, '/')
		switch {
		case len(name) == 0: // the key equal to prefix is not listed
			k, _ = c.Next()
		case slash < 0:
			names = append(names, string(name))
			k, _ = c.Next()
		default:
			folder := name[:slash+1]
			names = append(names, string(folder))
			// Every key below prefix+folder sorts before the same
			// bytes with the final '/' raised to '0', the next byte.
			next := make([]byte, 0, len(prefix)+len(folder))
			next = append(append(next, prefix...), folder...)
			next[len(next)-1] = '/' + 1
			k, _ = c.Seek(next)
		}
	}
	return names, nil
}

var errOutOfOrder = errors.New("keys out of order")

// view runs fn in a bbolt read transaction on the entries bucket, after the
// checks every read shares.
func (db *DB) view(ctx context.Context, fn func(b *bbolt.Bucket) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return storage.ErrClosed
	}
	return db.recoverCorrupt(func() error {
		return db.bdb.View(func(tx *bbolt.Tx) error { return fn(tx.Bucket(bucket)) })
	})
}

// recoverCorrupt runs fn and turns a bbolt panic (bbolt panics on pages it
// cannot make sense of) or a memory fault (a damaged page pointing outside
// the file) into an error wrapping ErrCorrupt. bbolt rolls the transaction
// back before the panic reaches here.
func (db *DB) recoverCorrupt(fn func() error) error {
	return recoverCorrupt(db.path, fn)
}

func recoverCorrupt(path string, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			err = corruptError(path, fmt.Errorf("%v", p))
		}
	}()
	return fn()
}
