package postgres

import (
	"context"
	"sync"
	"time"
)

// heldLockSpace is the first half of the two-int4 advisory lock key of
// every LockKeys lock ("warh" in ASCII). It differs from keyLockSpace, the
// locks a group commit takes on the keys it writes: a process that holds
// the LockKey lock of a key and then commits a write to it must not wait
// on itself.
const heldLockSpace = 0x77617268

// keyLockConns is the size of the pool that holds key locks. A LockKeys
// holds a connection from the time it is taken until it is released, so
// these connections are apart from the pool that reads and commits: a
// holder then always finds a connection for its read and its commit.
const keyLockConns = 8

// LockKeys implements storage.KeyLocker with session-level advisory locks,
// taken in ascending order of their numbers, on a connection of a small
// pool of its own. If releasing fails (the connection broke, which already
// freed the locks in PostgreSQL), the connection is closed rather than
// given back, so no pooled connection ever holds a stale lock.
func (db *DB) LockKeys(ctx context.Context, keys ...string) (func(), error) {
	leave, err := db.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer leave()
	c, err := db.keyLocks.Acquire(ctx)
	if err != nil {
		return nil, queryError(ctx, "take a key lock", err)
	}
	if _, err := c.Exec(ctx, "SELECT pg_advisory_lock($1, h) FROM unnest($2::int4[]) AS h", int32(heldLockSpace), keyLocks(keys)); err != nil {
		c.Hijack().Close(context.Background())
		return nil, queryError(ctx, "take a key lock", err)
	}
	// Until unlock, Get of these keys reads the database: the previous
	// holder, on any server, has committed, but its notification may not
	// have reached this server's read cache yet.
	if db.cache != nil {
		db.cache.hold(keys...)
	}
	// The unlock is sent without waiting for its answer, which would add
	// a round trip to every locked write; a caller that locks again
	// waits in PostgreSQL until it has landed.
	var once sync.Once
	unlock := func() {
		once.Do(func() {
			if db.cache != nil {
				db.cache.release(keys...)
			}
			go func() {
				uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				if _, err := c.Exec(uctx, "SELECT pg_advisory_unlock_all()"); err != nil {
					c.Hijack().Close(context.Background())
					return
				}
				c.Release()
			}()
		})
	}
	return unlock, nil
}
