// Package storagetest is the conformance suite every storage.Backend driver
// runs. It checks each clause of the contract written on storage.Backend, one
// subtest per clause, so a failing driver is told which sentence it broke.
//
// A driver's test file needs one function:
//
//	func TestConformance(t *testing.T) {
//		storagetest.Run(t, func(t *testing.T) storage.Backend {
//			db, err := bolt.Open(filepath.Join(t.TempDir(), "ward.db"), bolt.Options{})
//			if err != nil {
//				t.Fatal(err)
//			}
//			return db
//		})
//	}
//
// open is called once per subtest and must return an empty backend; Run
// closes it when the subtest ends. Run the suite with -race: several clauses
// are about concurrent use.
package storagetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"testing"

	"github.com/wardhq/ward/internal/storage"
)

// Run checks that the backends made by open keep the storage.Backend
// contract.
func Run(t *testing.T, open func(t *testing.T) storage.Backend) {
	s := suite{open: open}
	t.Run("Get", s.testGet)
	t.Run("Put", s.testPut)
	t.Run("Delete", s.testDelete)
	t.Run("List", s.testList)
	t.Run("InvalidKey", s.testInvalidKey)
	t.Run("Transaction", s.testTransaction)
	t.Run("Concurrency", s.testConcurrency)
	t.Run("Context", s.testContext)
	t.Run("Close", s.testClose)
}

type suite struct {
	open func(t *testing.T) storage.Backend
}

// fresh opens an empty backend that is closed when t ends.
func (s suite) fresh(t *testing.T) storage.Backend {
	t.Helper()
	b := s.open(t)
	if b == nil {
		t.Fatal("open returned a nil backend")
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil && !errors.Is(err, storage.ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return b
}

// freshAs returns a fresh backend and the same backend as T, an optional
// interface the backends under test must implement (storage.Viewer,
// storage.Dumper).
func freshAs[T any](t *testing.T, s suite) (storage.Backend, T) {
	t.Helper()
	b := s.fresh(t)
	v, ok := b.(T)
	if !ok {
		t.Fatalf("%T is not a %v", b, reflect.TypeFor[T]())
	}
	return b, v
}

// put stores key=value and fails the test on error.
func put(t *testing.T, b storage.Backend, key, value string) {
	t.Helper()
	if err := b.Put(context.Background(), &storage.Entry{Key: key, Value: []byte(value)}); err != nil {
		t.Fatalf("Put(%s): %v", short(key), err)
	}
}

// wantValue checks that key holds exactly value.
func wantValue(t *testing.T, b storage.Reader, key, value string) {
	t.Helper()
	e, err := b.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%s): %v, want value %s", short(key), err, short(value))
	}
	if e == nil {
		t.Fatalf("Get(%s) returned a nil entry and a nil error", short(key))
	}
	if e.Key != key {
		t.Errorf("Get(%s).Key = %s", short(key), short(e.Key))
	}
	if string(e.Value) != value {
		t.Errorf("Get(%s) = %s, want %s", short(key), short(string(e.Value)), short(value))
	}
}

// wantMissing checks that Get(key) reports storage.ErrNotFound.
func wantMissing(t *testing.T, b storage.Reader, key string) {
	t.Helper()
	e, err := b.Get(context.Background(), key)
	if !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Get(%s) = %v, %v; want an error wrapping storage.ErrNotFound", short(key), e, err)
	}
}

// short quotes s for a failure message, cut to its first 40 bytes when
// longer (the suite's longest keys and values are 1 KiB and 1 MiB).
func short(s string) string {
	if len(s) <= 40 {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%q... (%d bytes)", s[:40], len(s))
}

// snapshot returns every key and value reachable by walking List from "".
// Keys ending in "/" are not reachable that way; tests that use snapshot do
// not write them.
func snapshot(t *testing.T, b storage.Backend) map[string]string {
	t.Helper()
	out := make(map[string]string)
	var walk func(prefix string)
	walk = func(prefix string) {
		names, err := b.List(context.Background(), prefix)
		if err != nil {
			t.Fatalf("List(%q): %v", prefix, err)
		}
		for _, n := range names {
			if n[len(n)-1] == '/' {
				walk(prefix + n) // a key ending in "/" is never listed, so never seen here
				continue
			}
			e, err := b.Get(context.Background(), prefix+n)
			if err != nil {
				t.Fatalf("Get(%q) of a listed key: %v", prefix+n, err)
			}
			out[prefix+n] = string(e.Value)
		}
	}
	walk("")
	return out
}
