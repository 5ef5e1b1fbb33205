package postgres

import (
	"context"
	"errors"
	"hash/fnv"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wardhq/ward/internal/storage"
)

// write is one Put, Delete or Transaction call waiting for commitLoop.
type write struct {
	ctx  context.Context
	ops  []storage.Op // validated, values copied
	done chan error   // receives the call's result, once
}

// Put stores a copy of e.Value at e.Key and returns once it is committed.
func (db *DB) Put(ctx context.Context, e *storage.Entry) error {
	return db.Transaction(ctx, []storage.Op{{Kind: storage.OpPut, Key: e.Key, Value: e.Value}})
}

// Delete removes key and returns once that is committed.
func (db *DB) Delete(ctx context.Context, key string) error {
	return db.Transaction(ctx, []storage.Op{{Kind: storage.OpDelete, Key: key}})
}

// Transaction applies ops all or none and returns once they are committed.
//
// A call whose ctx is cancelled before its group is sent is not applied and
// returns the context's error; once its group is being committed, it waits
// for the commit and reports its result.
func (db *DB) Transaction(ctx context.Context, ops []storage.Op) error {
	owned, err := storage.CheckOps(ops)
	if err != nil {
		return err
	}
	leave, err := db.enter(ctx)
	if err != nil {
		return err
	}
	defer leave()
	if len(ops) == 0 {
		return nil
	}
	w := &write{ctx: ctx, ops: owned, done: make(chan error, 1)}
	select {
	case db.writes <- w:
	case <-ctx.Done(): // the queue is full and the caller gave up: nothing applied
		return ctx.Err()
	}
	return <-w.done
}

// commitLoop is the one goroutine that writes. It takes the first waiting
// call and every other call already waiting (up to MaxBatch) and commits
// them in one PostgreSQL transaction; calls that arrive meanwhile wait for
// the next round. It returns when Close closes db.writes.
func (db *DB) commitLoop() {
	defer close(db.stopped)
	group := make([]*write, 0, db.opts.MaxBatch)
	for w := range db.writes {
		group = storage.Gather(db.writes, group, w, db.opts.MaxBatch)
		db.commit(group)
	}
}

// commit applies a group in one transaction and reports to each call. Calls
// whose context ended while they waited are answered with its error and
// left out. A group the database never ran (a cut connection) or rolled
// back (a deadlock) is sent once more; one it refused is tried call by
// call, so that one call the database refuses fails only itself. A
// connection lost after the group was sent leaves the outcome unknown; the
// callers get an error and must treat it as after a crash.
func (db *DB) commit(group []*write) {
	live := group[:0]
	for _, w := range group {
		if err := w.ctx.Err(); err != nil {
			w.done <- err
			continue
		}
		live = append(live, w)
	}
	if len(live) == 0 {
		return
	}
	db.cacheOps(live, (*readCache).hold)
	err := db.apply(live)
	switch {
	case err != nil && sessionEnded(err):
		// Nothing was committed: once more, on fresh connections (see
		// retryRead).
		db.pool.Reset()
		err = db.apply(live)
	case err != nil && aborted(err):
		err = db.apply(live) // rolled back: once more
	}
	// Whatever the outcome, the keys may have changed: they are read from
	// the database from now on until read again.
	db.cacheOps(live, (*readCache).release)
	if err == nil {
		db.stats.commits.Add(1)
		db.stats.writes.Add(int64(len(live)))
		for _, w := range live {
			w.done <- nil
		}
		return
	}
	// The database refused the group: each call alone, so that one bad
	// call fails only itself. Any other error (the connection broke
	// after the group was sent) leaves the outcome unknown, and sending
	// the calls again could undo a later write of another server: report
	// it to every call.
	var pgErr *pgconn.PgError
	if len(live) == 1 || !errors.As(err, &pgErr) {
		err = queryError(context.Background(), "commit", err)
		for _, w := range live {
			w.done <- err
		}
		return
	}
	for _, w := range live {
		db.commit([]*write{w})
	}
}

