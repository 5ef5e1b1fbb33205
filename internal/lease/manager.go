package lease

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/wardhq/ward/internal/storage"
)

// Defaults of Config's zero values.
const (
	DefaultMaxPerToken    = 1000
	DefaultMaxPerIdentity = 1000
	DefaultMaxTTL         = 32 * 24 * time.Hour
	DefaultRetryBase      = 5 * time.Second
	DefaultRetryMax       = 10 * time.Minute
	DefaultConcurrency    = 16
)

// Config configures a Manager. Only Storage and Revokers are required.
type Config struct {
	// Storage is the barrier: records go under env/<id>/leases/, sealed
	// with each environment's key. Other writers there are other servers'
	// Managers, followed with Refresh and Reconcile (see the package doc).
	Storage storage.Backend
	// Revokers by Lease.Kind; Register adds more.
	Revokers map[string]Revoker
	// MaxPerToken and MaxPerIdentity cap live leases; 0 means the
	// defaults (1,000), negative means no cap.
	MaxPerToken, MaxPerIdentity int
	// MaxTTL caps every lease's life from issue; 0 means 32 days.
	MaxTTL time.Duration
	// RetryBase is the wait after a first failed revocation, doubled after
	// each further failure up to RetryMax; 0 means 5 s and 10 min.
	RetryBase, RetryMax time.Duration
	// Concurrency is how many revocations run at once; 0 means 16.
	Concurrency int
	// Now and After are the clock: nil means time.Now and time.After.
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
	// Rand is the source of lease ids; nil means crypto/rand.
	Rand   io.Reader
	Logger *slog.Logger // nil: slog.Default()
	// Notify, if set, is told of every lease that ends and every failed
	// revocation, so that the vault can audit what the scheduler does
	// outside any request. It is called outside the Manager's locks, from
	// the goroutine that revoked, and must not block for long.
	Notify func(Event)
}

// EventKind says what happened to a lease.
type EventKind string

const (
	EventRevoked      EventKind = "revoked"       // the credential was taken back and the lease deleted
	EventRevokeFailed EventKind = "revoke-failed" // the engine failed; the lease is kept and retried
)

// Event is what Config.Notify is told. Lease is a copy; Err is set for
// EventRevokeFailed and, like every revocation error, holds no secret.
type Event struct {
	Kind  EventKind
	Lease *Lease
	Err   error
}

func (m *Manager) notify(ev Event) {
	if m.cfg.Notify != nil {
		m.cfg.Notify(ev)
	}
}

// state is where a lease is in its life.
type state int

const (
	pending  state = iota // record written, engine creating the credential
	live                  // issued, not expired
	revoking              // a revocation is running
	failed                // a revocation failed; retried at Failure.NextAttempt
)

type entry struct {
	l     *Lease
	state state
	// doomed: a revocation (by token, prefix or environment) met the lease
	// while pending; Issue revokes it as soon as its credential is made.
	doomed bool
}

// Manager keeps the leases. It is safe for concurrent use.
type Manager struct {
	cfg Config

	revMu    sync.RWMutex
	revokers map[string]Revoker // guarded by revMu; by Lease.Kind

	mu         sync.Mutex
	leases     map[string]*entry              // guarded by mu; by lease id
	byToken    map[string]map[string]struct{} // guarded by mu; pending and live leases by token
	byIdentity map[string]map[string]struct{} // guarded by mu; the same by identity
	due        dueHeap                        // guarded by mu
	// reads counts the reads of stored records under way (Refresh,
	// Reconcile), and ended holds the leases this Manager ended while any
	// was: a read may have seen such a lease's record before its delete,
	// and must not bring it back. Both guarded by mu; ended is nil when no
	// read is under way.
	reads int
	ended map[string]struct{}

	wake chan struct{} // Run's nudge: something new may be due sooner
}

