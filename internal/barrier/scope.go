package barrier

import (
	"context"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/wardhq/ward/internal/storage"
)

// scope is one keyring in use: the system keyring or one environment's,
// with its encryption counter.
type scope struct {
	whose      string // for errors: "the system keyring", `environment "prod"'s keyring`
	ringKey    string // where the wrapped keyring is stored
	counterKey string // where the counter reservation is stored

	// wrap seals the keyring for storage at ringKey: with the root key for
	// the system keyring, with the system keyring for an environment's.
	wrap func(ctx context.Context, key string, plain []byte) ([]byte, error)

	ring atomic.Pointer[keyring] // replaced, never changed, under mu

	mu        sync.Mutex // held while counting, reserving and rotating
	used      uint64     // encryptions under the active term; guarded by mu
	reserved  uint64     // counts persisted as reserved; guarded by mu
	destroyed bool       // DestroyEnvKey ran; guarded by mu
}

// counterRecord is the persisted reservation: the term (uint32) and the
// count reserved up to (uint64), big-endian. Not secret.
func counterRecord(term uint32, reserved uint64) []byte {
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint32(nil, term), reserved)
}

// loadCounter starts the scope's count from its last reservation, so that
// counts used before a crash are never used again.
func (s *scope) loadCounter(ctx context.Context, inner storage.Backend) error {
	e, err := inner.Get(ctx, s.counterKey)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		s.used, s.reserved = 0, 0
		return nil
	case err != nil:
		return err
	case len(e.Value) != 12:
		return fmt.Errorf("barrier: malformed counter at %q", s.counterKey)
	}
	s.used, s.reserved = 0, 0
	if binary.BigEndian.Uint32(e.Value) == s.ring.Load().active {
		s.used = binary.BigEndian.Uint64(e.Value[4:])
		s.reserved = s.used
	}
	return nil
}

// next counts one encryption and returns the term and cipher to use,
// reserving counts and rotating the keyring when needed.
func (b *Barrier) next(ctx context.Context, s *scope) (uint32, cipher.AEAD, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.destroyed {
		return 0, nil, ErrNoEnvKey
	}
	if s.used >= b.max {
		if err := b.rotateLocked(ctx, s); err != nil {
			return 0, nil, err
		}
	}
	if s.used >= s.reserved {
		upto := min(s.used+b.block, b.max)
		rec := counterRecord(s.ring.Load().active, upto)
		if err := b.inner.Put(ctx, &storage.Entry{Key: s.counterKey, Value: rec}); err != nil {
			return 0, nil, fmt.Errorf("barrier: reserving encryption counts for %s: %w", s.whose, err)
		}
		s.reserved = upto
	}
	s.used++
	r := s.ring.Load()
	return r.active, r.terms[r.active].aead, nil
}

// rotateLocked adds a term to the scope's keyring, persists it together with
// a fresh counter reservation, and makes it active. s.mu is held.
func (b *Barrier) rotateLocked(ctx context.Context, s *scope) error {
	if s.destroyed {
		return ErrNoEnvKey
	}
	key, err := b.randomKey()
	if err != nil {
		return err
	}
	ring, err := s.ring.Load().addTerm(key, b.now())
	if err != nil {
		clear(key)
		return err
	}
	if err := b.storeRing(ctx, s, ring, nil); err != nil {
		clear(key)
		return fmt.Errorf("barrier: rotating %s: %w", s.whose, err)
	}
	s.ring.Store(ring)
	s.used, s.reserved = 0, min(b.block, b.max)
	return nil
}

// storeRing writes ring wrapped at s.ringKey, with a counter reservation of
// one block for its active term, and any extra ops, in one transaction.
func (b *Barrier) storeRing(ctx context.Context, s *scope, ring *keyring, extra []storage.Op) error {
	plain := ring.marshal()
	wrapped, err := s.wrap(ctx, s.ringKey, plain)
	clear(plain)
	if err != nil {
		return err
	}
	ops := append([]storage.Op{
		{Kind: storage.OpPut, Key: s.ringKey, Value: wrapped},
		{Kind: storage.OpPut, Key: s.counterKey, Value: counterRecord(ring.active, min(b.block, b.max))},
	}, extra...)
	return b.inner.Transaction(ctx, ops)
}

// encrypt seals plaintext for storage at key under the scope's active term.
func (b *Barrier) encrypt(ctx context.Context, s *scope, key string, plaintext []byte) ([]byte, error) {
	term, aead, err := b.next(ctx, s)
	if err != nil {
		return nil, err
	}
	return seal(b.random, aead, term, key, plaintext)
}

// decrypt opens a value stored at key with the scope's keyring.
func (b *Barrier) decrypt(s *scope, key string, value []byte) ([]byte, error) {
	return open(s.ring.Load(), s.whose, key, value)
}
