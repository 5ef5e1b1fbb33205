package postgres_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/storage/postgres"
)

// waitChange waits up to 1 s for a change that names key (or All).
func waitChange(t *testing.T, ch <-chan storage.Change, key string, wantAll bool) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := time.After(time.Second)
	for {
		select {
		case c, ok := <-ch:
			if !ok {
				t.Fatal("changes channel closed")
			}
			if c.All == wantAll && (wantAll || slices.Contains(c.Keys, key)) {
				return time.Since(start)
			}
		case <-deadline:
			t.Fatalf("no change naming %q (all=%v) within 1s", key, wantAll)
		}
	}
}

// A commit by one process reaches another process's subscribers within
// 1 s, naming the keys it put and deleted, whatever bytes they hold.
func TestChangesReachOtherProcesses(t *testing.T) {
	a, dsn := open(t, postgres.Options{})
	b, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	sctx, cancel := contextWithCancel()
	defer cancel()
	ch, err := b.Changes(sctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"auth/token/abc", "u/日本 x", "sys/policy/ci"} {
		if err := a.Put(ctx, &storage.Entry{Key: key, Value: []byte("v")}); err != nil {
			t.Fatal(err)
		}
		d := waitChange(t, ch, key, false)
		t.Logf("put of %q seen by the other process after %v", key, d)
	}
	if err := a.Delete(ctx, "auth/token/abc"); err != nil {
		t.Fatal(err)
	}
	waitChange(t, ch, "auth/token/abc", false)
	// A commit of many keys comes as All rather than as many payloads.
	var ops []storage.Op
	for i := range 2000 {
		ops = append(ops, storage.Op{Kind: storage.OpPut, Key: fmt.Sprintf("bulk/%04d/%s", i, strings.Repeat("x", 100)), Value: []byte("v")})
	}
	if err := a.Transaction(ctx, ops); err != nil {
		t.Fatal(err)
	}
	waitChange(t, ch, "", true)
	cancel()
	for range ch { // closed when the context ends
	}
}

// When the listening connection is lost, subscribers are told to drop
// everything once it is back, since changes may have been missed.
func TestChangesAfterALostConnectionSayAll(t *testing.T) {
	db, dsn := open(t, postgres.Options{})
	sctx, cancel := contextWithCancel()
	defer cancel()
	ch, err := db.Changes(sctx)
	if err != nil {
		t.Fatal(err)
	}
	sql(t, dsn, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'ward-listen' AND datname = current_database()")
	waitChange(t, ch, "", true)
	// And it listens again.
	if err := db.Put(ctx, &storage.Entry{Key: "after", Value: nil}); err != nil {
		t.Fatal(err)
	}
	waitChange(t, ch, "after", false)
}

// Close closes every subscriber's channel.
func TestChangesEndAtClose(t *testing.T) {
	db, _ := open(t, postgres.Options{})
	ch, err := db.Changes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	deadline := time.After(5 * time.Second)
	for open := true; open; {
		select {
		case _, open = <-ch:
		case <-deadline:
			t.Fatal("changes channel still open 5s after Close")
		}
	}
	if _, err := db.Changes(ctx); err == nil {
		t.Error("Changes after Close succeeded")
	}
}
