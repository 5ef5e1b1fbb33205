package auth

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/wardhq/ward/internal/storage"
)

// Store keeps tokens. Its methods are safe for concurrent use: lookups run
// in parallel; changes are serialised by writeMu.
type Store struct {
	st         storage.Backend
	now        func() time.Time
	rand       io.Reader
	defaultTTL time.Duration
	maxTTL     time.Duration
	cache      *cache

	// writeMu is held by every method that changes storage, so that a
	// revocation sees every child that will ever be made of the tokens it
	// removes.
	writeMu sync.Mutex
	// loginMu is held shared by CreateLogin, so logins insert in parallel
	// and share storage commits, and exclusively by RevokeEnv, so that it
	// sees every token a login makes in the environment it removes.
	loginMu sync.RWMutex
}

// NewStore returns a Store over cfg.Storage.
func NewStore(cfg Config) (*Store, error) {
	if cfg.Storage == nil {
		return nil, errors.New("auth: Config.Storage is required")
	}
	if cfg.DefaultTTL < 0 || cfg.MaxTTL < 0 {
		return nil, errors.New("auth: Config.DefaultTTL and MaxTTL must not be negative")
	}
	s := &Store{
		st:         cfg.Storage,
		now:        cfg.Now,
		rand:       cfg.Rand,
		defaultTTL: cfg.DefaultTTL,
		maxTTL:     cfg.MaxTTL,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.maxTTL == 0 {
		s.maxTTL = defaultTTL
	}
	if s.defaultTTL == 0 {
		s.defaultTTL = min(defaultTTL, s.maxTTL)
	}
	size := cfg.CacheSize
	if size == 0 {
		size = defaultCacheSize
	}
	s.cache = newCache(size)
	return s, nil
}

func idKey(hash string) string             { return "id/" + hash }
func accessorKey(acc string) string        { return "accessor/" + acc }
func parentDir(parentHash string) string   { return "parent/" + parentHash + "/" }
func envDir(envID string) string           { return "env/" + envID + "/" }
func childKey(parentHash, h string) string { return parentDir(parentHash) + h }

// record is a token as stored under id/<hash>.
type record struct {
	Accessor       string            `json:"accessor"`
	Policies       []string          `json:"policies"`
	Env            string            `json:"env,omitempty"`
	EnvID          string            `json:"env_id,omitempty"`
	DisplayName    string            `json:"display_name"`
	Meta           map[string]string `json:"meta,omitempty"`
	Parent         string            `json:"parent,omitempty"`
	ParentHash     string            `json:"parent_hash,omitempty"`
	CreatedAt      time.Time         `json:"created_at"`
	ExpiresAt      time.Time         `json:"expires_at,omitzero"`
	LastRenewal    time.Time         `json:"last_renewal,omitzero"`
	TTL            time.Duration     `json:"ttl"`
	ExplicitMaxTTL time.Duration     `json:"explicit_max_ttl,omitempty"`
	Renewable      bool              `json:"renewable"`
}

func encode(t *Token) ([]byte, error) {
	return json.Marshal(record{
		Accessor: t.Accessor, Policies: t.Policies, Env: t.Env, EnvID: t.EnvID,
		DisplayName: t.DisplayName, Meta: t.Meta, Parent: t.Parent, ParentHash: t.parentHash,
		CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, LastRenewal: t.LastRenewal,
		TTL: t.TTL, ExplicitMaxTTL: t.ExplicitMaxTTL, Renewable: t.Renewable,
	})
}

// load reads the token stored under hash. A missing one is ErrInvalidToken;
// a damaged one is an error that names its key (a hash, not a token).
func (s *Store) load(ctx context.Context, hash string) (*Token, error) {
	e, err := s.st.Get(ctx, idKey(hash))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, ErrInvalidToken
	}
	if err != nil {
		return nil, err
	}
	var r record
	if err := json.Unmarshal(e.Value, &r); err != nil {
		return nil, fmt.Errorf("auth: token record %s is damaged: %w", idKey(hash), err)
	}
	return &Token{
		Accessor: r.Accessor, Policies: r.Policies, Env: r.Env, EnvID: r.EnvID,
		DisplayName: r.DisplayName, Meta: r.Meta, Parent: r.Parent,
		CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, LastRenewal: r.LastRenewal,
		TTL: r.TTL, ExplicitMaxTTL: r.ExplicitMaxTTL, Renewable: r.Renewable,
		hash: hash, parentHash: r.ParentHash,
	}, nil
}

// hashOfAccessor returns the hash an accessor stands for, or
// ErrInvalidToken.
func (s *Store) hashOfAccessor(ctx context.Context, acc string) (string, error) {
	e, err := s.st.Get(ctx, accessorKey(acc))
	if errors.Is(err, storage.ErrNotFound) {
		return "", ErrInvalidToken
	}
	if err != nil {
		return "", err
	}
	return string(e.Value), nil
}

// currentLocked re-reads t from storage, as the basis of a change, so that
// a stale or hand-made *Token cannot undo one. A token being revoked is
// ErrInvalidToken. Called with writeMu held.
func (s *Store) currentLocked(ctx context.Context, t *Token) (*Token, error) {
	h, err := s.hashOf(ctx, t)
	if err != nil {
		return nil, err
	}
	if s.cache.isRevoking(h) {
		return nil, ErrInvalidToken
	}
	return s.load(ctx, h)
}

// hashOf returns t's hash, from its accessor if t was made by the caller.
func (s *Store) hashOf(ctx context.Context, t *Token) (string, error) {
	switch {
	case t == nil:
		return "", ErrInvalidToken
	case t.hash != "":
		return t.hash, nil
	}
	return s.hashOfAccessor(ctx, t.Accessor)
}

// stamp is the time a change records: the wall clock only, so that a token
// fresh from a change and the same token read back from storage compare
// against the clock alike.
func (s *Store) stamp() time.Time { return s.now().Round(0) }
