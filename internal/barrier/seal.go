package barrier

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/wardhq/ward/internal/shamir"
	"github.com/wardhq/ward/internal/storage"
)

// The barrier's own keys; see the package doc.
const (
	sealConfigKey    = "core/seal-config"
	systemRingKey    = "core/keyring"
	systemCounterKey = "core/counter/system"
)

// SealStatus is the barrier's state, safe to show to anyone.
type SealStatus struct {
	Initialized bool
	Sealed      bool
	Threshold   int    // shares needed to unseal
	Shares      int    // shares made by Init
	Progress    int    // shares given so far towards the threshold
	Term        uint32 // active term of the system keyring; 0 while sealed
	// InstallTime is when the active term was installed (by Init or a
	// rotation); zero while sealed, or when the term comes from a keyring
	// written before ward recorded install times.
	InstallTime time.Time
}

// sealConfig is stored in plaintext at core/seal-config.
type sealConfig struct {
	Shares    int `json:"shares"`
	Threshold int `json:"threshold"`
}

// readSealConfig returns nil, nil on a store without a barrier.
func (b *Barrier) readSealConfig(ctx context.Context) (*sealConfig, error) {
	e, err := b.inner.Get(ctx, sealConfigKey)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var c sealConfig
	if err := json.Unmarshal(e.Value, &c); err != nil || c.Threshold < 1 || c.Threshold > c.Shares || c.Shares > 255 {
		return nil, fmt.Errorf("barrier: malformed seal config at %q", sealConfigKey)
	}
	return &c, nil
}

// Initialized reports whether Init has run on the store.
func (b *Barrier) Initialized(ctx context.Context) (bool, error) {
	c, err := b.readSealConfig(ctx)
	return c != nil, err
}

// systemScope returns the scope of the system keyring, sealed by root.
func systemScope(root *termKey, b *Barrier) *scope {
	rr := rootRing(root)
	return &scope{
		whose:      "the system keyring",
		ringKey:    systemRingKey,
		counterKey: systemCounterKey,
		wrap: func(_ context.Context, key string, plain []byte) ([]byte, error) {
			return seal(b.random, rr.terms[0].aead, 0, key, plain)
		},
	}
}

// Init creates the root key and the system keyring (term 1), stores the
// keyring sealed by the root key, and returns the root key split into
// shares, any threshold of which unseal. The shares are not stored: lose
// them and the data is lost. The barrier stays sealed.
func (b *Barrier) Init(ctx context.Context, shares, threshold int) ([][]byte, error) {
	if shares < 1 || shares > 255 || threshold < 1 || threshold > shares {
		return nil, fmt.Errorf("barrier: %d shares with threshold %d: want 1..255 shares and a threshold of 1..shares", shares, threshold)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, storage.ErrClosed
	}
	if c, err := b.readSealConfig(ctx); err != nil {
		return nil, err
	} else if c != nil {
		return nil, ErrAlreadyInitialized
	}
	rootKey, err := b.randomKey()
	if err != nil {
		return nil, err
	}
	root, err := newTermKey(rootKey)
	if err != nil {
		return nil, err
	}
	defer clear(rootKey)
	key, err := b.randomKey()
	if err != nil {
		return nil, err
	}
	ring, err := (*keyring)(nil).addTerm(key, b.now())
	if err != nil {
		return nil, err
	}
	defer ring.zeroize()
	parts, err := shamir.Split(rootKey, shares, threshold)
	if err != nil {
		return nil, err
	}
	cfg, _ := json.Marshal(sealConfig{Shares: shares, Threshold: threshold})
	err = b.storeRing(ctx, systemScope(root, b), ring, []storage.Op{{Kind: storage.OpPut, Key: sealConfigKey, Value: cfg}})
	if err != nil {
		return nil, fmt.Errorf("barrier: storing the new keyring: %w", err)
	}
	return parts, nil
}

