package vault

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/wardhq/ward/internal/auth"
	"github.com/wardhq/ward/internal/auth/jwtauth"
	"github.com/wardhq/ward/internal/ratelimit"
)

// Failed logins are limited per source address and per role, before any
// signature is checked or any audit line written: a flood of bad JWTs costs
// a map lookup per attempt and is answered 429 with Retry-After. Only
// failures count, so a CI system logging in all day is never limited; a
// role under a flood from many addresses is limited for everyone until the
// flood stops, which is the price of keeping the audit log bounded.
const (
	loginSourceBurst = 20              // failures a source may have at once
	loginSourceEvery = time.Second     // then one more per second
	loginRoleBurst   = 200             // failures a role may have at once
	loginRoleEvery   = time.Second / 5 // then five more per second
)

// loginLimits are the vault's failed-login limiters. They live as long as
// the Vault, across seals, so sealing does not reset them.
type loginLimits struct {
	bySource, byRole *ratelimit.Limiter
}

func newLoginLimits(now func() time.Time) *loginLimits {
	return &loginLimits{
		bySource: ratelimit.New(ratelimit.Config{Burst: loginSourceBurst, Every: loginSourceEvery, Now: now}),
		byRole:   ratelimit.New(ratelimit.Config{Burst: loginRoleBurst, Every: loginRoleEvery, Now: now}),
	}
}

// LoginSource is the key under which failed logins from the client at
// remoteAddr (an http.Request's RemoteAddr) are counted: its IP address,
// or for IPv6 its /64, since one host usually holds a whole /64.
func LoginSource(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// CheckLogin returns a *ratelimit.LimitedError if logins from source (see
// LoginSource; "" for none) or with role (a JWT role, or for another login
// method a name such as "userpass/alice") have failed too often to try
// again yet. The server calls it before it writes a login's audit entry.
func (v *Vault) CheckLogin(source, role string) error {
	if source != "" {
		if wait, ok := v.logins.bySource.Allow(source); !ok {
			return &ratelimit.LimitedError{What: "logins from this address", RetryAfter: wait}
		}
	}
	if wait, ok := v.logins.byRole.Allow(role); !ok {
		return &ratelimit.LimitedError{What: "logins with this role or user", RetryAfter: wait}
	}
	return nil
}

// LoginFailed counts a failed login against source and role, as CheckLogin
// names them; with role "" (a malformed login, which names none) against
// source only. JWTLoginFrom counts its own failures; a login method that
// checks credentials elsewhere (a password login) counts them here.
func (v *Vault) LoginFailed(source, role string) {
	v.countFailure(source, role, role != "")
}

// countFailure counts one failure against source (if any) and, if
// againstRole, role, and logs when either becomes limited.
func (v *Vault) countFailure(source, role string, againstRole bool) {
	if source != "" && v.logins.bySource.Fail(source) {
		v.cfg.Logger.Warn("failed logins limited", "source", source)
	}
	if againstRole && v.logins.byRole.Fail(role) {
		v.cfg.Logger.Warn("failed logins limited", "role", role)
	}
}

// noteLogin counts a login's failure: a refused JWT against the source and
// the role, an unknown role against the source only (so that made-up role
// names cannot grow the table). Failures that are not the caller's (the
// issuer's keys unavailable, the method not configured) do not count.
func (v *Vault) noteLogin(source, role string, err error) {
	switch {
	case err == nil:
	case errors.Is(err, jwtauth.ErrInvalidToken):
		v.countFailure(source, role, true)
	case errors.Is(err, ErrJWTRoleNotFound):
		v.countFailure(source, role, false)
	}
}

// JWTLogin is JWTLoginFrom with no source address: only the role's
// failures are limited.
func (v *Vault) JWTLogin(ctx context.Context, role, jwt string) (string, *auth.Token, error) {
	return v.JWTLoginFrom(ctx, "", role, jwt)
}

// JWTLoginFrom logs in with a CI job's JWT (see jwtLogin) from source (see
// LoginSource). It refuses with a *ratelimit.LimitedError, before checking
// anything, while logins from source or with role have failed too often.
func (v *Vault) JWTLoginFrom(ctx context.Context, source, role, jwt string) (string, *auth.Token, error) {
	if err := v.CheckLogin(source, role); err != nil {
		return "", nil, err
	}
	secret, tok, err := v.jwtLogin(ctx, role, jwt)
	v.noteLogin(source, role, err)
	return secret, tok, err
}
