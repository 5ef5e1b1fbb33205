package storage

import (
	"context"
	"strings"
	"sync/atomic"
)

// Prefixed is a Backend that keeps every key of its caller under a fixed
// prefix of an inner Backend, so that a component can be handed "its" part of
// the store and nothing else. It keeps the Backend contract but for one
// clause: since the prefix is part of the inner key, the longest key a view
// accepts is MaxKeyLen less the prefix's length. Close ends the view, not
// the inner Backend.
type Prefixed struct {
	inner  Backend
	prefix string
	closed atomic.Bool
}

var (
	_ Backend = (*Prefixed)(nil)
	_ Viewer  = (*Prefixed)(nil)
)

// NewPrefixed returns a view of inner in which key k is stored as prefix+k.
// prefix should end in "/".
func NewPrefixed(inner Backend, prefix string) *Prefixed {
	return &Prefixed{inner: inner, prefix: prefix}
}

// check refuses calls after Close and keys the contract refuses.
func (p *Prefixed) check(key string) error {
	if p.closed.Load() {
		return ErrClosed
	}
	return CheckKey(key)
}

func (p *Prefixed) Get(ctx context.Context, key string) (*Entry, error) {
	return p.getFrom(ctx, p.inner, key)
}

// getFrom is Get through r, a Reader of the inner Backend.
func (p *Prefixed) getFrom(ctx context.Context, r Reader, key string) (*Entry, error) {
	if err := p.check(key); err != nil {
		return nil, err
	}
	e, err := r.Get(ctx, p.prefix+key)
	if err != nil {
		return nil, err
	}
	e.Key = strings.TrimPrefix(e.Key, p.prefix)
	return e, nil
}

// View runs fn in one view of the inner Backend, its keys under the
// prefix: one read transaction when the inner Backend is a Viewer, else
// each Get on its own (see View).
func (p *Prefixed) View(ctx context.Context, fn func(r Reader) error) error {
	if p.closed.Load() {
		return ErrClosed
	}
	return View(ctx, p.inner, func(r Reader) error { return fn(prefixedReader{p, r}) })
}

// prefixedReader reads the inner Backend's view r for p.
type prefixedReader struct {
	p *Prefixed
	r Reader
}

func (pr prefixedReader) Get(ctx context.Context, key string) (*Entry, error) {
	return pr.p.getFrom(ctx, pr.r, key)
}

func (p *Prefixed) Put(ctx context.Context, e *Entry) error {
	if err := p.check(e.Key); err != nil {
		return err
	}
	return p.inner.Put(ctx, &Entry{Key: p.prefix + e.Key, Value: e.Value})
}

func (p *Prefixed) Delete(ctx context.Context, key string) error {
	if err := p.check(key); err != nil {
		return err
	}
	return p.inner.Delete(ctx, p.prefix+key)
}

func (p *Prefixed) List(ctx context.Context, prefix string) ([]string, error) {
	if p.closed.Load() {
		return nil, ErrClosed
	}
	return p.inner.List(ctx, p.prefix+prefix)
}

func (p *Prefixed) Transaction(ctx context.Context, ops []Op) error {
	out := make([]Op, len(ops))
	for i, op := range ops {
		if err := p.check(op.Key); err != nil {
			return err
		}
		op.Key = p.prefix + op.Key
		out[i] = op
	}
	return p.inner.Transaction(ctx, out)
}

// Close ends the view: later calls return ErrClosed. The inner Backend
// belongs to whoever opened it and stays open.
func (p *Prefixed) Close() error {
	p.closed.Store(true)
	return nil
}

// PrefixKeyLocker returns l with prefix put before every key it locks, as
// Prefixed does for a Backend's keys; nil when l is nil.
func PrefixKeyLocker(l KeyLocker, prefix string) KeyLocker {
	if l == nil {
		return nil
	}
	return prefixedLocker{l, prefix}
}

type prefixedLocker struct {
	inner  KeyLocker
	prefix string
}

func (p prefixedLocker) LockKeys(ctx context.Context, keys ...string) (func(), error) {
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = p.prefix + k
	}
	return p.inner.LockKeys(ctx, full...)
}
