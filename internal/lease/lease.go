package lease

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Lease is one lease. A Lease returned by the Manager is the caller's copy.
type Lease struct {
	// ID is "ENV/PATH/RANDOM", e.g. "staging/database/creds/app/3kq…".
	ID    string `json:"id"`
	Env   string `json:"env"`
	EnvID string `json:"env_id"`
	// Kind names the Revoker that takes the credential back ("database").
	Kind string `json:"kind"`
	// Token is the accessor of the token that got the lease; Identity who
	// that token stands for (a user, a CI job's subject).
	Token    string `json:"token"`
	Identity string `json:"identity,omitempty"`

	IssuedAt    time.Time `json:"issued_at"`
	ExpiresAt   time.Time `json:"expires_at"`
	LastRenewal time.Time `json:"last_renewal,omitzero"`
	// Limit is the latest ExpiresAt any renewal may reach: IssuedAt plus
	// the max TTL, or the token's expiry if sooner.
	Limit time.Time `json:"limit"`
	// TTL is what a renewal without an increment extends by.
	TTL       time.Duration `json:"ttl"`
	Renewable bool          `json:"renewable"`

	// Data is the engine's own record of what to take back (a user name,
	// the statements that drop it). Never a password.
	Data json.RawMessage `json:"data,omitempty"`

	// Failure is set once a revocation has failed: the lease has ended and
	// is being retried.
	Failure *Failure `json:"failure,omitempty"`
}

// Failure describes a revocation that has not succeeded yet.
type Failure struct {
	Attempts    int       `json:"attempts"`
	LastError   string    `json:"last_error"`
	LastAttempt time.Time `json:"last_attempt"`
	NextAttempt time.Time `json:"next_attempt"`
}

// TTLAt is how long the lease has left at now, never negative.
func (l *Lease) TTLAt(now time.Time) time.Duration {
	return max(l.ExpiresAt.Sub(now), 0)
}

func (l *Lease) clone() *Lease {
	c := *l
	c.Data = append(json.RawMessage(nil), l.Data...)
	if l.Failure != nil {
		f := *l.Failure
		c.Failure = &f
	}
	return &c
}

// Revoker takes back what a lease stands for. Engines implement it.
//
// Revoke must be idempotent: it may be called again for a lease it already
// revoked (a crash between its success and the deletion of the record, a
// retry), and must then succeed. An error means the credential may still
// work; the Manager keeps the lease and retries. The error's message is
// stored and shown to admins, so it must not hold a secret.
type Revoker interface {
	Revoke(ctx context.Context, l *Lease) error
}

// BatchRevoker is what a Revoker implements as well to take back many
// credentials at once (revoke-prefix, the expiry of many leases at one
// time), cheaper than one by one. RevokeBatch returns one error per lease,
// in the order of ls, each under Revoke's contract.
type BatchRevoker interface {
	RevokeBatch(ctx context.Context, ls []*Lease) []error
}

// Renewer is what a Revoker implements as well when the credential itself
// has an expiry that must follow the lease's (PostgreSQL's VALID UNTIL).
// Renew is called with the lease as it will be after the renewal; an error
// refuses the renewal and leaves the lease as it was.
type Renewer interface {
	Renew(ctx context.Context, l *Lease) error
}

// TokenTree tells RevokeToken which tokens a token's revocation takes with
// it. The auth store implements it.
type TokenTree interface {
	// Subtree returns accessor and the accessors of all its descendants.
	// It must be called before the tokens themselves are revoked.
	Subtree(ctx context.Context, accessor string) ([]string, error)
}

// Caller is who asks: a token's accessor, its environment id ("" for a root
// token, which reaches every environment) and whether it may administer
// leases (a root token, or a policy granting admin on sys/leases).
type Caller struct {
	Token string
	EnvID string
	Admin bool
}

// Env names an environment: its name, and the id its storage is kept
// under.
type Env struct {
	Name, ID string
}

