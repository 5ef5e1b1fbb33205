package barrier

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/wardhq/ward/internal/storage"
)

// Config configures a Barrier. Only Storage is required.
type Config struct {
	// Storage is the untrusted store underneath. The barrier does not
	// close it.
	Storage storage.Backend
	// Rand is the source of keys and nonces; nil means crypto/rand.
	Rand io.Reader
	// KeyringOf names the environment whose keyring seals the value at
	// key, with ok false for the system keyring. The caller owns its key
	// layout; the barrier only asks. It must be fast and pure: it is
	// called for every value. nil: every value uses the system keyring.
	KeyringOf func(key string) (envID string, ok bool)
	// Now is the clock that stamps a key term's install time; nil means
	// time.Now.
	Now func() time.Time
	// MaxEncryptionsPerTerm is how many values one key term encrypts
	// before the barrier rotates that keyring by itself; 0 means
	// DefaultMaxEncryptionsPerTerm.
	MaxEncryptionsPerTerm uint64
}

// DefaultMaxEncryptionsPerTerm is well below the 2^32 encryptions that
// random 96-bit GCM nonces allow under one key.
const DefaultMaxEncryptionsPerTerm = 1 << 30

// maxBlock bounds how many counts one reservation writes ahead: the most a
// crash can waste.
const maxBlock = 1 << 16

// Barrier is the encrypting view of a store. It starts sealed; all methods
// are safe for concurrent use.
type Barrier struct {
	inner     storage.Backend
	random    io.Reader
	keyringOf func(key string) (string, bool)
	now       func() time.Time
	max       uint64 // encryptions per term
	block     uint64 // counts reserved at a time

	mu      sync.RWMutex // data calls hold it for reading; state changes for writing
	open    *unsealed    // nil while sealed; guarded by mu
	pending [][]byte     // unseal shares given so far; guarded by mu
	closed  bool         // guarded by mu
}

var _ storage.Backend = (*Barrier)(nil)

// unsealed is what exists only while the barrier is unsealed.
type unsealed struct {
	root   *termKey // rewraps the system keyring on rotation
	system *scope

	envMu sync.Mutex // held while loading, creating or destroying an environment's keyring
	envs  sync.Map   // environment id → *scope, loaded keyrings; written under envMu
}

// env returns environment id's keyring if it is loaded. Reads take no lock:
// this is on the path of every value of an environment.
func (u *unsealed) env(id string) (*scope, bool) {
	s, ok := u.envs.Load(id)
	if !ok {
		return nil, false
	}
	return s.(*scope), true
}

// New returns a sealed barrier over cfg.Storage.
func New(cfg Config) *Barrier {
	b := &Barrier{inner: cfg.Storage, random: cfg.Rand, keyringOf: cfg.KeyringOf, now: cfg.Now, max: cfg.MaxEncryptionsPerTerm}
	if b.now == nil {
		b.now = time.Now
	}
	if b.keyringOf == nil {
		b.keyringOf = func(string) (string, bool) { return "", false }
	}
	if b.random == nil {
		b.random = rand.Reader
	}
	if b.max == 0 {
		b.max = DefaultMaxEncryptionsPerTerm
	}
	b.block = min(max(b.max/4, 1), maxBlock)
	return b
}

func (b *Barrier) randomKey() ([]byte, error) {
	key := make([]byte, keyLen)
	if _, err := io.ReadFull(b.random, key); err != nil {
		return nil, fmt.Errorf("barrier: reading a new key: %w", err)
	}
	return key, nil
}

// reservedPrefix holds the barrier's own keys.
const reservedPrefix = "core/"

// checkKey refuses keys the storage contract refuses and keys under core/.
func checkKey(key string) error {
	if err := storage.CheckKey(key); err != nil {
		return err
	}
	if strings.HasPrefix(key, reservedPrefix) {
		return fmt.Errorf("%w: %q", ErrReserved, key)
	}
	return nil
}

// unsealedRLocked returns the unsealed state or why there is none; b.mu is
// held for reading.
func (b *Barrier) unsealedRLocked() (*unsealed, error) {
	switch {
	case b.closed:
		return nil, storage.ErrClosed
	case b.open == nil:
		return nil, ErrSealed
	}
	return b.open, nil
}

// scopeFor returns the keyring scope that seals the value at key.
func (b *Barrier) scopeFor(ctx context.Context, u *unsealed, key string) (*scope, error) {
	id, ok := b.keyringOf(key)
	if !ok {
		return u.system, nil
	}
	return b.envScope(ctx, u, id)
}

// Get reads and decrypts the value at key.
func (b *Barrier) Get(ctx context.Context, key string) (*storage.Entry, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	u, err := b.unsealedRLocked()
	if err != nil {
		return nil, err
	}
	return (&reader{b: b, u: u, inner: b.inner}).Get(ctx, key)
}

// Put encrypts the value and stores it at key.
func (b *Barrier) Put(ctx context.Context, e *storage.Entry) error {
	return b.Transaction(ctx, []storage.Op{{Kind: storage.OpPut, Key: e.Key, Value: e.Value}})
}

// Delete removes the value at key.
func (b *Barrier) Delete(ctx context.Context, key string) error {
	return b.Transaction(ctx, []storage.Op{{Kind: storage.OpDelete, Key: key}})
}

// List passes through to the store: keys are not secret. It refuses
// prefixes under core/ and leaves core/ out of the names it returns.
func (b *Barrier) List(ctx context.Context, prefix string) ([]string, error) {
	if strings.HasPrefix(prefix, reservedPrefix) {
		return nil, fmt.Errorf("%w: %q", ErrReserved, prefix)
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if _, err := b.unsealedRLocked(); err != nil {
		return nil, err
	}
	names, err := b.inner.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	out := names[:0]
	for _, n := range names {
		if !strings.HasPrefix(prefix+n, reservedPrefix) {
			out = append(out, n)
		}
	}
	return out, nil
}

// Transaction encrypts each put and applies the ops atomically.
func (b *Barrier) Transaction(ctx context.Context, ops []storage.Op) error {
	for _, op := range ops {
		if err := checkKey(op.Key); err != nil {
			return err
		}
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	u, err := b.unsealedRLocked()
	if err != nil {
		return err
	}
	out := make([]storage.Op, len(ops))
	for i, op := range ops {
		out[i] = storage.Op{Kind: op.Kind, Key: op.Key}
		if op.Kind != storage.OpPut {
			continue
		}
		s, err := b.scopeFor(ctx, u, op.Key)
		if err != nil {
			return err
		}
		if out[i].Value, err = b.encrypt(ctx, s, op.Key, op.Value); err != nil {
			return err
		}
	}
	return b.inner.Transaction(ctx, out)
}

// Close seals the barrier for good: every later call returns
// storage.ErrClosed. The store underneath stays open.
func (b *Barrier) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sealLocked()
	b.closed = true
	return nil
}
