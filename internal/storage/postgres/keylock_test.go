package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/storage/postgres"
)

// Key locks are held by one process at a time, leave other keys alone,
// lets its holder commit writes to the key it locks, and passes to a
// waiter when released.
func TestLockKeysAcrossProcesses(t *testing.T) {
	a, dsn := open(t, postgres.Options{})
	b, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	unlock, err := a.LockKeys(ctx, "env/1/kv/m/payments/api", "env/1/kv/m/payments/db")
	if err != nil {
		t.Fatal(err)
	}
	// The holder's own commit of the key does not wait on its lock.
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	err = a.Put(wctx, &storage.Entry{Key: "env/1/kv/m/payments/db", Value: []byte("x")})
	cancel()
	if err != nil {
		t.Fatalf("Put under the key's own lock: %v", err)
	}
	wctx, cancel = context.WithTimeout(ctx, 300*time.Millisecond)
	_, err = b.LockKeys(wctx, "env/1/kv/m/payments/db")
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("LockKey of a key another process holds = %v, want to wait until the deadline", err)
	}
	other, err := b.LockKeys(ctx, "env/1/kv/m/payments/stripe")
	if err != nil {
		t.Fatalf("LockKey of another key: %v", err)
	}
	other()

	got := make(chan error, 1)
	go func() {
		u, err := b.LockKeys(ctx, "env/1/kv/m/payments/db")
		if err == nil {
			u()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("the waiter got the lock while it was held: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	unlock()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiter did not get the lock after it was released")
	}
}
