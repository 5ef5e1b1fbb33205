package bolt_test

import (
	"context"
	"errors"
	"testing"

	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/storage/bolt"
)

// A panic of View's fn is fn's, not a damaged file: it goes on as a panic,
// with the transaction rolled back, so the file can be closed and written.
func TestViewPanicIsNotCorruption(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t, bolt.Options{})
	defer db.Close()
	if err := db.Put(ctx, &storage.Entry{Key: "k", Value: []byte("v")}); err != nil {
		t.Fatal(err)
	}
	type bug struct{}
	got := func() (p any) {
		defer func() { p = recover() }()
		err := db.View(ctx, func(r storage.Reader) error {
			if _, err := r.Get(ctx, "k"); err != nil {
				return err
			}
			panic(bug{})
		})
		t.Errorf("View returned %v; want fn's panic", err)
		return nil
	}()
	if _, ok := got.(bug); !ok {
		t.Fatalf("View's panic = %v, want fn's own", got)
	}
	if err := db.Put(ctx, &storage.Entry{Key: "k", Value: []byte("w")}); err != nil {
		t.Fatalf("Put after fn panicked: %v", err)
	}
	if err := db.Close(); err != nil && !errors.Is(err, storage.ErrClosed) {
		t.Fatalf("Close after fn panicked: %v", err)
	}
}
