package bolt

import (
	"context"
	"errors"
	"fmt"
	"slices"

	bbolt "go.etcd.io/bbolt"
	bberrors "go.etcd.io/bbolt/errors"

	"github.com/wardhq/ward/internal/storage"
)

// write is one Put, Delete or Transaction call waiting for commitLoop.
type write struct {
	ctx  context.Context
	ops  []storage.Op // validated, values copied
	done chan error   // receives the call's result, once
}

// Put stores a copy of e.Value at e.Key and returns once it is on disk.
func (db *DB) Put(ctx context.Context, e *storage.Entry) error {
	return db.Transaction(ctx, []storage.Op{{Kind: storage.OpPut, Key: e.Key, Value: e.Value}})
}

// Delete removes key and returns once that is on disk.
func (db *DB) Delete(ctx context.Context, key string) error {
	return db.Transaction(ctx, []storage.Op{{Kind: storage.OpDelete, Key: key}})
}

// Transaction applies ops all or none and returns once they are on disk.
//
// A call whose ctx is cancelled before its group is committed is not applied
// and returns the context's error; once its group has started committing, it
// waits for the commit and reports its result.
func (db *DB) Transaction(ctx context.Context, ops []storage.Op) error {
	owned := make([]storage.Op, len(ops))
	for i, op := range ops {
		if err := storage.CheckKey(op.Key); err != nil {
			return err
		}
		if op.Kind != storage.OpPut && op.Kind != storage.OpDelete {
			return fmt.Errorf("%w: kind %d at index %d", storage.ErrInvalidOp, op.Kind, i)
		}
		owned[i] = storage.Op{Kind: op.Kind, Key: op.Key}
		if op.Kind == storage.OpPut {
			owned[i].Value = append(make([]byte, 0, len(op.Value)), op.Value...)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(ops) == 0 {
		return db.closedErr()
	}
	w := &write{ctx: ctx, ops: owned, done: make(chan error, 1)}
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return storage.ErrClosed
	}
	select {
	case db.writes <- w:
	case <-ctx.Done(): // the queue is full and the caller gave up: nothing applied
		return ctx.Err()
	}
	return <-w.done
}

func (db *DB) closedErr() error {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return storage.ErrClosed
	}
	return nil
}

// commitLoop is the one goroutine that writes. It takes the first waiting
// call, every other call already waiting (up to maxBatch), and commits them
// in one bbolt transaction; calls that arrive meanwhile wait for the next
// round. It returns when Close closes db.writes.
func (db *DB) commitLoop() {
	defer close(db.stopped)
	group := make([]*write, 0, db.maxBatch)
	for w := range db.writes {
		group = storage.Gather(db.writes, group, w, db.maxBatch)
		db.commit(group)
	}
}

// commit applies a group in one bbolt transaction and reports to each call.
// A call that fails while being applied gets its error and is taken out;
// the transaction is rolled back and the rest of the group tried again. An
// error from bbolt's commit (a failed write or fsync, the size cap) goes to
// every call of the group. After a failed fsync nobody can say whether the
// change reached the disk; the caller must treat it as unknown, as after a
// crash.
func (db *DB) commit(group []*write) {
	live := group[:0]
	for _, w := range group {
		if err := w.ctx.Err(); err != nil {
			w.done <- err
			continue
		}
		live = append(live, w)
	}
	for len(live) > 0 {
		failed, failure := -1, error(nil)
		err := db.recoverCorrupt(func() error {
			return db.bdb.Update(func(tx *bbolt.Tx) error {
				b := tx.Bucket(bucket)
				for i, w := range live {
					if err := db.apply(b, w.ops); err != nil {
						failed, failure = i, err
						return err
					}
				}
				return nil
			})
		})
		if failed >= 0 {
			live[failed].done <- failure
			live = slices.Delete(live, failed, failed+1)
			continue
		}
		switch {
		case errors.Is(err, bberrors.ErrMaxSizeReached):
			err = &fileError{path: db.path, what: "has reached its size cap (Options.MaxSize); raise the cap", kind: ErrFull, cause: err}
		case err != nil:
			err = fmt.Errorf("bolt: commit to data file %q: %w", db.path, err)
		default:
			db.stats.commits.Add(1)
			db.stats.writes.Add(int64(len(live)))
		}
		for _, w := range live {
			w.done <- err
		}
		return
	}
}

// apply makes one call's changes inside the group's transaction.
func (db *DB) apply(b *bbolt.Bucket, ops []storage.Op) error {
	if db.beforeApply != nil {
		if err := db.beforeApply(ops); err != nil {
			return err
		}
	}
	for _, op := range ops {
		var err error
		if op.Kind == storage.OpPut {
			err = b.Put([]byte(op.Key), op.Value)
		} else {
			err = b.Delete([]byte(op.Key))
		}
		if err != nil {
			return fmt.Errorf("bolt: write %q: %w", op.Key, err)
		}
	}
	return nil
}