// Errors of the Manager. Tell them apart with errors.Is and errors.As.
var (
	// ErrNotFound: no live or failed lease has that id.
	ErrNotFound = errors.New("lease not found")
	// ErrPermissionDenied: the caller is neither the lease's token nor an
	// admin of its environment; or not an admin where one is needed.
	ErrPermissionDenied = errors.New("permission denied")
	// ErrInvalid: a malformed lease id, prefix or request.
	ErrInvalid = errors.New("invalid lease request")
	// ErrNotRenewable: the lease was issued not renewable.
	ErrNotRenewable = errors.New("lease is not renewable")
	// ErrExpired: the lease has ended (expired or being revoked), so it
	// cannot be renewed.
	ErrExpired = errors.New("lease has expired")
	// ErrMaybeCreated is wrapped by a create function's error when the
	// credential may exist although create failed.
	ErrMaybeCreated = errors.New("the credential may have been created")
	// ErrQuota is wrapped by *QuotaError.
	ErrQuota = errors.New("lease quota exceeded")
	// ErrRevokeFailed is wrapped by *RevokeError.
	ErrRevokeFailed = errors.New("revocation failed")
)

// QuotaError refuses a new lease: the token or identity holds Limit live
// leases already. RetryAfter is when the first of them expires. The HTTP
// layer answers it with 429 and a Retry-After header.
type QuotaError struct {
	Scope      string // "token" or "identity"
	Name       string // the token's accessor, or the identity
	Limit      int
	RetryAfter time.Duration
}

func (e *QuotaError) Error() string {
	return fmt.Sprintf("lease quota exceeded: %s %q holds %d live leases, the most allowed; retry after %s, or revoke leases it no longer needs",
		e.Scope, e.Name, e.Limit, e.RetryAfter.Round(time.Second))
}

func (e *QuotaError) Unwrap() error { return ErrQuota }

// RevokeError says that some revocations failed. The leases are kept and
// retried (see Failed); the credentials may still work until then.
type RevokeError struct {
	Failed int    // how many leases are not revoked yet
	First  string // the first failure's lease id
	Err    error  // the first failure's error
}

func (e *RevokeError) Error() string {
	msg := fmt.Sprintf("revoking lease %q: %v", e.First, e.Err)
	if e.Failed > 1 {
		msg = fmt.Sprintf("%d revocations failed; first, %s", e.Failed, msg)
	}
	return msg + "\nhint: the lease is kept and retried with backoff; `ward lease list --failed` shows it"
}

func (e *RevokeError) Unwrap() []error { return []error{ErrRevokeFailed, e.Err} }

// invalidf returns an error wrapping ErrInvalid.
func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

const (
	maxIDLen      = 512
	maxSegmentLen = 128
)

// checkPath checks a lease id, a prefix or an engine path: non-empty
// segments of printable ASCII, none "." or "..".
func checkPath(what, p string) error {
	if p == "" {
		return invalidf("empty %s", what)
	}
	if len(p) > maxIDLen {
		return invalidf("%s longer than %d bytes", what, maxIDLen)
	}
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "" || seg == "." || seg == ".." || len(seg) > maxSegmentLen {
			return invalidf("%s %q: want segments of 1..%d characters, not empty, \".\" or \"..\"", what, p, maxSegmentLen)
		}
		for _, r := range seg {
			if r <= ' ' || r >= 0x7f {
				return invalidf("%s %q: only printable ASCII without spaces", what, p)
			}
		}
	}
	return nil
}

// splitID splits a lease id into its environment name and the rest.
func splitID(id string) (env, rest string, err error) {
	if err := checkPath("lease id", id); err != nil {
		return "", "", err
	}
	env, rest, ok := strings.Cut(id, "/")
	if !ok {
		return "", "", invalidf("lease id %q: want ENV/PATH/ID", id)
	}
	return env, rest, nil
}
