package postgres_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/storage/postgres"
	"github.com/wardhq/ward/internal/storage/storagetest"
)

// listening starts db's change feed, which turns its read cache on, as an
// unsealed vault does.
func listening(t testing.TB, db *postgres.DB) {
	t.Helper()
	sctx, cancel := contextWithCancel()
	t.Cleanup(cancel)
	ch, err := db.Changes(sctx)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for range ch {
		}
	}()
	waitFor(t, "the read cache to turn on", func() bool { return db.Stats().CacheOn })
}

// twoServers opens two processes' stores on one fresh database: a with
// opts and its change feed on, b with neither.
func twoServers(t testing.TB, opts postgres.Options) (a, b *postgres.DB, dsn string) {
	t.Helper()
	a, dsn = open(t, opts)
	listening(t, a)
	b, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return a, b, dsn
}

// waitFor polls cond until it holds, for at most 5 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 5s for %s", what)
		}
	}
}

func get(t testing.TB, db *postgres.DB, key string) string {
	t.Helper()
	e, err := db.Get(ctx, key)
	if errors.Is(err, storage.ErrNotFound) {
		return "<absent>"
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(e.Value)
}

func put(t testing.TB, db *postgres.DB, key, value string) {
	t.Helper()
	if err := db.Put(ctx, &storage.Entry{Key: key, Value: []byte(value)}); err != nil {
		t.Fatal(err)
	}
}

// The driver keeps the Backend contract with its read cache in use.
func TestConformanceCached(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		db, _ := open(t, postgres.Options{})
		listening(t, db)
		return db
	})
}

// A key read again is answered without a query; with the cache off every
// Get is a query.
func TestCacheAnswersRepeatedReads(t *testing.T) {
	for _, tc := range []struct {
		name   string
		bytes  int64
		listen bool
		cached bool
	}{
		{"feed on", 0, true, true},
		{"no feed", 0, false, false},
		{"cache off", -1, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, _ := open(t, postgres.Options{CacheBytes: tc.bytes})
			// Before the feed starts: its own notification, dropping k
			// once more, would cost one more query.
			put(t, db, "k", "v")
			if tc.listen {
				sctx, cancel := contextWithCancel()
				defer cancel()
				if _, err := db.Changes(sctx); err != nil {
					t.Fatal(err)
				}
				if tc.cached {
					waitFor(t, "the read cache to turn on", func() bool { return db.Stats().CacheOn })
				}
			}
			before := db.Stats().Reads
			for range 5 {
				if got := get(t, db, "k"); got != "v" {
					t.Fatalf("k = %q, want v", got)
				}
				if got := get(t, db, "missing"); got != "<absent>" {
					t.Fatalf("missing = %q", got)
				}
			}
			queries := db.Stats().Reads - before
			// An absent key is never cached: another server may
			// create it.
			want := int64(10)
			if tc.cached {
				want = 1 + 5
			}
			if queries != want {
				t.Errorf("5 Gets of a key and 5 of an absent one sent %d queries, want %d", queries, want)
			}
		})
	}
}

// A write is seen by the next Get of the server that made it, at once:
// the commit drops the key before the writer hears back, not when its
// notification comes round.
func TestCacheReadsYourWrites(t *testing.T) {
	db, _ := open(t, postgres.Options{})
	listening(t, db)
	for i := range 200 {
		want := fmt.Sprint(i)
		if i%3 == 2 {
			if err := db.Delete(ctx, "k"); err != nil {
				t.Fatal(err)
			}
			want = "<absent>"
		} else {
			put(t, db, "k", want)
		}
		if got := get(t, db, "k"); got != want {
			t.Fatalf("write %d: read back %q, want %q", i, got, want)
		}
		get(t, db, "k") // cached again before the next write
	}
}

// A write on another server reaches this server's cache through the
// change feed within 1 s, for a single key and for a commit of so many
// keys that its notification says "all".
func TestCacheFollowsTheOtherServer(t *testing.T) {
	a, b, _ := twoServers(t, postgres.Options{})
	var worst time.Duration
	for i := range 10 {
		want := fmt.Sprint(i)
		get(t, a, "k")
		get(t, a, "k") // cached
		put(t, b, "k", want)
		start := time.Now()
		waitFor(t, "the other server's write", func() bool { return get(t, a, "k") == want })
		worst = max(worst, time.Since(start))
	}
	if worst > time.Second {
		t.Errorf("another server's write took %v to be read, over 1s", worst)
	}
	t.Logf("another server's write read after at most %v", worst)

	get(t, a, "k")
	var ops []storage.Op
	for i := range 600 {
		ops = append(ops, storage.Op{Kind: storage.OpPut, Key: fmt.Sprintf("bulk/%04d/%s", i, strings.Repeat("x", 100)), Value: []byte("v")})
	}
	ops = append(ops, storage.Op{Kind: storage.OpPut, Key: "k", Value: []byte("bulk")})
	if err := b.Transaction(ctx, ops); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	waitFor(t, "the other server's large commit", func() bool { return get(t, a, "k") == "bulk" })
	if d := time.Since(start); d > time.Second {
		t.Errorf("another server's large commit took %v to be read, over 1s", d)
	}
}

