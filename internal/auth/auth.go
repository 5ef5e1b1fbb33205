// Package auth is who may ask the vault for anything: tokens now; users and
// CI logins build on them.
//
// A Store keeps tokens. Most callers need two of its methods: Lookup, which
// turns the token a request presents into the *Token it stands for (or
// ErrInvalidToken, whatever the reason), and Create, which mints a child of
// a token under the rules below. The vault calls CreateRoot once, at init,
// and CreateLogin for each login (a CI job's JWT exchanged).
//
//	st, _ := auth.NewStore(auth.Config{Storage: view})
//	secret, root, _ := st.CreateRoot(ctx)
//	ciSecret, _, err := st.Create(ctx, root, auth.CreateRequest{
//		Policies: []string{"deploy"}, Env: "staging", EnvID: id, TTL: 15 * time.Minute})
//	t, err := st.Lookup(ctx, presented) // on every request
//
// Tokens are in the format of package wardtoken. Only their SHA-256 is
// stored; a token's accessor (wacc_…) names it in lookups, revocations and
// audit entries without being able to use it.
//
// # Rules
//
// Every token is bound to exactly one environment, except root tokens
// (policy "root", Env and EnvID empty), which reach all of them. Create
// enforces, for the token it makes:
//
//   - policies: none named means the parent's; a non-root parent gives only
//     policies it holds, and only a root parent gives "root";
//   - environment: none named means the parent's; a non-root parent gives
//     only its own;
//   - parent: the creator, unless NoParent, which only a root parent may
//     ask for (an orphan outlives its creator);
//   - life: the TTL asked for (or Config.DefaultTTL), capped silently at
//     ExplicitMaxTTL and Config.MaxTTL from creation and at the parent's
//     expiry, so a child never outlives its parent;
//   - what logins write: metadata keys and display names that ward's own
//     logins and audit entries write (IdentityMetaKey, ci_*, role, mfa,
//     ...; see ReservedMetaKey) come only from CreateLogin, so no token
//     made by Create can pose as a login in its lookups or the audit log.
//
// A refusal is a *DeniedError naming the rule; a malformed request a
// *RequestError naming the field. Renew keeps the same caps and never
// moves an expiry earlier, so a child's expiry stays at or before its
// parent's. Revoke, RevokeAccessor and RevokeEnv take every descendant of
// what they revoke with it.
//
// # Storage and cache
//
// Keys under Config.Storage: id/<hash> (the token's record, JSON),
// accessor/<accessor> (its hash), parent/<parent hash>/<hash> and
// env/<env ID>/<hash> (empty; indexes for revocation). Creating or
// renewing a token is one storage transaction; a revocation is one per
// token, children before parents, so a failure never strands a child.
//
// Valid tokens are cached in memory by hash, up to Config.CacheSize. The
// cache is kept right by this process's own Create, Renew and revocations.
// When other processes share the storage (several ward servers on one
// PostgreSQL), the caller passes what they change to Forget (or
// ForgetAll), so a token revoked on one server stops working on every
// other as soon as they hear of it. Expiry is checked against Config.Now on
// every Lookup, cached or not.
package auth

import (
	"io"
	"slices"
	"time"

	"github.com/wardhq/ward/internal/storage"
)

// RootPolicy is the policy that allows everything, in every environment.
const RootPolicy = "root"

// Config configures a Store. Only Storage is required.
type Config struct {
	// Storage holds the tokens: the vault's encrypted view, used by this
	// Store alone.
	Storage storage.Backend
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Rand is the source of tokens and accessors; nil means crypto/rand.
	Rand io.Reader
	// DefaultTTL is the TTL of a token created without one; 0 means 32 days.
	DefaultTTL time.Duration
	// MaxTTL caps every token's life, measured from its creation, however
	// it is renewed; 0 means 32 days.
	MaxTTL time.Duration
	// CacheSize is how many valid tokens Lookup keeps in memory; 0 means
	// 16384, a negative number turns the cache off.
	CacheSize int
}

const (
	defaultTTL       = 32 * 24 * time.Hour
	defaultCacheSize = 16384
	maxDisplayName   = 256
)

// Token is what a token stands for. A Token returned by the Store is the
// caller's own copy.
type Token struct {
	// Accessor names the token without being able to use it (wacc_…).
	Accessor string
	// Policies are sorted, without duplicates.
	Policies []string
	// Env and EnvID are the environment's name and ID; both are empty only
	// for root tokens, which reach every environment.
	Env, EnvID string
	// DisplayName is "token", or "token-" and the name asked for, as in
	// Vault; "root" for the token from CreateRoot.
	DisplayName string
	Meta        map[string]string
	// Parent is the parent's accessor, "" for orphans and root tokens.
	Parent string
	// CreatedAt is when the token was made; ExpiresAt when it stops being
	// valid (a Lookup at ExpiresAt or later fails). A zero ExpiresAt means
	// never, for the token from CreateRoot only.
	CreatedAt, ExpiresAt time.Time
	// LastRenewal is when Renew last extended the token; zero if never.
	LastRenewal time.Time
	// TTL is the life the token was created with; Renew extends by it when
	// no increment is given. ExplicitMaxTTL, if not 0, caps the token's
	// life from CreatedAt.
	TTL, ExplicitMaxTTL time.Duration
	Renewable           bool

	hash       string // the key of the token's record
	parentHash string // the parent's hash, "" for orphans
}

// IsRoot reports whether t holds the root policy, for every environment.
func (t *Token) IsRoot() bool {
	return t.EnvID == "" && slices.Contains(t.Policies, RootPolicy)
}

// live reports whether t is valid at now.
func (t *Token) live(now time.Time) bool {
	return t.ExpiresAt.IsZero() || now.Before(t.ExpiresAt)
}

// clone returns a deep copy of t, so callers cannot change the cache.
func (t *Token) clone() *Token {
	c := *t
	c.Policies = slices.Clone(t.Policies)
	c.Meta = cloneMeta(t.Meta)
	return &c
}

// CreateRequest is what Create is asked for. Zero fields take defaults.
type CreateRequest struct {
	// Policies of the new token; none means the parent's.
	Policies []string
	// Env and EnvID bind the new token to one environment; both empty
	// means the parent's (for a root parent: a root token, which needs the
	// root policy).
	Env, EnvID string
	// TTL: 0 means Config.DefaultTTL. Capped as the package doc says.
	TTL time.Duration
	// ExplicitMaxTTL: if not 0, no renewal takes the token past it.
	ExplicitMaxTTL time.Duration
	// Renewable: nil means true.
	Renewable   *bool
	DisplayName string
	Meta        map[string]string
	// NoParent makes an orphan, which outlives its creator; root only.
	NoParent bool
}
