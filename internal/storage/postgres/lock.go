package postgres

import (
	"context"
	"hash/fnv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// lockKey maps a lock's name to the 64-bit key of a PostgreSQL advisory
// lock. The "ward/" prefix keeps ward's keys apart from other users of
// advisory locks in the same database (and from schemaLock, a constant).
func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("ward/" + name))
	return int64(h.Sum64())
}

// Lead implements storage.Locker with a session-level advisory lock held on
// a connection of its own. The lock is freed by PostgreSQL the moment that
// connection ends, so a holder that dies (kill -9, a lost machine once TCP
// notices) hands it to the next waiter without any timeout of ward's. The
// holder checks its connection every Options.LeaseCheck and cancels the
// returned context when it is gone.
func (db *DB) Lead(ctx context.Context, name string) (context.Context, func(), error) {
	leave, err := db.enter(ctx)
	if err != nil {
		return nil, nil, err
	}
	cfg := db.cfg.ConnConfig.Copy()
	leave()
	cfg.RuntimeParams["application_name"] = "ward-lock"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, nil, connectError(err)
	}
	// Blocks in the server until the lock is free; a cancelled ctx
	// cancels the query.
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockKey(name)); err != nil {
		conn.Close(context.Background())
		return nil, nil, queryError(ctx, "take lock "+name, err)
	}
	held, lost := context.WithCancel(context.Background())
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		defer lost()
		defer conn.Close(context.Background())
		t := db.opts.LeaseCheck
		for {
			select {
			case <-stop:
				uctx, cancel := context.WithTimeout(context.Background(), t)
				conn.Exec(uctx, "SELECT pg_advisory_unlock($1)", lockKey(name))
				cancel()
				return
			case <-db.stopped: // Close: the connection's end frees the lock
				return
			case <-time.After(t):
			}
			pctx, cancel := context.WithTimeout(context.Background(), t)
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				return
			}
		}
	}()
	var once sync.Once
	release := func() {
		once.Do(func() { close(stop) })
		<-stopped
	}
	return held, release, nil
}