// New returns a Manager with no leases; Recover loads the stored ones.
func New(cfg Config) *Manager {
	if cfg.MaxPerToken == 0 {
		cfg.MaxPerToken = DefaultMaxPerToken
	}
	if cfg.MaxPerIdentity == 0 {
		cfg.MaxPerIdentity = DefaultMaxPerIdentity
	}
	if cfg.MaxTTL <= 0 {
		cfg.MaxTTL = DefaultMaxTTL
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = DefaultRetryBase
	}
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = DefaultRetryMax
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.After == nil {
		cfg.After = time.After
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	revokers := map[string]Revoker{}
	for k, r := range cfg.Revokers {
		revokers[k] = r
	}
	return &Manager{
		cfg:        cfg,
		revokers:   revokers,
		leases:     map[string]*entry{},
		byToken:    map[string]map[string]struct{}{},
		byIdentity: map[string]map[string]struct{}{},
		wake:       make(chan struct{}, 1),
	}
}

// Request asks Issue for a lease.
type Request struct {
	Env  Env
	Path string // the engine path that issues, e.g. "database/creds/app"
	Kind string // a key of Config.Revokers
	// Token is the caller's accessor; Identity who it stands for.
	Token, Identity string
	// TokenExpires is when the token expires (zero: never); no lease
	// outlives the token that got it.
	TokenExpires time.Time
	// TTL is the lease's life and renewal step; MaxTTL caps its life from
	// issue (0: Config.MaxTTL). A TTL above MaxTTL is capped with a warning.
	TTL, MaxTTL time.Duration
	Renewable   bool
	Data        json.RawMessage
}

func (m *Manager) now() time.Time { return m.cfg.Now().UTC().Round(0) }

// recordKey is where lease id's record is stored.
func recordKey(envID, rest string) string { return "env/" + envID + "/leases/" + rest }

func leaseKey(l *Lease) string { return recordKey(l.EnvID, strings.TrimPrefix(l.ID, l.Env+"/")) }

// Issue makes a lease for req and calls create, which makes the
// credential. Issue returns the lease and any warnings (a capped TTL).
//
// The lease's record is written while create runs, so that the storage
// sync overlaps the engine's work: create must call stored, and see it
// return nil, before it makes the credential permanent (before its
// COMMIT); if stored fails, create must undo and return that error. So a
// credential never exists without a durable lease that will take it back.
// If create fails, the record is deleted again and create's error
// returned. create must leave nothing behind when it fails, or, when it
// cannot know (the connection broke during a commit), return an error
// wrapping ErrMaybeCreated: the lease is then kept as a failed revocation,
// revoked at its first retry (after Config.RetryBase) and until that
// succeeds.
func (m *Manager) Issue(ctx context.Context, req Request, create func(ctx context.Context, l *Lease, stored func() error) error) (*Lease, []string, error) {
	l, warnings, err := m.newLease(req)
	if err != nil {
		return nil, nil, err
	}
	if err := m.reserve(l); err != nil {
		return nil, nil, err
	}
	done := make(chan error, 1)
	rec := l.clone()
	go func() { done <- m.store(ctx, rec) }()
	var storeErr error
	waited := false
	stored := func() error {
		if !waited {
			waited = true
			if storeErr = <-done; storeErr != nil {
				storeErr = fmt.Errorf("storing lease %q: %w", l.ID, storeErr)
			}
		}
		return storeErr
	}
	err = create(ctx, l.clone(), stored)
	if serr := stored(); serr != nil && err == nil {
		// create broke its contract and made the credential without a
		// stored lease: take it back as soon as possible.
		err = fmt.Errorf("%w: %w", serr, ErrMaybeCreated)
	}
	if err != nil {
		if errors.Is(err, ErrMaybeCreated) {
			// The credential may exist: keep the lease and revoke it,
			// retrying until that succeeds.
			m.fail(l.ID, err)
			return nil, nil, err
		}
		if storeErr != nil {
			m.forget(l.ID)
		} else if derr := m.cfg.Storage.Delete(context.WithoutCancel(ctx), leaseKey(l)); derr != nil {
			// The record stays; revoking it is harmless (Revoke is
			// idempotent) and removes it.
			m.fail(l.ID, derr)
		} else {
			m.forget(l.ID)
		}
		return nil, nil, err
	}
	m.mu.Lock()
	e := m.leases[l.ID]
	if e == nil { // Recover replaced the leases meanwhile; keep this one
		e = &entry{l: l, state: pending}
		m.leases[l.ID] = e
		m.countLocked(l)
	}
	e.state = live
	m.scheduleLocked(l.ExpiresAt, l.ID)
	var doomed []*Lease
	if e.doomed {
		doomed = m.claimLocked(e)
	}
	m.mu.Unlock()
	if doomed != nil {
		if _, err := m.revokeAll(ctx, doomed); err != nil {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("%w: lease %q was revoked (its token, prefix or environment) while it was issued", ErrExpired, l.ID)
	}
	m.nudge()
	return l.clone(), warnings, nil
}

// Register adds (or replaces) the Revoker of leases of kind. An engine
// that needs the Manager to be built registers itself after it.
func (m *Manager) Register(kind string, r Revoker) {
	m.revMu.Lock()
	defer m.revMu.Unlock()
	m.revokers[kind] = r
}

func (m *Manager) revoker(kind string) Revoker {
	m.revMu.RLock()
	defer m.revMu.RUnlock()
	return m.revokers[kind]
}

// newLease checks req and builds its lease, with a fresh id.
func (m *Manager) newLease(req Request) (*Lease, []string, error) {
	switch {
	case req.Env.Name == "" || req.Env.ID == "" || strings.Contains(req.Env.Name, "/") || strings.Contains(req.Env.ID, "/"):
		return nil, nil, invalidf("environment %q (id %q): want a name and an id, without \"/\"", req.Env.Name, req.Env.ID)
	case m.revoker(req.Kind) == nil:
		return nil, nil, invalidf("no revoker for kind %q", req.Kind)
	case req.Token == "":
		return nil, nil, invalidf("no token accessor")
	case req.TTL <= 0:
		return nil, nil, invalidf("TTL %s: want more than 0", req.TTL)
	}
	if err := checkPath("path", req.Path); err != nil {
		return nil, nil, err
	}
	var warnings []string
	maxTTL := req.MaxTTL
	if maxTTL <= 0 || maxTTL > m.cfg.MaxTTL {
		maxTTL = m.cfg.MaxTTL
	}
	ttl := req.TTL
	if ttl > maxTTL {
		warnings = append(warnings, fmt.Sprintf("TTL of %q exceeded the effective max_ttl of %q; TTL value is capped accordingly", req.TTL, maxTTL))
		ttl = maxTTL
	}
	now := m.now()
	l := &Lease{
		Env: req.Env.Name, EnvID: req.Env.ID, Kind: req.Kind,
		Token: req.Token, Identity: req.Identity,
		IssuedAt: now, ExpiresAt: now.Add(ttl), Limit: now.Add(maxTTL),
		TTL: ttl, Renewable: req.Renewable, Data: req.Data,
	}
	if te := req.TokenExpires; !te.IsZero() && te.Before(l.Limit) {
		l.Limit = te.UTC().Round(0)
		if l.ExpiresAt.After(l.Limit) {
			warnings = append(warnings, fmt.Sprintf("TTL of %q exceeded the token's remaining life; TTL value is capped accordingly", ttl))
			l.ExpiresAt = l.Limit
		}
	}
	if !l.ExpiresAt.After(now) {
		return nil, nil, invalidf("the token expires now; no lease can be issued")
	}
	id, err := m.randomID()
	if err != nil {
		return nil, nil, err
	}
	l.ID = req.Env.Name + "/" + req.Path + "/" + id
	return l, warnings, nil
}

const idAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// randomID returns 24 random characters (about 143 bits).
func (m *Manager) randomID() (string, error) {
	var b [24]byte
	if _, err := io.ReadFull(m.cfg.Rand, b[:]); err != nil {
		return "", fmt.Errorf("lease: reading randomness: %w", err)
	}
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)] // bias below 2^-2; ids need uniqueness, not uniformity
	}
	return string(b[:]), nil
}

