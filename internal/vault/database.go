package vault

import (
	"context"

	"github.com/wardhq/ward/internal/dbengine"
	"github.com/wardhq/ward/internal/lease"
)

// The database engine of an environment, at ENV/database/ in Vault's
// shapes (see package dbengine). The server authorizes each call by policy
// on its API path (staging/database/creds/app) before it calls these; the
// environment boundary holds as for KV secrets, so a staging token never
// reaches prod's configs, roles or credentials.

func (e *Env) leaseEnv() lease.Env { return lease.Env{Name: e.Name, ID: e.ID} }

func (e *Env) database() (*dbengine.Engine, error) {
	st, err := e.v.leases()
	if err != nil {
		return nil, err
	}
	return st.db, nil
}

// WriteDatabaseConfig stores config/NAME; its admin password is sealed with
// the environment's key and never returned.
func (e *Env) WriteDatabaseConfig(ctx context.Context, name string, c dbengine.ConnConfig) error {
	db, err := e.database()
	if err != nil {
		return err
	}
	return db.WriteConfig(ctx, e.leaseEnv(), name, c)
}

// ReadDatabaseConfig returns config/NAME without its password.
func (e *Env) ReadDatabaseConfig(ctx context.Context, name string) (*dbengine.ConnConfig, error) {
	db, err := e.database()
	if err != nil {
		return nil, err
	}
	return db.ReadConfig(ctx, e.leaseEnv(), name)
}

// DeleteDatabaseConfig deletes config/NAME.
func (e *Env) DeleteDatabaseConfig(ctx context.Context, name string) error {
	db, err := e.database()
	if err != nil {
		return err
	}
	return db.DeleteConfig(ctx, e.leaseEnv(), name)
}

// ListDatabaseConfigs lists the configs' names.
func (e *Env) ListDatabaseConfigs(ctx context.Context) ([]string, error) {
	db, err := e.database()
	if err != nil {
		return nil, err
	}
	return db.ListConfigs(ctx, e.leaseEnv())
}

// WriteDatabaseRole stores roles/NAME.
func (e *Env) WriteDatabaseRole(ctx context.Context, name string, r dbengine.Role) error {
	db, err := e.database()
	if err != nil {
		return err
	}
	return db.WriteRole(ctx, e.leaseEnv(), name, r)
}

// ReadDatabaseRole returns roles/NAME.
func (e *Env) ReadDatabaseRole(ctx context.Context, name string) (*dbengine.Role, error) {
	db, err := e.database()
	if err != nil {
		return nil, err
	}
	return db.ReadRole(ctx, e.leaseEnv(), name)
}

// DeleteDatabaseRole deletes roles/NAME; its live users keep their leases.
func (e *Env) DeleteDatabaseRole(ctx context.Context, name string) error {
	db, err := e.database()
	if err != nil {
		return err
	}
	return db.DeleteRole(ctx, e.leaseEnv(), name)
}

// ListDatabaseRoles lists the roles' names.
func (e *Env) ListDatabaseRoles(ctx context.Context) ([]string, error) {
	db, err := e.database()
	if err != nil {
		return nil, err
	}
	return db.ListRoles(ctx, e.leaseEnv())
}

// DatabaseCreds makes a user of role name for c's token, with a lease that
// no longer than the token lives. Quotas answer a *lease.QuotaError; a
// database that cannot be reached a *dbengine.UnavailableError, with no
// lease and no user left behind.
func (e *Env) DatabaseCreds(ctx context.Context, c *Caller, name string) (*dbengine.Creds, error) {
	db, err := e.database()
	if err != nil {
		return nil, err
	}
	return db.Creds(ctx, e.leaseEnv(), name, dbengine.Requester{
		Token:        c.Token.Accessor,
		Identity:     leaseIdentity(c.Token),
		TokenExpires: c.Token.ExpiresAt,
	})
}

// RotateDatabaseRoot gives config name's admin a password only ward knows.
func (e *Env) RotateDatabaseRoot(ctx context.Context, name string) error {
	db, err := e.database()
	if err != nil {
		return err
	}
	return db.RotateRoot(ctx, e.leaseEnv(), name)
}