// Unseal adds one share. Shares at an x coordinate already given are
// ignored. At the threshold it combines them and opens the system keyring;
// if that fails the shares given so far are forgotten and the error wraps
// ErrBadShares. A malformed share is refused with ErrBadShares and the
// progress kept. On an unsealed barrier Unseal does nothing.
func (b *Barrier) Unseal(ctx context.Context, share []byte) (SealStatus, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return SealStatus{}, storage.ErrClosed
	}
	c, err := b.readSealConfig(ctx)
	if err != nil {
		return SealStatus{}, err
	}
	if c == nil {
		return SealStatus{}, ErrNotInitialized
	}
	if b.open != nil {
		return b.statusLocked(c), nil
	}
	if len(share) != keyLen+1 {
		return b.statusLocked(c), fmt.Errorf("%w: this share is %d bytes, init issues %d; check it was copied whole", ErrBadShares, len(share), keyLen+1)
	}
	if share[keyLen] == 0 {
		return b.statusLocked(c), fmt.Errorf("%w: this share is malformed (its last byte, the share number, is 0)", ErrBadShares)
	}
	for _, p := range b.pending {
		if p[keyLen] == share[keyLen] {
			return b.statusLocked(c), nil
		}
	}
	b.pending = append(b.pending, bytes.Clone(share))
	if len(b.pending) < c.Threshold {
		return b.statusLocked(c), nil
	}
	rootKey, err := shamir.Combine(b.pending)
	b.forgetSharesLocked()
	if err != nil {
		return b.statusLocked(c), fmt.Errorf("%w: %v", ErrBadShares, err)
	}
	if err := b.openLocked(ctx, rootKey); err != nil {
		clear(rootKey)
		return b.statusLocked(c), err
	}
	return b.statusLocked(c), nil
}

// openLocked opens the system keyring with rootKey, which it takes
// ownership of. b.mu is held.
func (b *Barrier) openLocked(ctx context.Context, rootKey []byte) error {
	root, err := newTermKey(rootKey)
	if err != nil {
		return err
	}
	e, err := b.inner.Get(ctx, systemRingKey)
	if err != nil {
		return fmt.Errorf("barrier: reading the system keyring: %w", err)
	}
	plain, err := open(rootRing(root), "the root key", systemRingKey, e.Value)
	if errors.Is(err, ErrDecrypt) {
		return fmt.Errorf("%w: check that the shares come from this server's init", ErrBadShares)
	}
	if err != nil {
		return err
	}
	ring, err := parseKeyring(plain)
	clear(plain)
	if err != nil {
		return err
	}
	sys := systemScope(root, b)
	sys.ring.Store(ring)
	if err := sys.loadCounter(ctx, b.inner); err != nil {
		ring.zeroize()
		return err
	}
	b.open = &unsealed{root: root, system: sys}
	return nil
}

// Seal zeroizes every key in memory and forgets unseal progress; every
// data call returns ErrSealed until Unseal succeeds again.
func (b *Barrier) Seal() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sealLocked()
}

func (b *Barrier) sealLocked() {
	b.forgetSharesLocked()
	u := b.open
	if u == nil {
		return
	}
	b.open = nil
	clear(u.root.key)
	u.system.ring.Load().zeroize()
	u.envMu.Lock()
	defer u.envMu.Unlock()
	u.envs.Range(func(id, s any) bool {
		s.(*scope).ring.Load().zeroize()
		u.envs.Delete(id)
		return true
	})
}

// ResetUnseal forgets the shares given so far.
func (b *Barrier) ResetUnseal() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.forgetSharesLocked()
}

func (b *Barrier) forgetSharesLocked() {
	for _, p := range b.pending {
		clear(p)
	}
	b.pending = nil
}

// Status reports whether the barrier is initialized and sealed, and the
// unseal progress.
func (b *Barrier) Status(ctx context.Context) (SealStatus, error) {
	c, err := b.readSealConfig(ctx)
	if err != nil {
		return SealStatus{}, err
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.statusLocked(c), nil
}

// statusLocked builds the status from the seal config c (nil before Init);
// b.mu is held.
func (b *Barrier) statusLocked(c *sealConfig) SealStatus {
	st := SealStatus{Sealed: b.open == nil, Progress: len(b.pending)}
	if c != nil {
		st.Initialized, st.Threshold, st.Shares = true, c.Threshold, c.Shares
	}
	if b.open != nil {
		ring := b.open.system.ring.Load()
		st.Term, st.InstallTime = ring.active, ring.installed()
	}
	return st
}
