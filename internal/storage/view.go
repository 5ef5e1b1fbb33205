package storage

import "context"

// Reader reads single entries, with Backend.Get's contract.
type Reader interface {
	Get(ctx context.Context, key string) (*Entry, error)
}

// Viewer is a Backend that can run several reads in one read transaction:
// a read that needs two records (a secret's metadata, then the version it
// names) pays for one transaction, and sees the two as of one state.
type Viewer interface {
	// View calls fn with a Reader whose Gets keep Backend.Get's contract
	// and all see one consistent state of the store: a transaction is
	// seen whole or not at all. The Reader is valid only until fn
	// returns. fn must only read, through r: while it runs the view may
	// hold locks that a write, or another read of the same Backend,
	// waits on. fn may be called more than once (a wrapper may retry the
	// view after loading what it needs outside it), so it must return
	// r's errors (wrapped with %w is fine) and keep no effect of an
	// earlier call. View returns fn's error as it is.
	View(ctx context.Context, fn func(r Reader) error) error
}

// View runs fn in one read transaction of b when b is a Viewer. Otherwise
// fn reads b itself, each Get on its own: the same results when nothing
// is written meanwhile.
func View(ctx context.Context, b Backend, fn func(r Reader) error) error {
	if v, ok := b.(Viewer); ok {
		return v.View(ctx, fn)
	}
	return fn(b)
}
