// Package vault is ward's domain layer: the barrier over storage, the
// environments and their secrets, policies, tokens, logins, step-up MFA
// and the audit log, and the init/unseal/seal life cycle.
//
// # Who owns what
//
// The vault owns every security and business rule, each testable without
// HTTP (time and randomness come in through Config): logins (UserLogin,
// JWTLogin) with their lockouts, step-up MFA (StepUp, RequireMFA) and the
// TOTP life cycle, batched reads authorized per secret (Fetch,
// Fingerprints), write-time checks (Env.PutSecret), tokens (CreateToken
// refuses what only logins write), apply, and the admin scope (scope.go):
// a non-root token creates or changes identities, roles and policy rules
// of its own environment only; crossing environments, and whole-vault
// operations (RequireRoot), take a root token. It never hands out its inner
// stores: callers go through its methods. A request's who-and-why travels
// as a *Caller; a rule saying no is a *Refusal with a Kind. Package server
// only decodes, calls one method here, and encodes. A new engine (leases,
// database credentials) is a service here plus rows in server's route
// table.
//
//	v, err := vault.Open(vault.Config{Storage: db, AuditPath: "/var/lib/ward/audit.log"})
//	res, err := v.Init(ctx, 5, 3)          // once, on a new store
//	_, err = v.Unseal(ctx, share)          // threshold times, after every start
//	env, err := v.Env("staging")           // env.ReadSecret, env.PutSecret, ...
//
// Storage layout (every value encrypted by the barrier, which keeps core/):
//
//	sys/audit-key             the audit log's HMAC key
//	sys/audit-checkpoint-key  the seed of the audit log's checkpoint signing key
//	sys/envs/NAME             an environment: its name and random id
//	sys/policies/NAME         a policy's YAML source
//	sys/types/NAME            a type's JSON Schema source
//	sys/envrules/NAME         environment NAME's rules (EnvRules as JSON)
//	sys/auth/jwt/config       the JWT auth method's issuer (JSON)
//	sys/auth/jwt/role/NAME    a JWT role (JSON)
//	sys/token/...             the token store
//	sys/userpass/users/NAME   a userpass user: argon2id hash, policies, TTLs
//	sys/mfa/totp/IDENTITY     an identity's TOTP secret and enrolment state
//	env/ID/leases/...         environment ID's leases (package lease), sealed with its key
//	env/ID/database/...       its database engine's configs and roles (package dbengine)
//	env/ID/kv/...             environment ID's KV v2 engine, sealed with its own key
//	env/ID/usage/PATH         who read environment ID's secret PATH last (Usage)
//	env/ID/rotate/...         its rotations under way and tombstones (rotation_store.go)
package vault

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/wardhq/ward/internal/audit"
	"github.com/wardhq/ward/internal/auth"
	"github.com/wardhq/ward/internal/auth/jwtauth"
	"github.com/wardhq/ward/internal/auth/totp"
	"github.com/wardhq/ward/internal/auth/userpass"
	"github.com/wardhq/ward/internal/barrier"
	"github.com/wardhq/ward/internal/lease"

	"github.com/wardhq/ward/internal/detect"
	"github.com/wardhq/ward/internal/policy"
	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/types"
)

// Sentinel errors for the vault's states.
var (
	ErrSealed         = barrier.ErrSealed
	ErrNotInitialized = barrier.ErrNotInitialized
	ErrEnvNotFound    = errors.New("environment not found")
	ErrEnvExists      = errors.New("environment already exists")
	ErrPolicyNotFound = errors.New("policy not found")
)