// When the listening connection is killed, the cache is emptied and
// bypassed until the feed is back: writes of another server made while
// this one hears nothing are read at once, and the cache serves again
// once the feed listens.
func TestCacheIsBypassedWhileTheFeedIsDown(t *testing.T) {
	a, b, dsn := twoServers(t, postgres.WithReconnectDelay(postgres.Options{}, 2*time.Second))
	put(t, b, "k", "v0")
	get(t, a, "k")
	get(t, a, "k") // cached

	sql(t, dsn, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'ward-listen'")
	waitFor(t, "the feed to be found down", func() bool { return !a.Stats().CacheOn })
	down := time.Now()
	put(t, b, "k", "v1") // a notification a cannot hear
	if got := get(t, a, "k"); got != "v1" {
		t.Fatalf("after the feed went down, read %q, want v1: the cache was not emptied", got)
	}
	put(t, b, "k", "v2")
	if got := get(t, a, "k"); got != "v2" {
		t.Fatalf("while the feed was down, read %q, want v2: the cache was used", got)
	}
	if a.Stats().CacheOn {
		t.Logf("the feed came back before the checks ended (%v): the checks above may not have run while it was down", time.Since(down))
	}

	waitFor(t, "the feed to come back", func() bool { return a.Stats().CacheOn })
	if got := get(t, a, "k"); got != "v2" {
		t.Fatalf("after the feed came back, read %q, want v2", got)
	}
	hits := a.Stats().CacheHits
	get(t, a, "k")
	if a.Stats().CacheHits != hits+1 {
		t.Error("the cache is not used again after the feed came back")
	}
	put(t, b, "k", "v3")
	waitFor(t, "the other server's write after the feed came back", func() bool { return get(t, a, "k") == "v3" })
}

// Readers and writers of the same keys at once, on two servers: once the
// writes end and their notifications have arrived, every cached key holds
// the last value written, never one a reader fetched before an overwrite.
func TestCacheNeverKeepsAnOverwrittenValue(t *testing.T) {
	a, b, dsn := twoServers(t, postgres.Options{})
	const keys, rounds = 4, 150
	sctx, cancel := contextWithCancel()
	defer cancel()
	changes, err := a.Changes(sctx)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for r := range 6 {
		readers.Go(func() {
			for i := r; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				a.Get(ctx, fmt.Sprintf("k%d", i%keys))
			}
		})
	}
	var writers sync.WaitGroup
	for _, db := range []*postgres.DB{a, b} {
		writers.Go(func() {
			for i := range rounds {
				k := fmt.Sprintf("k%d", i%keys)
				if err := db.Put(ctx, &storage.Entry{Key: k, Value: []byte(fmt.Sprint(i))}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	writers.Wait()
	// Notifications arrive in commit order, and a's cache applies each
	// before its subscribers hear of it: once they hear of b's write of
	// "done", the cache has applied every write of b before it.
	put(t, b, "done", "yes")
	waitChange(t, changes, "done", false)
	close(stop)
	readers.Wait()
	for i := range keys {
		k := fmt.Sprintf("k%d", i)
		got := get(t, a, k)
		want := get(t, uncached(t, dsn), k)
		if got != want {
			t.Errorf("%s: cached %q, the database holds %q", k, got, want)
		}
	}
	if st := a.Stats(); st.CacheHits == 0 {
		t.Errorf("the readers never hit the cache (%+v): the test did not test it", st)
	}
}

// uncached opens the store without a read cache.
func uncached(t testing.TB, dsn string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(ctx, dsn, postgres.Options{CacheBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// A read-modify-write under LockKeys reads what the last holder wrote,
// even from another server whose notification has not arrived yet: two
// servers add to one counter under the key's lock, and no addition is
// lost.
func TestCacheReadsUnderKeyLocksAreCurrent(t *testing.T) {
	a, b, dsn := twoServers(t, postgres.Options{})
	listening(t, b)
	put(t, a, "counter", "0")
	const each = 150
	var wg sync.WaitGroup
	for _, db := range []*postgres.DB{a, b} {
		wg.Go(func() {
			for range each {
				unlock, err := db.LockKeys(ctx, "counter")
				if err != nil {
					t.Error(err)
					return
				}
				e, err := db.Get(ctx, "counter")
				if err != nil {
					unlock()
					t.Error(err)
					return
				}
				var n int
				fmt.Sscan(string(e.Value), &n)
				err = db.Put(ctx, &storage.Entry{Key: "counter", Value: []byte(fmt.Sprint(n + 1))})
				unlock()
				if err != nil {
					t.Error(err)
					return
				}
				db.Get(ctx, "counter") // cached again, as a reader would
			}
		})
	}
	wg.Wait()
	if got, want := get(t, uncached(t, dsn), "counter"), fmt.Sprint(2*each); got != want {
		t.Errorf("counter = %s after %d additions on two servers: additions were lost", got, 2*each)
	}
}
