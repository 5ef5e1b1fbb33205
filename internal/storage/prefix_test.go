package storage_test

import (
	"context"
	"errors"
	"testing"

	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/storage/memory"
	"github.com/wardhq/ward/internal/storage/storagetest"
)

// A view keeps its keys under its prefix, sees nothing else, and ends at
// Close without closing the store under it.
func TestPrefixed(t *testing.T) {
	ctx := context.Background()
	inner := memory.New()
	inner.Put(ctx, &storage.Entry{Key: "other/x", Value: []byte("o")})
	v := storage.NewPrefixed(inner, "a/")
	if err := v.Put(ctx, &storage.Entry{Key: "k/1", Value: []byte("v")}); err != nil {
		t.Fatal(err)
	}
	if e, err := inner.Get(ctx, "a/k/1"); err != nil || string(e.Value) != "v" {
		t.Fatalf("inner key a/k/1: %v %v", e, err)
	}
	if e, err := v.Get(ctx, "k/1"); err != nil || e.Key != "k/1" {
		t.Fatalf("view Get: %+v %v", e, err)
	}
	if names, err := v.List(ctx, ""); err != nil || len(names) != 1 || names[0] != "k/" {
		t.Fatalf("view List: %v %v", names, err)
	}
	if _, err := v.Get(ctx, "../other/x"); err == nil {
		// "../other/x" is just a key under a/; it must not reach other/x.
		t.Fatal("the view reached outside its prefix")
	}
	if err := v.Transaction(ctx, []storage.Op{{Kind: storage.OpDelete, Key: "k/1"}, {Kind: storage.OpPut, Key: "k/2", Value: []byte("w")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := inner.Get(ctx, "a/k/2"); err != nil {
		t.Fatalf("transaction through the view: %v", err)
	}
	v.Close()
	if _, err := v.Get(ctx, "k/2"); !errors.Is(err, storage.ErrClosed) {
		t.Fatalf("Get after Close: %v", err)
	}
	if _, err := v.List(ctx, ""); !errors.Is(err, storage.ErrClosed) {
		t.Fatalf("List after Close: %v", err)
	}
	if _, err := inner.Get(ctx, "a/k/2"); err != nil {
		t.Fatalf("the inner store was closed with the view: %v", err)
	}
}

// A view of a Viewer is a Viewer: its reads share the inner one's
// transaction, under the prefix.
func TestPrefixedViewer(t *testing.T) {
	storagetest.RunViewer(t, func(t *testing.T) storage.Backend {
		return storage.NewPrefixed(memory.New(), "p/")
	})
}

// storage.View of a Backend that is not a Viewer reads it Get by Get.
func TestViewFallsBackToGets(t *testing.T) {
	ctx := context.Background()
	inner := memory.New()
	inner.Put(ctx, &storage.Entry{Key: "p/k", Value: []byte("v")})
	plain := struct{ storage.Backend }{inner} // hides memory's View
	var got string
	err := storage.View(ctx, storage.NewPrefixed(plain, "p/"), func(r storage.Reader) error {
		e, err := r.Get(ctx, "k")
		if err != nil {
			return err
		}
		got = e.Key + "=" + string(e.Value)
		_, err = r.Get(ctx, "missing")
		return err
	})
	if !errors.Is(err, storage.ErrNotFound) || got != "k=v" {
		t.Errorf("View over a plain Backend: read %q, then %v; want k=v, then storage.ErrNotFound", got, err)
	}
}
