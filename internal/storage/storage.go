// Package storage is ward's one persistence interface: a sorted map of
// string keys to opaque byte values, with atomic multi-key transactions.
//
// Storage is untrusted and knows nothing of secrets: everything the vault
// writes through it has already been encrypted by the barrier. Drivers live
// in sub-packages (memory, bolt; postgres later) and every driver passes the
// shared conformance suite in storagetest:
//
//	func TestConformance(t *testing.T) {
//		storagetest.Run(t, func(t *testing.T) storage.Backend { return memory.New() })
//	}
package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrNotFound is returned by Get when no entry exists at the key.
var ErrNotFound = errors.New("storage: not found")

// ErrClosed is returned by every method after Close.
var ErrClosed = errors.New("storage: closed")

// ErrUnavailable is wrapped by the error of a call that failed because a
// store shared over the network (PostgreSQL) could not be reached: it is
// restarting, failing over or cut off. Nothing is wrong with the call;
// trying again once the store is back is the remedy, and a server answers
// it with 503 and Retry-After.
var ErrUnavailable = errors.New("storage: the database cannot be reached; try again shortly")

// MaxKeyLen is the longest key any driver must accept.
const MaxKeyLen = 1024

// Entry is one key and its value.
type Entry struct {
	Key   string
	Value []byte
}

// OpKind names what a transaction operation does.
type OpKind int

const (
	OpPut OpKind = iota + 1
	OpDelete
)

// Op is one operation inside a Transaction. For OpDelete, Value is ignored.
type Op struct {
	Kind  OpKind
	Key   string
	Value []byte
}

// Backend is the contract every storage driver keeps.
//
//   - Keys are non-empty UTF-8 strings of at most MaxKeyLen bytes that contain
//     no NUL byte; an invalid key is refused with an error wrapping ErrInvalidKey.
//   - Get returns ErrNotFound (test with errors.Is) when no entry exists; it
//     never returns a nil entry with a nil error. The returned Value is the
//     caller's to keep and modify.
//   - Put stores a copy of the value (the caller may reuse its slice). An empty
//     or nil value is stored and read back as an empty, non-nil slice.
//   - Delete of a missing key is not an error.
//   - List returns the names directly below prefix, relative to it, sorted by
//     byte order, with no duplicates. A name that has keys below it (a
//     "folder") is returned once, with a trailing "/", as in Vault. A key
//     exactly equal to prefix is not listed. An empty result is a nil or
//     empty slice and no error.
//   - Transaction applies every op or none; a reader never sees a part of it.
//     Later ops on the same key win.
//   - Once a Put, Delete or Transaction returns nil, the change is durable:
//     drivers that persist to disk have synced it (it survives kill -9 and
//     power loss). Concurrent writers may share one sync.
//   - All methods are safe for concurrent use. ctx cancellation may abort a
//     call that has not yet been applied; an applied change is never undone.
type Backend interface {
	Get(ctx context.Context, key string) (*Entry, error)
	Put(ctx context.Context, e *Entry) error
	Delete(ctx context.Context, key string) error
	List(ctx context.Context, prefix string) ([]string, error)
	Transaction(ctx context.Context, ops []Op) error
	Close() error
}

// ErrInvalidKey is wrapped by the error for a key the contract refuses.
var ErrInvalidKey = errors.New("storage: invalid key")

// CheckKey reports whether key satisfies the Backend key contract. Drivers
// call it at the top of every method that takes a key.
func CheckKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: empty", ErrInvalidKey)
	case len(key) > MaxKeyLen:
		return fmt.Errorf("%w: %d bytes, longer than %d", ErrInvalidKey, len(key), MaxKeyLen)
	case strings.IndexByte(key, 0) >= 0:
		return fmt.Errorf("%w: contains NUL", ErrInvalidKey)
	}
	return nil
}

// ErrInvalidOp is returned for a transaction op whose Kind is neither OpPut
// nor OpDelete.
var ErrInvalidOp = errors.New("storage: invalid transaction op")
