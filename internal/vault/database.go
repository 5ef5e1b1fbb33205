package vault

import (
	"context"
	"errors"

	"github.com/wardhq/ward/internal/dbengine"
	"github.com/wardhq/ward/internal/lease"
	"github.com/wardhq/ward/internal/rotate"
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

// WriteStaticRole stores static-roles/NAME and, when it is new or its users
// changed, sets a password only ward knows at once.
func (e *Env) WriteStaticRole(ctx context.Context, name string, r dbengine.StaticRole) error {
	db, err := e.database()
	if err != nil {
		return err
	}
	return db.WriteStaticRole(ctx, e.leaseEnv(), name, r, e.v.cfg.Now())
}

// ReadStaticRole returns static-roles/NAME.
func (e *Env) ReadStaticRole(ctx context.Context, name string) (*dbengine.StaticRole, error) {
	db, err := e.database()
	if err != nil {
		return nil, err
	}
	return db.ReadStaticRole(ctx, e.leaseEnv(), name)
}

// ListStaticRoles lists the static roles' names.
func (e *Env) ListStaticRoles(ctx context.Context) ([]string, error) {
	db, err := e.database()
	if err != nil {
		return nil, err
	}
	return db.ListStaticRoles(ctx, e.leaseEnv())
}

// DeleteStaticRole disables every password of static role name at its
// database (both users of a pair stop logging in) and deletes it.
func (e *Env) DeleteStaticRole(ctx context.Context, name string) error {
	db, err := e.database()
	if err != nil {
		return err
	}
	return db.DeleteStaticRole(ctx, e.leaseEnv(), name)
}

// StaticCredentials returns static-creds/NAME: the current user and
// password.
func (e *Env) StaticCredentials(ctx context.Context, c *Caller, name string) (*dbengine.StaticCreds, error) {
	db, err := e.database()
	if err != nil {
		return nil, err
	}
	cr, err := db.StaticCredentials(ctx, e.leaseEnv(), name)
	if errors.Is(err, dbengine.ErrNotFound) {
		if t, terr := e.Tombstone(ctx, rotate.StaticPrefix+name); terr == nil && t != nil {
			return nil, &RetiredError{Tombstone: t}
		}
	}
	return cr, err
}

// RotateStaticRole gives static role name a new password now, through the
// rotation engine (audited; the previous user of a pair stays valid for
// the overlap).
func (e *Env) RotateStaticRole(ctx context.Context, c *Caller, name string) (*rotate.Result, error) {
	if _, err := e.ReadStaticRole(ctx, name); err != nil {
		return nil, err
	}
	return staticEngine{e.v}.RotateItem(ctx, rotate.Item{Kind: "static-role", Env: e.Name, Path: rotate.StaticPrefix + name},
		rotate.Options{Reason: "manual by " + callerName(c)})
}