// Config configures a Vault. Zero values of optional fields are documented.
type Config struct {
	Storage   storage.Backend // required: the untrusted store
	AuditPath string          // required: the audit log file, created 0600
	AuditSync bool            // fsync the audit log before each reply
	Now       func() time.Time
	Rand      io.Reader
	Logger    *slog.Logger // nil: slog.Default()
	// JWTFetch tunes how OIDC issuers' keys are fetched and cached; zero
	// fields take jwtauth's defaults, Now defaults to Now above.
	JWTFetch jwtauth.FetchOptions
	// Userpass configures password logins (lockout, argon2id cost); MFA
	// the TOTP checks (guess limit). Their zero Now is Now above.
	Userpass userpass.Config
	MFA      totp.Config
	// Leases tunes the lease manager (quotas, max TTL, retry backoff, its
	// clock); the vault sets its storage, engines, logger and audit hook,
	// and its zero Now and Rand are Now and Rand above.
	Leases lease.Config
	// MetadataMaxAge is how long an environment's cached secrets'
	// metadata (for the inventory and expiring secrets) is trusted before
	// it is read again in full; 0 is DefaultMetadataMaxAge. It bounds how
	// late a write by another server on the same store shows there.
	MetadataMaxAge time.Duration
	// RotateRetry is the wait before a failed scheduled rotation is tried
	// again, doubled per attempt up to an hour; 0: a minute.
	RotateRetry time.Duration
	// DBConnectTimeout bounds each connection of the database engine; 0
	// means dbengine's default.
	DBConnectTimeout time.Duration

	// Detect, when set, is the detectors' service whose thresholds
	// alerts.yaml manages and whose alerts sys/ward/alerts lists (see
	// alerts.go). AuditOnEntries and AuditOnBatch watch the audit log, as
	// audit.Config's OnEntries and OnBatch.
	Detect         *detect.Service
	AuditOnEntries func(batch []audit.Written)
	AuditOnBatch   func(took time.Duration, err error)
	// OnRotation, when set, hears each rotation event's kind (rotated,
	// failed, rolled-back, retired, needs-person) after it is audited; it
	// must not block.
	OnRotation func(kind string)
}

// Vault is safe for concurrent use. Its unsealed state (tokens, audit log,
// environments, policies) is set up by Unseal and torn down by Seal.
type Vault struct {
	cfg     Config
	barrier *barrier.Barrier
	logins  *loginLimits // failed logins, per source and per role

	// Login lockouts and used TOTP steps: in memory, where they outlive a
	// seal, or in a shared store (shared.go).
	passwords *userpass.Authenticator
	codes     *totp.Verifier
	usersMu   sync.Mutex // serialises read-modify-write of users and enrolments

	mu       sync.RWMutex
	unsealed *unsealed // guarded by mu; nil while sealed
}

// unsealed is what exists only while the barrier is open.
type unsealed struct {
	tokens *auth.Store
	audit  *audit.Log
	apply  sync.Mutex // serializes Apply

	mu       sync.RWMutex
	envs     map[string]*Env           // guarded by mu, by name
	policies map[string]*policy.Policy // guarded by mu, by name
	acls     map[string]*policy.ACL    // guarded by mu; cache by joined policy names
	types    map[string]*types.Type    // guarded by mu; stored types, by name
	envRules map[string]EnvRules       // guarded by mu; by environment name
	usage    *usageRecorder

	checkpoints *checkpointer // the audit log's periodic checkpoints

	jwt jwtState // the JWT auth method: issuer config and roles

	leases *leaseState // the lease manager, the database engine, the expiry scheduler

	rotation *rotation // rotation, retirement and breach drills (rotation.go)
	watch    *watcher  // applies other servers' changes to the caches (changes.go)
}

