package storagetest

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/storage"
)

// invalidKeys are refused by every method that takes a key.
var invalidKeys = map[string]string{
	"Empty":   "",
	"TooLong": strings.Repeat("k", storage.MaxKeyLen+1),
	"NUL":     "a\x00b",
	"NULEnd":  "ab\x00",
}

func (s suite) testInvalidKey(t *testing.T) {
	ctx := context.Background()
	for name, key := range invalidKeys {
		t.Run(name, func(t *testing.T) {
			b := s.fresh(t)
			put(t, b, "keep", "v")
			put(t, b, "ab", "v") // what a driver that cuts at NUL would hit
			before := snapshot(t, b)
			check := func(method string, err error) {
				t.Helper()
				if !errors.Is(err, storage.ErrInvalidKey) {
					t.Errorf("%s with key of %d bytes = %v, want an error wrapping storage.ErrInvalidKey", method, len(key), err)
				}
			}
			_, err := b.Get(ctx, key)
			check("Get", err)
			check("Put", b.Put(ctx, &storage.Entry{Key: key, Value: []byte("x")}))
			check("Delete", b.Delete(ctx, key))
			check("Transaction put", b.Transaction(ctx, []storage.Op{{Kind: storage.OpPut, Key: key, Value: []byte("x")}}))
			check("Transaction delete", b.Transaction(ctx, []storage.Op{{Kind: storage.OpDelete, Key: key}}))
			if after := snapshot(t, b); !maps.Equal(before, after) {
				t.Errorf("store changed by refused calls: before %q, after %q", before, after)
			}
		})
	}
}
