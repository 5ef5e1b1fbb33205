package dbengine

import (
	"crypto/rand"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/wardhq/ward/internal/lease"
	"github.com/wardhq/ward/internal/storage"
)

// Kind is the lease kind of the engine's credentials.
const Kind = "database"

// DefaultConnectTimeout bounds each connection attempt when
// Config.ConnectTimeout is 0.
const DefaultConnectTimeout = 5 * time.Second

// Config configures an Engine. Storage and Leases are required.
type Config struct {
	// Storage is the barrier; records go under env/<id>/database/, sealed
	// with each environment's key.
	Storage storage.Backend
	// Leases issues and ends the engine's leases; New registers the engine
	// with it as the Revoker of kind Kind.
	Leases *lease.Manager
	// Rand is the source of user names and passwords; nil means
	// crypto/rand.
	Rand io.Reader
	// ConnectTimeout bounds a connection attempt; 0 means 5 s.
	ConnectTimeout time.Duration
	Logger         *slog.Logger // nil: slog.Default()
}

// Engine is the database engine of every environment. It is safe for
// concurrent use; Close ends its connections.
type Engine struct {
	cfg   Config
	pools *pools

	locksMu sync.Mutex
	locks   map[string]*sync.Mutex // guarded by locksMu; see configLock
}

var (
	_ lease.Revoker = (*Engine)(nil)
	_ lease.Renewer = (*Engine)(nil)
)

// New returns the engine and registers it with cfg.Leases.
func New(cfg Config) *Engine {
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	e := &Engine{cfg: cfg, pools: newPools(), locks: map[string]*sync.Mutex{}}
	cfg.Leases.Register(Kind, e)
	return e
}

// Close closes every connection the engine holds.
func (e *Engine) Close() { e.pools.closeAll() }
