package bolt_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/storage/bolt"
)

// stallFirstCommit makes the commit loop wait inside the first write call
// until release is closed, and returns once that call is being applied.
func stallFirstCommit(t *testing.T, db *bolt.DB, fail func(ops []storage.Op) error) (release chan struct{}, firstDone <-chan error) {
	t.Helper()
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	bolt.SetBeforeApply(db, func(ops []storage.Op) error {
		if ops[0].Key == "first" {
			once.Do(func() { close(entered) })
			<-release
		}
		return fail(ops)
	})
	done := make(chan error, 1)
	go func() { done <- db.Put(context.Background(), &storage.Entry{Key: "first", Value: []byte("v")}) }()
	<-entered
	return release, done
}

// queueWriters starts n Puts of w/<i> while the commit loop is stalled and
// returns once all of them are waiting for it.
func queueWriters(t *testing.T, db *bolt.DB, n int) []chan error {
	t.Helper()
	results := make([]chan error, n)
	for i := range n {
		results[i] = make(chan error, 1)
		go func() {
			results[i] <- db.Put(context.Background(), &storage.Entry{Key: fmt.Sprintf("w/%02d", i), Value: []byte("v")})
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for bolt.Queued(db) < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d writers queued", bolt.Queued(db), n)
		}
		time.Sleep(time.Millisecond) // waiting for goroutines to start, not timing the feature
	}
	return results
}

func TestGroupCommitSharesOneCommit(t *testing.T) {
	db := openTemp(t, bolt.Options{})
	t.Cleanup(func() { db.Close() })
	release, first := stallFirstCommit(t, db, func([]storage.Op) error { return nil })
	results := queueWriters(t, db, 15)
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		if err := <-r; err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	if got, want := db.Stats(), (bolt.Stats{Writes: 16, Commits: 2}); got != want {
		t.Errorf("Stats = %+v, want %+v: the 15 writers queued behind a commit should share the next one", got, want)
	}
}

func TestGroupCommitLimitedByMaxBatch(t *testing.T) {
	db := openTemp(t, bolt.Options{MaxBatch: 4})
	t.Cleanup(func() { db.Close() })
	release, first := stallFirstCommit(t, db, func([]storage.Op) error { return nil })
	results := queueWriters(t, db, 4) // the queue holds MaxBatch calls
	close(release)
	<-first
	for _, r := range results {
		if err := <-r; err != nil {
			t.Fatal(err)
		}
	}
	if got := db.Stats(); got.Writes != 5 || got.Commits != 2 {
		t.Errorf("Stats = %+v, want 5 writes in 2 commits", got)
	}
}

func TestGroupCommitFailingCallSparesTheOthers(t *testing.T) {
	errInjected := errors.New("injected")
	db := openTemp(t, bolt.Options{})
	t.Cleanup(func() { db.Close() })
	bad := map[string]bool{"w/03": true, "w/09": true}
	release, first := stallFirstCommit(t, db, func(ops []storage.Op) error {
		if bad[ops[0].Key] {
			return errInjected
		}
		return nil
	})
	results := queueWriters(t, db, 12)
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		key := fmt.Sprintf("w/%02d", i)
		err := <-r
		_, getErr := db.Get(context.Background(), key)
		switch {
		case bad[key] && !errors.Is(err, errInjected):
			t.Errorf("failing writer %s got %v, want its own error", key, err)
		case bad[key] && !errors.Is(getErr, storage.ErrNotFound):
			t.Errorf("failing writer %s was stored anyway (Get: %v)", key, getErr)
		case !bad[key] && err != nil:
			t.Errorf("writer %s failed with its group: %v", key, err)
		case !bad[key] && getErr != nil:
			t.Errorf("writer %s not stored: %v", key, getErr)
		}
	}
	if got := db.Stats(); got.Writes != 11 || got.Commits != 2 {
		t.Errorf("Stats = %+v, want the 10 good writers of the group in one commit after the first", got)
	}
}

func TestCancelledWhileQueuedIsNotApplied(t *testing.T) {
	db := openTemp(t, bolt.Options{})
	t.Cleanup(func() { db.Close() })
	release, first := stallFirstCommit(t, db, func([]storage.Op) error { return nil })
	ctx, cancel := context.WithCancel(context.Background())
	result := make(chan error, 1)
	go func() { result <- db.Put(ctx, &storage.Entry{Key: "cancelled", Value: []byte("v")}) }()
	for bolt.Queued(db) < 1 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	close(release)
	<-first
	if err := <-result; !errors.Is(err, context.Canceled) {
		t.Errorf("Put cancelled while queued = %v, want context.Canceled", err)
	}
	if _, err := db.Get(context.Background(), "cancelled"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Put cancelled while queued was applied (Get: %v)", err)
	}
}

func TestCloseWaitsForWritesInFlight(t *testing.T) {
	path := t.TempDir() + "/ward.db"
	db, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	release, first := stallFirstCommit(t, db, func([]storage.Op) error { return nil })
	results := queueWriters(t, db, 3)
	closed := make(chan error, 1)
	go func() { closed <- db.Close() }()
	close(release)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if err := <-first; err != nil {
		t.Errorf("write in flight during Close: %v", err)
	}
	for _, r := range results {
		if err := <-r; err != nil {
			t.Errorf("write queued before Close: %v", err)
		}
	}
	db, err = bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if names, err := db.List(context.Background(), "w/"); err != nil || len(names) != 3 {
		t.Errorf("after reopen List(\"w/\") = %q, %v; want the 3 writes queued before Close", names, err)
	}
}
