package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/wardhq/ward/internal/storage"
)

// DefaultMaxVersions is how many versions of a secret are kept when neither
// the secret nor the engine sets MaxVersions.
const DefaultMaxVersions = 10

// DefaultMaxValueSize is the largest value accepted when
// Config.MaxValueSize is 0: 1 MiB.
const DefaultMaxValueSize = 1 << 20

// Config configures an Engine.
type Config struct {
	// Storage is this environment's (encrypted, prefixed) part of the
	// store. The engine must be its only writer in this process.
	Storage storage.Backend
	// Locker, when set, serializes each read-modify-write of a path with
	// those of other processes on the same store (other ward servers on
	// one PostgreSQL), over the keys of Storage. nil: this process is the
	// store's only writer.
	Locker storage.KeyLocker
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// MaxValueSize is the largest value in bytes; 0 means
	// DefaultMaxValueSize.
	MaxValueSize int
}

// EngineConfig is the mount-wide configuration (Vault's NAME/config).
type EngineConfig struct {
	MaxVersions        int           // 0: DefaultMaxVersions
	CASRequired        bool          // every write needs check-and-set
	DeleteVersionAfter time.Duration // 0: versions are never deleted by age
}

// Engine is one environment's KV v2 engine. It is safe for concurrent use.
type Engine struct {
	st      storage.Backend
	now     func() time.Time
	maxSize int
	locks   *pathLocks
	shared  storage.KeyLocker // nil: no other process writes

	cfgMu sync.Mutex
	cfg   *EngineConfig // guarded by cfgMu; nil until first read
}

// New returns the engine over cfg.Storage.
func New(cfg Config) *Engine {
	e := &Engine{st: cfg.Storage, now: cfg.Now, maxSize: cfg.MaxValueSize, locks: newPathLocks(), shared: cfg.Locker}
	if e.now == nil {
		e.now = time.Now
	}
	if e.maxSize <= 0 {
		e.maxSize = DefaultMaxValueSize
	}
	return e
}

// Config returns the engine configuration (zero values when never set).
func (e *Engine) Config(ctx context.Context) (EngineConfig, error) {
	e.cfgMu.Lock()
	defer e.cfgMu.Unlock()
	if e.cfg != nil {
		return *e.cfg, nil
	}
	var c EngineConfig
	ent, err := e.st.Get(ctx, configKey)
	switch {
	case errors.Is(err, storage.ErrNotFound):
	case err != nil:
		return EngineConfig{}, err
	default:
		if err := json.Unmarshal(ent.Value, &c); err != nil {
			return EngineConfig{}, fmt.Errorf("secrets: corrupt engine config record: %w", err)
		}
	}
	e.cfg = &c
	return c, nil
}

// ForgetConfig drops the cached engine configuration, so the next call
// reads it from storage: for when another process changed it.
func (e *Engine) ForgetConfig() {
	e.cfgMu.Lock()
	e.cfg = nil
	e.cfgMu.Unlock()
}

// SetConfig replaces the engine configuration. A lower MaxVersions takes
// effect for each secret at its next write.
func (e *Engine) SetConfig(ctx context.Context, c EngineConfig) error {
	if c.MaxVersions < 0 {
		return invalidMetadata("max_versions is %d; give 0 (the default, %d) or more", c.MaxVersions, DefaultMaxVersions)
	}
	if c.DeleteVersionAfter < 0 {
		return invalidMetadata("delete_version_after is negative; give 0s (never) or more")
	}
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	e.cfgMu.Lock()
	defer e.cfgMu.Unlock()
	if err := e.st.Put(ctx, &storage.Entry{Key: configKey, Value: b}); err != nil {
		return err
	}
	e.cfg = &c
	return nil
}

// loadMeta reads the metadata of p; ErrNotFound when there is none.
func (e *Engine) loadMeta(ctx context.Context, p string) (*storedMeta, error) {
	return loadMetaFrom(ctx, e.st, p)
}

// loadMetaFrom is loadMeta, reading through r.
func loadMetaFrom(ctx context.Context, r storage.Reader, p string) (*storedMeta, error) {
	b, err := readMetaRecord(ctx, r, p)
	if err != nil {
		return nil, err
	}
	return decodeMeta(b)
}

// readMetaRecord returns the metadata record of p, or ErrNotFound.
func readMetaRecord(ctx context.Context, r storage.Reader, p string) ([]byte, error) {
	ent, err := r.Get(ctx, metaKey(p))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("%w: no secret at %q", ErrNotFound, p)
	}
	if err != nil {
		return nil, err
	}
	return ent.Value, nil
}

func putMetaOp(p string, m *storedMeta) storage.Op {
	return storage.Op{Kind: storage.OpPut, Key: metaKey(p), Value: encodeMeta(m)}
}

// modify runs fn on the metadata of p under the path's lock and commits the
// metadata with the ops fn returns in one transaction; like Vault's delete,
// undelete and destroy it leaves UpdatedTime alone. A secret without
// metadata is not an error: modify does nothing, as Vault does for delete,
// undelete and destroy.
func (e *Engine) modify(ctx context.Context, p string, fn func(m *storedMeta, now time.Time) ([]storage.Op, error)) error {
	if err := CheckPath(p); err != nil {
		return err
	}
	unlock, err := e.lock(ctx, p)
	if err != nil {
		return err
	}
	defer unlock()
	m, err := e.loadMeta(ctx, p)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	now := e.now().UTC()
	ops, err := fn(m, now)
	if err != nil {
		return err
	}
	return e.st.Transaction(ctx, append(ops, putMetaOp(p, m)))
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