// Open returns a sealed vault over cfg.Storage.
func Open(cfg Config) (*Vault, error) {
	if cfg.Storage == nil {
		return nil, errors.New("vault: no storage configured")
	}
	if cfg.AuditPath == "" {
		return nil, errors.New("vault: no audit log path configured")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Userpass.Now == nil {
		cfg.Userpass.Now = cfg.Now
	}
	if cfg.MFA.Now == nil {
		cfg.MFA.Now = cfg.Now
	}
	b := barrier.New(barrier.Config{Storage: cfg.Storage, Rand: cfg.Rand, Now: cfg.Now, KeyringOf: keyringOf})
	v := &Vault{cfg: cfg, barrier: b, logins: newLoginLimits(cfg.Now)}
	v.shareLoginState(&cfg)
	v.passwords, v.codes = userpass.NewAuthenticator(cfg.Userpass), totp.NewVerifier(cfg.MFA)
	return v, nil
}

// InitResult is what Init hands out once and never stores.
type InitResult struct {
	Shares    [][]byte
	Threshold int
	RootToken string
}

// Init creates the root key, splits it into shares, creates the audit key and
// a root token, and leaves the vault sealed. It needs 1 <= threshold <=
// shares <= 255, and a threshold of at least 2 with several shares (with
// 1, every share would be the whole root key); a *Refusal otherwise.
func (v *Vault) Init(ctx context.Context, shares, threshold int) (*InitResult, error) {
	if shares < 1 || shares > 255 || threshold < 1 || threshold > shares {
		return nil, refuse(KindInvalid, "need 1 <= secret_threshold <= secret_shares <= 255")
	}
	if shares > 1 && threshold == 1 {
		return nil, refuse(KindInvalid, "a threshold of 1 with several shares makes every share the whole root key; use a threshold of at least 2")
	}
	keys, err := v.barrier.Init(ctx, shares, threshold)
	if err != nil {
		return nil, err
	}
	for _, k := range keys[:threshold] {
		if _, err := v.barrier.Unseal(ctx, k); err != nil {
			return nil, fmt.Errorf("unsealing a new vault: %w", err)
		}
	}
	defer v.barrier.Seal()
	key := make([]byte, 32)
	if _, err := io.ReadFull(v.cfg.Rand, key); err != nil {
		return nil, err
	}
	if err := v.barrier.Put(ctx, &storage.Entry{Key: keyAuditKey, Value: key}); err != nil {
		return nil, err
	}
	if _, err := v.checkpointKey(ctx); err != nil {
		return nil, err
	}
	tokens, err := v.newTokenStore()
	if err != nil {
		return nil, err
	}
	root, _, err := tokens.CreateRoot(ctx)
	if err != nil {
		return nil, err
	}
	return &InitResult{Shares: keys, Threshold: threshold, RootToken: root}, nil
}

// Initialized reports whether Init has run on this store.
func (v *Vault) Initialized(ctx context.Context) (bool, error) { return v.barrier.Initialized(ctx) }

// SealStatus reports the barrier's state.
func (v *Vault) SealStatus(ctx context.Context) (barrier.SealStatus, error) {
	return v.barrier.Status(ctx)
}

// Unseal adds one share; when the threshold is reached the vault opens its
// audit log, token store, environments and policies. If the key is right
// but opening fails, the vault stays sealed and the error is an
// *OpenError that says why.
func (v *Vault) Unseal(ctx context.Context, share []byte) (barrier.SealStatus, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.unsealed != nil {
		return v.barrier.Status(ctx)
	}
	st, err := v.barrier.Unseal(ctx, share)
	if err != nil || st.Sealed {
		return st, err
	}
	u, err := v.setupLocked(ctx)
	if err != nil {
		v.barrier.Seal()
		st, serr := v.barrier.Status(ctx)
		if serr != nil {
			return st, serr
		}
		return st, &OpenError{Err: err}
	}
	v.unsealed = u
	return st, nil
}

// OpenError is Unseal's error when the key was right but the vault could
// not finish opening (an unusable audit log path, a stored record it cannot
// read): the vault stays sealed and the shares given are used up. Its
// message is public: it names files and records, never key material.
type OpenError struct {
	Err error
}

func (e *OpenError) Error() string {
	return "the unseal key was right, but the vault could not open and stays sealed: " + e.Err.Error()
}

func (e *OpenError) Unwrap() error { return e.Err }

// ResetUnseal forgets the shares given so far.
func (v *Vault) ResetUnseal() { v.barrier.ResetUnseal() }

func (v *Vault) setupLocked(ctx context.Context) (*unsealed, error) {
	key, err := v.barrier.Get(ctx, keyAuditKey)
	if err != nil {
		return nil, fmt.Errorf("reading the audit key: %w", err)
	}
	ckey, err := v.checkpointKey(ctx)
	if err != nil {
		return nil, err
	}
	log, err := audit.Open(audit.Config{Path: v.cfg.AuditPath, HMACKey: key.Value, Now: v.cfg.Now, Sync: v.cfg.AuditSync, CheckpointKey: ckey,
		OnEntries: v.cfg.AuditOnEntries, OnBatch: v.cfg.AuditOnBatch})
	clear(ckey)
	if err != nil {
		return nil, err
	}
	changes, stopChanges, err := v.subscribe()
	if err != nil {
		log.Close()
		return nil, fmt.Errorf("listening for changes on the shared store: %w", err)
	}
	tokens, err := v.newTokenStore()
	if err != nil {
		stopChanges()
		log.Close()
		return nil, err
	}
	u := &unsealed{tokens: tokens, audit: log, envs: map[string]*Env{}, policies: map[string]*policy.Policy{}, acls: map[string]*policy.ACL{}}
	for _, load := range []func(context.Context, *unsealed) error{v.loadEnvs, v.loadPolicies, v.loadTypes, v.loadEnvRules, v.loadJWT, v.startLeases} {
		if err := load(ctx, u); err != nil {
			stopChanges()
			log.Close()
			return nil, err
		}
	}
	if err := v.loadAlerts(ctx); err != nil {
		stopChanges()
		log.Close()
		return nil, err
	}
	v.startWatch(u, changes, stopChanges)
	v.startUsage(u)
	v.startCheckpoints(u)
	v.startRotation(u)
	return u, nil
}

// loadAll reads every record stored below prefix, decodes each with
// decode, and returns them by name; what names the kind of record in
// errors.
func loadAll[T any](ctx context.Context, b *barrier.Barrier, prefix, what string, decode func(name string, value []byte) (T, error)) (map[string]T, error) {
	names, err := b.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	out := make(map[string]T, len(names))
	for _, name := range names {
		e, err := b.Get(ctx, prefix+name)
		if err != nil {
			return nil, fmt.Errorf("reading %s %q: %w", what, name, err)
		}
		if out[name], err = decode(name, e.Value); err != nil {
			return nil, fmt.Errorf("stored %s %q: %w", what, name, err)
		}
	}
	return out, nil
}

// decodeJSON is loadAll's decode for records stored as JSON.
func decodeJSON[T any](_ string, value []byte) (T, error) {
	var v T
	err := json.Unmarshal(value, &v)
	return v, err
}

func (v *Vault) newTokenStore() (*auth.Store, error) {
	return auth.NewStore(auth.Config{
		Storage: storage.NewPrefixed(v.barrier, "sys/token/"),
		Now:     v.cfg.Now,
		Rand:    v.cfg.Rand,
	})
}

// Seal zeroizes the keys and drops everything that needs them.
func (v *Vault) Seal() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.unsealed != nil {
		v.unsealed.stopWatch()
		v.unsealed.stopLeases()
		if err := v.stopUsage(v.unsealed); err != nil {
			v.cfg.Logger.Error("writing recorded secret reads before sealing failed", ErrorLogArgs(err)...)
		}
		if err := v.stopCheckpoints(v.unsealed); err != nil {
			v.cfg.Logger.Error("signing the audit checkpoint at seal failed", ErrorLogArgs(err)...)
		}
	}
	v.barrier.Seal()
	if v.unsealed == nil {
		return nil
	}
	err := v.unsealed.audit.Close()
	v.unsealed = nil
	return err
}

// Rotate adds a key term to the barrier.
func (v *Vault) Rotate(ctx context.Context) (uint32, error) { return v.barrier.Rotate(ctx) }

// Sealed reports whether the vault is sealed.
func (v *Vault) Sealed() bool {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.unsealed == nil
}

func (v *Vault) state() (*unsealed, error) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.unsealed == nil {
		return nil, ErrSealed
	}
	return v.unsealed, nil
}

// Close seals the vault and closes the storage.
func (v *Vault) Close() error {
	err := v.Seal()
	if cerr := v.cfg.Storage.Close(); err == nil {
		err = cerr
	}
	return err
}

const keyAuditKey = "sys/audit-key"
