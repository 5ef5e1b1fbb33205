package storagetest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/wardhq/ward/internal/storage"
)

// rounds is how many transactions each atomicity writer commits; readers
// check every state they see until the writer is done.
const rounds = 100

func (s suite) testConcurrency(t *testing.T) {
	t.Run("ReadersSeeWholeTransactions", s.testPairAtomic)
	t.Run("ListSeesWholeTransactions", s.testMoveAtomic)
	t.Run("ManyWritersAndReaders", s.testManyWriters)
}

// testPairAtomic has a writer set "pair/a" and "pair/b" to the same
// increasing counter in each transaction, while readers Get them one after
// the other. A reader that reads a then b must see b >= a, and one that reads
// b then a must see a >= b; a driver that applies the two puts separately lets
// some reader see the first without the second.
func (s suite) testPairAtomic(t *testing.T) {
	ctx := context.Background()
	b := s.fresh(t)
	if err := b.Transaction(ctx, []storage.Op{putOp("pair/a", "0"), putOp("pair/b", "0")}); err != nil {
		t.Fatal(err)
	}
	read := func(key string) (int, error) {
		e, err := b.Get(ctx, key)
		if err != nil {
			return 0, err
		}
		return strconv.Atoi(string(e.Value))
	}
	check := func(r int) bool {
		first, second := "pair/a", "pair/b"
		if r%2 == 1 {
			first, second = second, first
		}
		x, err := read(first)
		if err != nil {
			t.Errorf("Get(%q): %v", first, err)
			return false
		}
		y, err := read(second)
		if err != nil {
			t.Errorf("Get(%q): %v", second, err)
			return false
		}
		if y < x {
			t.Errorf("read %s=%d then %s=%d: saw part of a transaction", first, x, second, y)
			return false
		}
		return true
	}
	whileWriting(t, b, check, func(i int) []storage.Op {
		v := strconv.Itoa(i)
		return []storage.Op{putOp("pair/a", v), putOp("pair/b", v)}
	})
}

// testMoveAtomic has a writer move one key through "move/<n>" by deleting the
// old name and putting the new one in a transaction. Every List must see
// exactly one name.
func (s suite) testMoveAtomic(t *testing.T) {
	ctx := context.Background()
	b := s.fresh(t)
	name := func(i int) string { return fmt.Sprintf("move/%04d", i) }
	put(t, b, name(0), "v")
	check := func(int) bool {
		got, err := b.List(ctx, "move/")
		if err != nil {
			t.Errorf("List: %v", err)
			return false
		}
		if len(got) != 1 {
			t.Errorf("List(\"move/\") = %q during a move, want exactly one name", got)
			return false
		}
		return true
	}
	whileWriting(t, b, check, func(i int) []storage.Op {
		return []storage.Op{deleteOp(name(i - 1)), putOp(name(i), "v")}
	})
}

// whileWriting commits the transactions ops(1), ops(2), ... while four
// readers call check(reader) until the writer is done or check reports a
// failure. The writer commits at least rounds transactions and goes on
// (up to maxRounds) until the readers have made minChecks checks, so that a
// fast driver whose transactions leave a small window is watched long
// enough. Every other transaction has its ops reversed, so that either half
// applied first is caught.
func whileWriting(t *testing.T, b storage.Backend, check func(reader int) bool, ops func(i int) []storage.Op) {
	const minChecks, maxRounds = 20_000, 20_000
	done := make(chan struct{})
	var checks atomic.Int64
	var wg sync.WaitGroup
	for r := range 4 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if !check(r) {
					return
				}
				checks.Add(1)
			}
		})
	}
	for i := 1; i <= maxRounds && (i <= rounds || checks.Load() < minChecks); i++ {
		tx := ops(i)
		if i%2 == 0 {
			slices.Reverse(tx)
		}
		if err := b.Transaction(context.Background(), tx); err != nil {
			t.Errorf("Transaction: %v", err)
			break
		}
		if t.Failed() {
			break
		}
	}
	close(done)
	wg.Wait()
}

// testManyWriters runs writers on their own keys and on one shared key,
// and readers of everything, then checks that every write landed.
func (s suite) testManyWriters(t *testing.T) {
	const writers, perWriter = 16, 40
	ctx := context.Background()
	b := s.fresh(t)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				key := fmt.Sprintf("w/%02d/%03d", w, i)
				var err error
				switch i % 3 {
				case 0:
					err = b.Put(ctx, &storage.Entry{Key: key, Value: []byte(key)})
				case 1:
					err = b.Transaction(ctx, []storage.Op{putOp(key, key), putOp("shared", key)})
				case 2:
					err = b.Transaction(ctx, []storage.Op{putOp(key, key), putOp(key+"/gone", "x"), deleteOp(key + "/gone")})
				}
				if err != nil {
					t.Errorf("write %q: %v", key, err)
					return
				}
			}
		})
	}
	for r := range 4 {
		wg.Go(func() {
			for i := range perWriter {
				key := fmt.Sprintf("w/%02d/%03d", r, i)
				if e, err := b.Get(ctx, key); err == nil && string(e.Value) != key {
					t.Errorf("Get(%q) = %q while writing", key, e.Value)
				}
				if _, err := b.List(ctx, fmt.Sprintf("w/%02d/", (r+i)%writers)); err != nil {
					t.Errorf("List: %v", err)
				}
			}
		})
	}
	wg.Wait()
	want := make(map[string]string)
	for w := range writers {
		for i := range perWriter {
			key := fmt.Sprintf("w/%02d/%03d", w, i)
			want[key] = key
		}
	}
	got := snapshot(t, b)
	shared, ok := got["shared"]
	delete(got, "shared")
	if !ok || want[shared] != shared {
		t.Errorf("shared = %q, want one of the values written to it", shared)
	}
	if !maps.Equal(got, want) {
		t.Errorf("after concurrent writes: %d keys, want %d", len(got), len(want))
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%q = %q, want %q", k, got[k], v)
			}
		}
	}
}
