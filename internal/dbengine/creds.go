package dbengine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/wardhq/ward/internal/lease"
)

// Requester is the token asking for credentials: its accessor, the
// identity it stands for, and when it expires (zero: never). No lease
// outlives its token.
type Requester struct {
	Token, Identity string
	TokenExpires    time.Time
}

// Creds is what creds/NAME returns: a new user, its password (shown once,
// never stored) and its lease.
type Creds struct {
	Username string
	Password string
	Lease    *lease.Lease
	Warnings []string
}

// leaseData is what a lease keeps to renew and revoke its user, without
// the role (which may be changed or deleted meanwhile).
type leaseData struct {
	Config     string   `json:"config"`
	Role       string   `json:"role"`
	Username   string   `json:"username"`
	Revocation []string `json:"revocation_statements,omitempty"`
	Renew      []string `json:"renew_statements,omitempty"`
}

// Creds makes a user of role name in env for who and returns it with its
// lease. The database is reached before the lease is issued; a failure
// leaves neither a lease nor a user.
func (e *Engine) Creds(ctx context.Context, env lease.Env, name string, who Requester) (*Creds, error) {
	r, err := e.ReadRole(ctx, env, name)
	if err != nil {
		return nil, err
	}
	c, err := e.loadConfig(ctx, env, r.DBName)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("role %q names database config %q, which does not exist: %w\nhint: write config/%s, or point the role's db_name at an existing config", name, r.DBName, err, r.DBName)
	}
	if err != nil {
		return nil, err
	}
	if !c.allows(name) {
		return nil, fmt.Errorf("%w: config %q does not list role %q in allowed_roles\nhint: add it to the config's allowed_roles", ErrRoleNotAllowed, r.DBName, name)
	}
	user, err := userName(e.cfg.Rand, env.Name, name)
	if err != nil {
		return nil, err
	}
	password, err := randomString(e.cfg.Rand, c.PasswordLength, c.PasswordCharset)
	if err != nil {
		return nil, err
	}
	rendered, err := c.passwordValue(e.cfg.Rand, password)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(leaseData{Config: r.DBName, Role: name, Username: user, Revocation: r.RevocationStatements, Renew: r.RenewStatements})
	if err != nil {
		return nil, err
	}
	conn, err := e.conn(ctx, env, r.DBName, c)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	ttl, maxTTL := r.ttls()
	l, warnings, err := e.cfg.Leases.Issue(ctx, lease.Request{
		Env: env, Path: "database/creds/" + name, Kind: Kind,
		Token: who.Token, Identity: who.Identity, TokenExpires: who.TokenExpires,
		TTL: ttl, MaxTTL: maxTTL, Renewable: true, Data: data,
	}, func(ctx context.Context, l *lease.Lease, stored func() error) error {
		return execAll(ctx, conn, name, "creation", r.CreationStatements, vars{name: user, password: rendered, expiration: l.ExpiresAt}, stored, c.Password, password)
	})
	if err != nil {
		return nil, err
	}
	return &Creds{Username: user, Password: password, Lease: l, Warnings: warnings}, nil
}
