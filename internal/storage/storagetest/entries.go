package storagetest

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/storage"
)

// binaryValue holds every byte value, so a driver that treats values as text
// fails.
func binaryValue() []byte {
	v := make([]byte, 512)
	for i := range v {
		v[i] = byte(i)
	}
	return v
}

func (s suite) testGet(t *testing.T) {
	ctx := context.Background()
	t.Run("MissingIsErrNotFound", func(t *testing.T) {
		b := s.fresh(t)
		wantMissing(t, b, "never/written")
		put(t, b, "a/b", "x")
		wantMissing(t, b, "a") // a folder is not an entry
		wantMissing(t, b, "a/")
		wantMissing(t, b, "a/b/c")
	})
	t.Run("ReturnsKeyAndValue", func(t *testing.T) {
		b := s.fresh(t)
		put(t, b, "k", "v")
		wantValue(t, b, "k", "v")
	})
	t.Run("ValueIsCallersToModify", func(t *testing.T) {
		b := s.fresh(t)
		put(t, b, "k", "original")
		e, err := b.Get(ctx, "k")
		if err != nil {
			t.Fatal(err)
		}
		copy(e.Value, "XXXXXXXX")
		e.Value = append(e.Value, "more"...)
		wantValue(t, b, "k", "original")
	})
}

func (s suite) testPut(t *testing.T) {
	ctx := context.Background()
	t.Run("Overwrites", func(t *testing.T) {
		b := s.fresh(t)
		put(t, b, "k", "one")
		put(t, b, "k", "two")
		wantValue(t, b, "k", "two")
	})
	t.Run("StoresACopy", func(t *testing.T) {
		b := s.fresh(t)
		v := []byte("original")
		if err := b.Put(ctx, &storage.Entry{Key: "k", Value: v}); err != nil {
			t.Fatal(err)
		}
		copy(v, "XXXXXXXX")
		wantValue(t, b, "k", "original")
	})
	for _, tc := range []struct {
		name  string
		value []byte
	}{
		{"NilValueReadsBackEmpty", nil},
		{"EmptyValueReadsBackEmpty", []byte{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := s.fresh(t)
			if err := b.Put(ctx, &storage.Entry{Key: "empty", Value: tc.value}); err != nil {
				t.Fatal(err)
			}
			e, err := b.Get(ctx, "empty")
			if err != nil {
				t.Fatalf("Get of an empty value: %v", err)
			}
			if e.Value == nil || len(e.Value) != 0 {
				t.Errorf("Get of an empty value = %#v, want an empty non-nil slice", e.Value)
			}
			names, err := b.List(ctx, "")
			if err != nil || len(names) != 1 || names[0] != "empty" {
				t.Errorf("List(\"\") = %q, %v; want [\"empty\"]", names, err)
			}
		})
	}
	t.Run("BinaryValue", func(t *testing.T) {
		b := s.fresh(t)
		v := binaryValue()
		if err := b.Put(ctx, &storage.Entry{Key: "bin", Value: v}); err != nil {
			t.Fatal(err)
		}
		e, err := b.Get(ctx, "bin")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(e.Value, binaryValue()) {
			t.Errorf("binary value came back changed: % x", e.Value)
		}
	})
	t.Run("LargeValue", func(t *testing.T) {
		b := s.fresh(t)
		v := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB
		put(t, b, "large", v)
		wantValue(t, b, "large", v)
	})
	t.Run("LongestKey", func(t *testing.T) {
		b := s.fresh(t)
		ascii := strings.Repeat("k", storage.MaxKeyLen)
		multibyte := strings.Repeat("é", storage.MaxKeyLen/2) // 2 bytes each
		for _, k := range []string{ascii, multibyte} {
			put(t, b, k, "v")
			wantValue(t, b, k, "v")
		}
	})
}

func (s suite) testDelete(t *testing.T) {
	ctx := context.Background()
	t.Run("Removes", func(t *testing.T) {
		b := s.fresh(t)
		put(t, b, "k", "v")
		put(t, b, "k2", "v2")
		if err := b.Delete(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		wantMissing(t, b, "k")
		wantValue(t, b, "k2", "v2")
	})
	t.Run("MissingKeyIsNotAnError", func(t *testing.T) {
		b := s.fresh(t)
		if err := b.Delete(ctx, "never/written"); err != nil {
			t.Errorf("Delete of a missing key: %v, want nil", err)
		}
		put(t, b, "k", "v")
		for range 2 {
			if err := b.Delete(ctx, "k"); err != nil {
				t.Errorf("Delete: %v, want nil", err)
			}
		}
	})
	t.Run("FolderIsNotDeleted", func(t *testing.T) {
		b := s.fresh(t)
		put(t, b, "dir/k", "v")
		if err := b.Delete(ctx, "dir"); err != nil {
			t.Fatal(err)
		}
		if err := b.Delete(ctx, "dir/"); err != nil {
			t.Fatal(err)
		}
		wantValue(t, b, "dir/k", "v")
	})
}
