package storagetest

import (
	"context"
	"errors"
	"testing"

	"github.com/wardhq/ward/internal/storage"
)

// testContext calls every method with a context already cancelled. The
// contract lets a driver either refuse (with the context's error) or
// complete the call; what it must not do is report one and do the other.
func (s suite) testContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b := s.fresh(t)
	put(t, b, "existing", "v")
	refusedOrDone := func(method string, err error, applied bool) {
		t.Helper()
		switch {
		case err == nil && !applied:
			t.Errorf("%s with a cancelled context returned nil but did not apply", method)
		case err != nil && !errors.Is(err, context.Canceled):
			t.Errorf("%s with a cancelled context = %v, want nil or an error wrapping context.Canceled", method, err)
		case err != nil && applied:
			t.Errorf("%s with a cancelled context = %v, but the change was applied", method, err)
		}
	}
	exists := func(key string) bool {
		_, err := b.Get(context.Background(), key)
		return err == nil
	}

	e, err := b.Get(ctx, "existing")
	refusedOrDone("Get", err, err == nil && e != nil && string(e.Value) == "v")
	names, err := b.List(ctx, "")
	refusedOrDone("List", err, err == nil && len(names) == 1)
	err = b.Put(ctx, &storage.Entry{Key: "put", Value: []byte("v")})
	refusedOrDone("Put", err, exists("put"))
	err = b.Transaction(ctx, []storage.Op{putOp("tx1", "v"), putOp("tx2", "v")})
	refusedOrDone("Transaction", err, exists("tx1"))
	if exists("tx1") != exists("tx2") {
		t.Errorf("Transaction with a cancelled context applied part of its ops")
	}
	err = b.Delete(ctx, "existing")
	refusedOrDone("Delete", err, !exists("existing"))
}

func (s suite) testClose(t *testing.T) {
	ctx := context.Background()
	b := s.fresh(t)
	put(t, b, "k", "v")
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	check := func(method string, err error) {
		t.Helper()
		if !errors.Is(err, storage.ErrClosed) {
			t.Errorf("%s after Close = %v, want an error wrapping storage.ErrClosed", method, err)
		}
	}
	_, err := b.Get(ctx, "k")
	check("Get", err)
	_, err = b.List(ctx, "")
	check("List", err)
	check("Put", b.Put(ctx, &storage.Entry{Key: "k", Value: []byte("v")}))
	check("Delete", b.Delete(ctx, "k"))
	check("Transaction", b.Transaction(ctx, []storage.Op{putOp("k", "v")}))
	if err := b.Close(); err != nil && !errors.Is(err, storage.ErrClosed) {
		t.Errorf("second Close = %v, want nil or storage.ErrClosed", err)
	}
}
