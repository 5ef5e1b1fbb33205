package storage

import "context"

// The interfaces in this file are optional powers of a Backend, found by
// type assertion:
//
//	if d, ok := b.(storage.Dumper); ok { ... }
//
// A wrapper that embeds a Backend hides them unless it forwards them.

// Dumper is a Backend that can read every entry as of one point in time
// while writes go on: what snapshots and migrations read.
type Dumper interface {
	// Dump calls fn for every entry in byte order of keys, all taken from
	// one consistent state of the store: a transaction is seen whole or
	// not at all, and writes committed after Dump began are not seen. The
	// entry passed to fn is fn's to keep. An error from fn stops Dump and
	// is returned as it is.
	Dump(ctx context.Context, fn func(*Entry) error) error
}

// Change is what a Notifier delivers: the keys that commits put or
// deleted, or All when changes may have been missed (the notification
// channel was lost and has been re-established) and every cache must be
// dropped.
type Change struct {
	Keys []string
	All  bool
}

// Notifier is a Backend that several processes share and that tells each of
// them what any of them committed, so that caches over the store stay
// correct across processes.
type Notifier interface {
	// Changes returns a channel that receives the changes committed by
	// every process on the store, this one included, from the time Changes
	// returns until ctx is done; then the channel is closed. Changes that
	// arrive while the receiver is busy are merged into one Change, so a
	// slow receiver is never blocked on and never misses a key. A change
	// reaches every process after its commit returned, typically within
	// milliseconds.
	Changes(ctx context.Context) (<-chan Change, error)
}

// Locker is a Backend that several processes share and that can elect one
// of them to do work that must run once (expiry, scheduled rotation, tidy).
type Locker interface {
	// Lead blocks until this process holds the lock called name, or ctx is
	// done (its error is returned). It returns a context that is cancelled
	// when the lock is lost (the connection that holds it broke) or
	// released, and the function that releases it. The lock is not a
	// fence: between a holder losing its connection and noticing it, a
	// second holder may start, so work done under it must be safe to
	// repeat.
	Lead(ctx context.Context, name string) (held context.Context, release func(), err error)
}

// KeyLocker is a Backend that several processes share and that can
// serialize a read-modify-write of some keys across all of them: what keeps
// a KV check-and-set, a login lockout or a used TOTP step right when two
// servers handle the same secret or user at once.
type KeyLocker interface {
	// LockKeys blocks until this process holds the locks on every key of
	// keys, or ctx is done (its error is returned), and returns the
	// function that releases them (the release may complete after it
	// returns; a later LockKeys of the same keys waits for it, in this
	// process as in others). The locks are taken in one order that
	// every process shares, so two callers never deadlock; a caller holds
	// one LockKeys at a time. Locks on different keys may coincide (a
	// hash), which only costs waiting. Like Locker's, the lock is not a
	// fence: if the connection holding it breaks, another process may take
	// it before the holder notices.
	LockKeys(ctx context.Context, keys ...string) (unlock func(), err error)
}
