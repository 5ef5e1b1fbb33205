package userpass

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"time"
)

// ErrBadLogin is the one answer to an unknown user or a wrong password, so
// that a caller cannot tell which.
var ErrBadLogin = errors.New("userpass: invalid user name or password")

// LockedError refuses a login for a name that failed too often. It does
// not say whether a user has that name.
type LockedError struct {
	Until time.Time
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("userpass: too many failed logins for this name; try again after %s", e.Until.UTC().Format(time.RFC3339))
}

// Config configures an Authenticator. Zero values are the defaults.
type Config struct {
	Hasher      Hasher        // nil: Argon2id
	Params      Params        // zero: DefaultParams; new hashes use them
	MaxFailures int           // failures that lock a name; 0: 5
	Window      time.Duration // how long a failure counts; 0: 15 minutes
	Now         func() time.Time
	Rand        io.Reader // salts; nil: crypto/rand
	// Failures, when set, keeps the failed logins of each name instead of
	// the Authenticator's memory: a store that several servers share
	// makes a name locked on one of them locked on all.
	Failures FailureStore
}

// FailureStore keeps the recent failed logins of each normalised name,
// oldest first.
type FailureStore interface {
	// Update calls fn with name's failures and, when fn returns true,
	// stores the failures it returns (none: forget the name), with no
	// other Update of name in between, in any process sharing the store.
	Update(ctx context.Context, name string, fn func(failures []time.Time) ([]time.Time, bool)) error
}

// Authenticator checks logins and hashes new passwords. It holds the
// lockout counters, in memory; it is safe for concurrent use.
type Authenticator struct {
	cfg   Config
	lock  *lockout
	dummy *PasswordHash // checked when no user has the name
}

// NewAuthenticator returns an Authenticator for cfg.
func NewAuthenticator(cfg Config) *Authenticator {
	if cfg.Hasher == nil {
		cfg.Hasher = Argon2id{}
	}
	if cfg.Params == (Params{}) {
		cfg.Params = DefaultParams
	}
	if cfg.MaxFailures <= 0 {
		cfg.MaxFailures = 5
	}
	if cfg.Window <= 0 {
		cfg.Window = 15 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	dummy := &PasswordHash{Params: cfg.Params, Salt: make([]byte, cfg.Params.SaltLen), Hash: make([]byte, cfg.Params.KeyLen)}
	io.ReadFull(rand.Reader, dummy.Salt)
	io.ReadFull(rand.Reader, dummy.Hash)
	return &Authenticator{cfg: cfg, lock: newLockout(cfg.MaxFailures, cfg.Window, cfg.Now), dummy: dummy}
}

// HashPassword checks password and returns its PHC string, for a new or
// changed password.
func (a *Authenticator) HashPassword(password string) (string, error) {
	if err := checkPassword(password); err != nil {
		return "", err
	}
	ph, err := NewHash(a.cfg.Hasher, a.cfg.Rand, password, a.cfg.Params)
	if err != nil {
		return "", err
	}
	return ph.String(), nil
}

// Login returns the user name (any form; see Normalize) stands for if
// password is theirs. Failures: a *NameError for a name that cannot be
// one, a *RequestError for an empty or oversized password, *LockedError,
// ErrBadLogin, or a storage error. Exactly one hash is computed for every
// attempt that gets past those first checks, user or no user.
func (a *Authenticator) Login(ctx context.Context, st *Store, name, password string) (*User, error) {
	n, err := Normalize(name)
	if err != nil {
		return nil, err
	}
	switch {
	case password == "":
		return nil, &RequestError{Field: "password", Problem: "empty"}
	case len(password) > MaxPasswordLen:
		return nil, &RequestError{Field: "password", Problem: fmt.Sprintf("longer than %d bytes", MaxPasswordLen)}
	}
	if until, err := a.lockedUntil(ctx, n); err != nil {
		return nil, err
	} else if !until.IsZero() {
		return nil, &LockedError{Until: until}
	}
	u, err := st.Get(ctx, n)
	ph := a.dummy
	switch {
	case errors.Is(err, ErrUserNotFound):
	case err != nil:
		return nil, err
	default:
		if ph, err = ParseHash(u.PasswordHash); err != nil {
			return nil, err
		}
	}
	if !ph.Matches(a.cfg.Hasher, password) || u == nil {
		if err := a.fail(ctx, n); err != nil {
			return nil, err
		}
		return nil, ErrBadLogin
	}
	if err := a.reset(ctx, n); err != nil {
		return nil, err
	}
	return u, nil
}
