package barrier

import (
	"context"
	"errors"

	"github.com/wardhq/ward/internal/storage"
)

var _ storage.Viewer = (*Barrier)(nil)

// View runs fn in one view of the store underneath (one read transaction
// when it is a storage.Viewer), every Get decrypted as Get decrypts.
//
// An environment's keyring is read from the store the first time one of
// its values is: inside a read transaction that would take a second one,
// which a writer waiting between the two can deadlock. So a Get that
// needs a keyring not yet loaded ends the view, and fn runs again outside
// one, each Get on its own, loading the keyring; the next view finds it.
func (b *Barrier) View(ctx context.Context, fn func(r storage.Reader) error) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	u, err := b.unsealedRLocked()
	if err != nil {
		return err
	}
	err = storage.View(ctx, b.inner, func(r storage.Reader) error {
		return fn(&reader{b: b, u: u, inner: r, inView: true})
	})
	if errors.Is(err, errKeyringNotLoaded) {
		return fn(&reader{b: b, u: u, inner: b.inner})
	}
	return err
}

// errKeyringNotLoaded ends a view that needs a keyring not yet loaded.
var errKeyringNotLoaded = errors.New("barrier: the keyring is not loaded yet")

// reader reads and decrypts values from inner, a reader of the store
// underneath; b.mu is held for reading while it is used.
type reader struct {
	b     *Barrier
	u     *unsealed
	inner storage.Reader
	// inView: inner is a read transaction, in which a keyring must not be
	// loaded (see View).
	inView bool
}

func (r *reader) Get(ctx context.Context, key string) (*storage.Entry, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	e, err := r.inner.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	s, err := r.scope(ctx, key)
	if err != nil {
		return nil, err
	}
	// The store's copy is ours (storage.Backend's Get): decrypted in place.
	plain, err := openInPlace(s.ring.Load(), s.whose, key, e.Value)
	if err != nil {
		return nil, err
	}
	e.Key, e.Value = key, plain
	return e, nil
}

// scope is scopeFor, refusing in a view to load a keyring.
func (r *reader) scope(ctx context.Context, key string) (*scope, error) {
	if r.inView {
		if id, ok := r.b.keyringOf(key); ok {
			if s, ok := r.u.env(id); ok {
				return s, nil
			}
			return nil, errKeyringNotLoaded
		}
	}
	return r.b.scopeFor(ctx, r.u, key)
}
