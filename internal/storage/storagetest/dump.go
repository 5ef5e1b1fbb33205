package storagetest

import (
	"context"
	"errors"
	"maps"
	"strconv"
	"sync"
	"testing"

	"github.com/wardhq/ward/internal/storage"
)

// writePairs has a goroutine set keys a and z to the same increasing
// counter in each transaction until the returned stop is called.
func writePairs(t *testing.T, b storage.Backend, a, z string) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 1; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			v := strconv.Itoa(i)
			if err := b.Transaction(context.Background(), []storage.Op{putOp(a, v), putOp(z, v)}); err != nil {
				t.Errorf("Transaction: %v", err)
				return
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// RunDumper checks the storage.Dumper contract of the backends made by
// open, which must also be storage.Dumpers. It is separate from Run, since
// Dumper is optional.
func RunDumper(t *testing.T, open func(t *testing.T) storage.Backend) {
	s := suite{open: open}
	dumper := func(t *testing.T) (storage.Backend, storage.Dumper) { return freshAs[storage.Dumper](t, s) }
	t.Run("EveryEntryInOrder", func(t *testing.T) {
		b, d := dumper(t)
		want := map[string]string{}
		for _, k := range listKeys {
			put(t, b, k, "v:"+k)
			want[k] = "v:" + k
		}
		put(t, b, "empty", "")
		want["empty"] = ""
		got := map[string]string{}
		last := ""
		err := d.Dump(context.Background(), func(e *storage.Entry) error {
			if len(got) > 0 && e.Key <= last {
				t.Errorf("Dump gave %q after %q: not in byte order", e.Key, last)
			}
			if e.Value == nil {
				t.Errorf("Dump gave a nil value for %q", e.Key)
			}
			last = e.Key
			got[e.Key] = string(e.Value)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(got, want) {
			t.Errorf("Dump saw %d entries %q, want %d %q", len(got), got, len(want), want)
		}
	})
	t.Run("StopsOnError", func(t *testing.T) {
		b, d := dumper(t)
		put(t, b, "a", "1")
		put(t, b, "b", "2")
		stop := errors.New("stop")
		calls := 0
		err := d.Dump(context.Background(), func(*storage.Entry) error { calls++; return stop })
		if !errors.Is(err, stop) || calls != 1 {
			t.Errorf("Dump with fn failing = %v after %d calls, want fn's error after 1", err, calls)
		}
	})
	t.Run("OnePointInTime", func(t *testing.T) {
		// A writer sets "pair/a" and "pair/z" to the same counter in each
		// transaction, with filler keys between them, while dumps run:
		// every dump must see a == z.
		b, d := dumper(t)
		var ops []storage.Op
		for i := range 200 {
			ops = append(ops, putOp("pair/m"+strconv.Itoa(i), "filler"))
		}
		ops = append(ops, putOp("pair/a", "0"), putOp("pair/z", "0"))
		if err := b.Transaction(context.Background(), ops); err != nil {
			t.Fatal(err)
		}
		stop := writePairs(t, b, "pair/a", "pair/z")
		for range 30 {
			var a, z string
			err := d.Dump(context.Background(), func(e *storage.Entry) error {
				switch e.Key {
				case "pair/a":
					a = string(e.Value)
				case "pair/z":
					z = string(e.Value)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if a != z {
				t.Errorf("one dump saw pair/a=%s and pair/z=%s: not one point in time", a, z)
				break
			}
		}
		stop()
	})
	t.Run("AfterClose", func(t *testing.T) {
		b, d := dumper(t)
		b.Close()
		if err := d.Dump(context.Background(), func(*storage.Entry) error { return nil }); !errors.Is(err, storage.ErrClosed) {
			t.Errorf("Dump after Close = %v, want storage.ErrClosed", err)
		}
	})
}
