package storagetest

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/storage"
)

func putOp(key, value string) storage.Op {
	return storage.Op{Kind: storage.OpPut, Key: key, Value: []byte(value)}
}

func deleteOp(key string) storage.Op { return storage.Op{Kind: storage.OpDelete, Key: key} }

func (s suite) testTransaction(t *testing.T) {
	ctx := context.Background()
	t.Run("AppliesAll", func(t *testing.T) {
		b := s.fresh(t)
		put(t, b, "old", "v")
		err := b.Transaction(ctx, []storage.Op{putOp("a", "1"), putOp("dir/b", "2"), deleteOp("old"), deleteOp("never")})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"a": "1", "dir/b": "2"}
		if got := snapshot(t, b); !maps.Equal(got, want) {
			t.Errorf("after transaction: %q, want %q", got, want)
		}
	})
	t.Run("Empty", func(t *testing.T) {
		b := s.fresh(t)
		for _, ops := range [][]storage.Op{nil, {}} {
			if err := b.Transaction(ctx, ops); err != nil {
				t.Errorf("Transaction(%v) = %v, want nil", ops, err)
			}
		}
	})
	t.Run("LaterOpsOnSameKeyWin", func(t *testing.T) {
		b := s.fresh(t)
		put(t, b, "deleted-then-put", "old")
		err := b.Transaction(ctx, []storage.Op{
			putOp("put-twice", "first"), putOp("put-twice", "second"),
			putOp("put-then-deleted", "x"), deleteOp("put-then-deleted"),
			deleteOp("deleted-then-put"), putOp("deleted-then-put", "new"),
		})
		if err != nil {
			t.Fatal(err)
		}
		wantValue(t, b, "put-twice", "second")
		wantMissing(t, b, "put-then-deleted")
		wantValue(t, b, "deleted-then-put", "new")
	})
	t.Run("StoresCopies", func(t *testing.T) {
		b := s.fresh(t)
		v := []byte("original")
		if err := b.Transaction(ctx, []storage.Op{{Kind: storage.OpPut, Key: "k", Value: v}}); err != nil {
			t.Fatal(err)
		}
		copy(v, "XXXXXXXX")
		wantValue(t, b, "k", "original")
	})
	t.Run("EmptyValue", func(t *testing.T) {
		b := s.fresh(t)
		if err := b.Transaction(ctx, []storage.Op{{Kind: storage.OpPut, Key: "k"}}); err != nil {
			t.Fatal(err)
		}
		e, err := b.Get(ctx, "k")
		if err != nil || e.Value == nil || len(e.Value) != 0 {
			t.Errorf("Get after a transaction put of nil = %#v, %v; want an empty non-nil value", e, err)
		}
	})
	refused := []struct {
		name    string
		wantErr error
		bad     storage.Op
	}{
		{"EmptyKey", storage.ErrInvalidKey, putOp("", "x")},
		{"NULKey", storage.ErrInvalidKey, deleteOp("a\x00")},
		{"TooLongKey", storage.ErrInvalidKey, putOp(strings.Repeat("k", storage.MaxKeyLen+1), "x")},
		{"ZeroKind", storage.ErrInvalidOp, storage.Op{Key: "k"}},
		{"UnknownKind", storage.ErrInvalidOp, storage.Op{Kind: 99, Key: "k"}},
	}
	for _, tc := range refused {
		for _, pos := range []string{"First", "Middle", "Last"} {
			t.Run("AllOrNothing/"+tc.name+"/"+pos, func(t *testing.T) {
				b := s.fresh(t)
				put(t, b, "a", "old-a")
				put(t, b, "b", "old-b")
				before := snapshot(t, b)
				good := []storage.Op{putOp("a", "new-a"), deleteOp("b"), putOp("c", "new-c")}
				var ops []storage.Op
				switch pos {
				case "First":
					ops = append([]storage.Op{tc.bad}, good...)
				case "Middle":
					ops = append(append(append(ops, good[:2]...), tc.bad), good[2:]...)
				case "Last":
					ops = append(good, tc.bad)
				}
				if err := b.Transaction(ctx, ops); !errors.Is(err, tc.wantErr) {
					t.Errorf("Transaction with a bad op = %v, want an error wrapping %v", err, tc.wantErr)
				}
				if after := snapshot(t, b); !maps.Equal(before, after) {
					t.Errorf("refused transaction changed the store: before %q, after %q", before, after)
				}
			})
		}
	}
}
