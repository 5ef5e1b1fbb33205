package dbengine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wardhq/ward/internal/lease"
)

// Revoke drops the user of lease l (lease.Revoker). A user already gone
// from pg_roles counts as revoked.
func (e *Engine) Revoke(ctx context.Context, l *lease.Lease) error {
	d, c, conn, err := e.leaseConn(ctx, l)
	if err != nil {
		return err
	}
	defer conn.Release()
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)`, d.Username).Scan(&exists); err != nil {
		return fmt.Errorf("looking up user %q of lease %q: %s", d.Username, l.ID, Redact(err.Error(), c.Password))
	}
	if !exists {
		return nil
	}
	stmts := d.Revocation
	if len(stmts) == 0 {
		stmts = DefaultRevocation
	}
	return execAll(ctx, conn, d.Role, "revocation", stmts, vars{name: d.Username}, nil, c.Password)
}

// Renew moves the user's expiry in the database to l.ExpiresAt
// (lease.Renewer).
func (e *Engine) Renew(ctx context.Context, l *lease.Lease) error {
	d, c, conn, err := e.leaseConn(ctx, l)
	if err != nil {
		return err
	}
	defer conn.Release()
	stmts := d.Renew
	if len(stmts) == 0 {
		stmts = DefaultRenew
	}
	return execAll(ctx, conn, d.Role, "renew", stmts, vars{name: d.Username, expiration: l.ExpiresAt}, nil, c.Password)
}

// leaseConn returns l's data, its config and a connection to its database.
func (e *Engine) leaseConn(ctx context.Context, l *lease.Lease) (*leaseData, *ConnConfig, *pgxpool.Conn, error) {
	d, c, env, err := e.leaseTarget(ctx, l)
	if err != nil {
		return nil, nil, nil, err
	}
	conn, err := e.conn(ctx, env, d.Config, c)
	if err != nil {
		return nil, nil, nil, err
	}
	return d, c, conn, nil
}

// leaseTarget decodes l's data and loads the config its user lives in.
func (e *Engine) leaseTarget(ctx context.Context, l *lease.Lease) (*leaseData, *ConnConfig, lease.Env, error) {
	env := lease.Env{Name: l.Env, ID: l.EnvID}
	var d leaseData
	if err := json.Unmarshal(l.Data, &d); err != nil || d.Username == "" || d.Config == "" {
		return nil, nil, env, fmt.Errorf("lease %q carries no database user to act on", l.ID)
	}
	c, err := e.loadConfig(ctx, env, d.Config)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, env, fmt.Errorf("lease %q: database config %q no longer exists: %w\nhint: write config/%s again so that user %q can be dropped", l.ID, d.Config, err, d.Config, d.Username)
	}
	if err != nil {
		return nil, nil, env, err
	}
	return &d, c, env, nil
}