// cacheOps applies hold or release to the keys that calls write.
func (db *DB) cacheOps(calls []*write, f func(c *readCache, keys ...string)) {
	if db.cache == nil {
		return
	}
	for _, w := range calls {
		for _, op := range w.ops {
			f(db.cache, op.Key)
		}
	}
}

// apply commits the ops of calls in one transaction: the ops are merged in
// order (later ops on a key win, across calls as within one), then sent as
// the key locks, one upsert, one delete and the change notifications, in
// one round trip.
func (db *DB) apply(calls []*write) error {
	final := make(map[string]*storage.Op)
	var order []string
	for _, w := range calls {
		for i := range w.ops {
			op := &w.ops[i]
			if _, seen := final[op.Key]; !seen {
				order = append(order, op.Key)
			}
			final[op.Key] = op
		}
	}
	var putKeys, putValues, delKeys [][]byte
	for _, k := range order {
		op := final[k]
		if op.Kind == storage.OpPut {
			putKeys = append(putKeys, []byte(k))
			putValues = append(putValues, op.Value) // non-nil: CheckOps copied it
		} else {
			delKeys = append(delKeys, []byte(k))
		}
	}
	// The group's writers may have given up, but once it is sent it is
	// committed whole: a context detached from theirs, so that one
	// caller's cancellation cannot split a group, and bounded so that a
	// database that stopped answering fails the group instead of
	// stalling every writer.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(calls[0].ctx), db.opts.CommitTimeout)
	defer cancel()
	// One round trip: the statements go as one pipeline, which PostgreSQL
	// runs as one implicit transaction (all or nothing) and commits at its
	// end.
	//
	// Another server's group may touch the same keys. So that two groups
	// never wait for each other in a cycle (PostgreSQL would abort one as
	// deadlocked), each first takes a transaction advisory lock per key it
	// changes, in one order shared by every server (see keyLocks), before
	// it touches a row: two groups meet at their first common key and the
	// second waits there, holding nothing the first needs.
	b := &pgx.Batch{}
	b.Queue(`SELECT pg_advisory_xact_lock($1, h) FROM unnest($2::int4[]) AS h`, keyLockSpace, keyLocks(order))
	if len(putKeys) > 0 {
		b.Queue(`INSERT INTO ward_entries (key, value) SELECT * FROM unnest($1::bytea[], $2::bytea[])
			ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`, putKeys, putValues)
	}
	if len(delKeys) > 0 {
		b.Queue(`DELETE FROM ward_entries WHERE key = ANY($1::bytea[])`, delKeys)
	}
	// The notifications are sent inside the transaction, so they are
	// delivered if and only if it commits. The price: PostgreSQL holds its
	// notification queue lock from a notifying transaction's pre-commit
	// to its end, WAL flush included, so notifying commits take turns
	// database-wide. Within one server group commits take turns anyway;
	// across servers it bounds the total to one commit at a time.
	for _, payload := range changePayloads(order) {
		b.Queue(`SELECT pg_notify($1, $2)`, channel, payload)
	}
	return db.pool.SendBatch(ctx, b).Close()
}

// keyLockSpace is the first half of the two-int4 advisory lock keys that
// stand for storage keys while a group commits ("ward" in ASCII). The
// two-int4 locks are apart from the one-bigint locks of Lead and the
// schema.
const keyLockSpace = 0x77617264

// keyLockID is the second half of key's advisory lock key, in keyLockSpace
// and heldLockSpace alike: a 32-bit hash.
func keyLockID(key string) int32 {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int32(h.Sum32())
}

// keyLocks returns the lock numbers of keys: a 32-bit hash of each, without
// duplicates, in ascending order, the order in which every server takes
// them. Two keys with the same hash share a lock, which only serializes
// their groups.
func keyLocks(keys []string) []int32 {
	locks := make([]int32, 0, len(keys))
	for _, k := range keys {
		locks = append(locks, keyLockID(k))
	}
	slices.Sort(locks)
	return slices.Compact(locks)
}
