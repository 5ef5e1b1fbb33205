package postgres_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/storage/postgres"
)

// Two processes whose transactions touch the same keys in crossing orders
// (one puts a and deletes b, the other puts b and deletes a) never
// deadlock in PostgreSQL, and every call succeeds.
func TestCrossingWritesFromTwoProcessesDoNotDeadlock(t *testing.T) {
	a, dsn := open(t, postgres.Options{})
	b, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	put := func(k string) storage.Op { return storage.Op{Kind: storage.OpPut, Key: k, Value: []byte("v")} }
	del := func(k string) storage.Op { return storage.Op{Kind: storage.OpDelete, Key: k} }
	var wg sync.WaitGroup
	for w := range 4 {
		for _, side := range []struct {
			db          *postgres.DB
			mine, their string
		}{{a, "a", "b"}, {b, "b", "a"}} {
			wg.Go(func() {
				for i := range 40 {
					own := fmt.Sprintf("%s/%d/%d", side.mine, w, i)
					if err := side.db.Transaction(ctx, []storage.Op{put(side.mine), put(own), del(side.their)}); err != nil {
						t.Errorf("transaction: %v", err)
						return
					}
					if err := side.db.Put(ctx, &storage.Entry{Key: side.their, Value: []byte("x")}); err != nil {
						t.Errorf("put: %v", err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	a.Close()
	b.Close()

	// The server counts deadlocks per database; a session's counts are
	// flushed when it ends, so wait for both processes' sessions to end.
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var others int
		conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()").Scan(&others)
		if others == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions still open 10s after Close", others)
		}
	}
	var deadlocks int
	if err := conn.QueryRow(ctx, "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()").Scan(&deadlocks); err != nil {
		t.Fatal(err)
	}
	if deadlocks != 0 {
		t.Errorf("PostgreSQL detected %d deadlocks between the two processes' commits", deadlocks)
	}
}
