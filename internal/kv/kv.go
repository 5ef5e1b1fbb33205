// Package kv is the KV v2 engine behind each environment's mount: versioned
// JSON objects with metadata, soft delete, undelete, destroy, check-and-set
// and JSON merge patch, with HashiCorp Vault's KV v2 semantics.
//
//	e := kv.New(kv.Config{Storage: envView})
//	vm, err := e.Put(ctx, "payments/db", json.RawMessage(`{"password":"…"}`), kv.PutOptions{})
//	v, err := e.Get(ctx, "payments/db", 0)   // 0: the current version
//
// Storage layout, inside the Backend it is given (the environment's
// encrypted part of the store):
//
//	config                 the engine's configuration
//	m/PATH                 a secret's metadata and version history
//	v/PATH/0000000003      version 3's data
//
// Each version's data lives at its own key, so the barrier's additional data
// (the full storage key) binds a ciphertext to its path and version. Every
// write (new version, metadata, trimmed versions) is one storage
// transaction. Writers of one path are serialised by a striped lock; writers
// of different paths proceed in parallel.
package kv

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"github.com/wardhq/ward/internal/storage"
)

// Sentinel errors.
var (
	ErrNotFound     = errors.New("secret not found")
	ErrInvalidValue = errors.New("invalid secret value")
	ErrTooLarge     = errors.New("secret value too large")
	ErrCASRequired  = errors.New("check-and-set parameter required for this call")
	ErrBadVersion   = errors.New("invalid version")
	ErrBadPath      = errors.New("invalid secret path")
	ErrBadMetadata  = errors.New("invalid metadata")
)

// CASError is a check-and-set mismatch.
type CASError struct{ Expected, Current int }

func (e *CASError) Error() string {
	return fmt.Sprintf("check-and-set parameter did not match the current version (cas %d, current version %d)", e.Expected, e.Current)
}

// Defaults.
const (
	DefaultMaxVersions  = 10
	DefaultMaxValueSize = 1 << 20
	maxValueDepth       = 64
)

// Config configures an Engine. Zero values are the documented defaults.
type Config struct {
	Storage      storage.Backend  // this environment's part of the store
	Now          func() time.Time // nil: time.Now
	MaxValueSize int              // 0: DefaultMaxValueSize
}

// Engine is safe for concurrent use.
type Engine struct {
	cfg   Config
	locks [64]sync.Mutex // striped by path
}

// New returns an engine over cfg.Storage.
func New(cfg Config) *Engine {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxValueSize == 0 {
		cfg.MaxValueSize = DefaultMaxValueSize
	}
	return &Engine{cfg: cfg}
}

func (e *Engine) lock(path string) func() {
	h := fnv.New32a()
	h.Write([]byte(path))
	m := &e.locks[h.Sum32()%uint32(len(e.locks))]
	m.Lock()
	return m.Unlock
}

func (e *Engine) now() time.Time { return e.cfg.Now().UTC() }

// checkPath refuses paths the server should never have let through.
func checkPath(p string) error {
	if p == "" || p[0] == '/' || p[len(p)-1] == '/' {
		return fmt.Errorf("%w: a secret path is like payments/db, without leading or trailing '/'", ErrBadPath)
	}
	start := 0
	for i := 0; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			seg := p[start:i]
			if seg == "" || seg == "." || seg == ".." {
				return fmt.Errorf("%w: empty, '.' or '..' segment", ErrBadPath)
			}
			start = i + 1
		}
	}
	if len(p) > 512 {
		return fmt.Errorf("%w: longer than 512 bytes", ErrBadPath)
	}
	return nil
}

func metaKey(p string) string              { return "m/" + p }
func dataKey(p string, version int) string { return fmt.Sprintf("v/%s/%010d", p, version) }

const configKey = "config"

func (e *Engine) get(ctx context.Context, key string) ([]byte, error) {
	ent, err := e.cfg.Storage.Get(ctx, key)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return ent.Value, nil
}