// store writes l's record.
func (m *Manager) store(ctx context.Context, l *Lease) error {
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	return m.cfg.Storage.Put(ctx, &storage.Entry{Key: leaseKey(l), Value: b})
}

// Lookup returns the lease id, for its token or an admin of its
// environment.
func (m *Manager) Lookup(_ context.Context, who Caller, id string) (*Lease, error) {
	if _, _, err := splitID(id); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e, err := m.accessLocked(who, id)
	if err != nil {
		return nil, err
	}
	return e.l.clone(), nil
}

// accessLocked returns lease id's entry if who may act on it. m.mu is held.
func (m *Manager) accessLocked(who Caller, id string) (*entry, error) {
	e, ok := m.leases[id]
	if !ok || e.state == pending {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	if !mayTouch(who, e.l) {
		return nil, fmt.Errorf("%w: lease %q belongs to another token or environment", ErrPermissionDenied, id)
	}
	return e, nil
}

// mayTouch reports whether who may look up, renew or revoke l.
func mayTouch(who Caller, l *Lease) bool {
	if who.Admin && (who.EnvID == "" || who.EnvID == l.EnvID) {
		return true
	}
	return who.Token != "" && who.Token == l.Token && who.EnvID == l.EnvID
}

// List returns the names directly below prefix among the leases who may
// see, sorted, folders with a trailing "/", as Vault's LIST
// sys/leases/lookup/PREFIX. prefix is "ENV/..." ("staging/database/creds/app").
func (m *Manager) List(_ context.Context, who Caller, prefix string) ([]string, error) {
	prefix = strings.TrimSuffix(prefix, "/")
	if err := checkPath("prefix", prefix); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	m.mu.Lock()
	for id, e := range m.leases {
		rest, ok := strings.CutPrefix(id, prefix+"/")
		if !ok || e.state == pending || !mayTouch(who, e.l) {
			continue
		}
		if dir, _, more := strings.Cut(rest, "/"); more {
			seen[dir+"/"] = true
		} else {
			seen[rest] = true
		}
	}
	m.mu.Unlock()
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out, nil
}

// Failed returns the leases whose revocation failed and is being retried,
// in the caller's environment (every environment for a root caller),
// oldest failure first. Admins only.
func (m *Manager) Failed(_ context.Context, who Caller) ([]*Lease, error) {
	if !who.Admin {
		return nil, fmt.Errorf("%w: listing failed revocations needs admin", ErrPermissionDenied)
	}
	var out []*Lease
	m.mu.Lock()
	for _, e := range m.leases {
		if e.state == failed && mayTouch(who, e.l) {
			out = append(out, e.l.clone())
		}
	}
	m.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Failure.LastAttempt, out[j].Failure.LastAttempt
		if !a.Equal(b) {
			return a.Before(b)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// Counts reports how many leases are live (issued, not ended) and how many
// revocations are failing, for metrics and health.
func (m *Manager) Counts() (issued, failing int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range m.leases {
		switch e.state {
		case live, pending:
			issued++
		case failed:
			failing++
		}
	}
	return issued, failing
}

// nudge tells Run to look at the schedule again.
func (m *Manager) nudge() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

var errNoLease = errors.New("lease: no such lease")
