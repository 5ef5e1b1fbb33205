package storagetest

import (
	"context"
	"errors"
	"testing"

	"github.com/wardhq/ward/internal/storage"
)

// RunViewer checks the storage.Viewer contract of the backends made by
// open, which must also be storage.Viewers. It is separate from Run, since
// Viewer is optional.
func RunViewer(t *testing.T, open func(t *testing.T) storage.Backend) {
	s := suite{open: open}
	viewer := func(t *testing.T) (storage.Backend, storage.Viewer) { return freshAs[storage.Viewer](t, s) }
	ctx := context.Background()
	t.Run("GetKeepsItsContract", func(t *testing.T) {
		b, v := viewer(t)
		put(t, b, "a", "1")
		put(t, b, "dir/b", "2")
		put(t, b, "empty", "")
		err := v.View(ctx, func(r storage.Reader) error {
			wantValue(t, r, "a", "1")
			wantValue(t, r, "dir/b", "2")
			wantMissing(t, r, "dir")
			wantMissing(t, r, "missing")
			e, err := r.Get(ctx, "empty")
			if err != nil || e.Value == nil || len(e.Value) != 0 {
				t.Errorf("Get(empty) in a view = %v, %v; want an empty, non-nil value", e, err)
			}
			e, err = r.Get(ctx, "a")
			if err != nil {
				return err
			}
			e.Value[0] = 'X' // the caller's to change
			wantValue(t, r, "a", "1")
			if _, err := r.Get(ctx, ""); !errors.Is(err, storage.ErrInvalidKey) {
				t.Errorf(`Get("") in a view = %v, want an error wrapping storage.ErrInvalidKey`, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		wantValue(t, b, "a", "1")
	})
	t.Run("ReturnsFnsError", func(t *testing.T) {
		_, v := viewer(t)
		stop := errors.New("stop")
		if err := v.View(ctx, func(storage.Reader) error { return stop }); err != stop {
			t.Errorf("View with fn failing = %v, want fn's error as it is", err)
		}
	})
	t.Run("OneState", func(t *testing.T) {
		// A writer sets "pair/a" and "pair/z" to the same counter in each
		// transaction while views read a, then z: every view must see
		// the two equal.
		b, v := viewer(t)
		if err := b.Transaction(ctx, []storage.Op{putOp("pair/a", "0"), putOp("pair/z", "0")}); err != nil {
			t.Fatal(err)
		}
		defer writePairs(t, b, "pair/a", "pair/z")()
		for range 200 {
			var a, z []byte
			err := v.View(ctx, func(r storage.Reader) error {
				ea, err := r.Get(ctx, "pair/a")
				if err != nil {
					return err
				}
				ez, err := r.Get(ctx, "pair/z")
				if err != nil {
					return err
				}
				a, z = ea.Value, ez.Value
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if string(a) != string(z) {
				t.Fatalf("one view read pair/a=%s and pair/z=%s: not one state", a, z)
			}
		}
	})
	t.Run("Context", func(t *testing.T) {
		b, v := viewer(t)
		put(t, b, "a", "1")
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		err := v.View(cancelled, func(r storage.Reader) error {
			_, err := r.Get(cancelled, "a")
			return err
		})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("View with a cancelled context = %v, want context.Canceled", err)
		}
	})
	t.Run("AfterClose", func(t *testing.T) {
		b, v := viewer(t)
		b.Close()
		err := v.View(ctx, func(r storage.Reader) error {
			_, err := r.Get(ctx, "a")
			return err
		})
		if !errors.Is(err, storage.ErrClosed) {
			t.Errorf("View after Close = %v, want storage.ErrClosed", err)
		}
	})
}
