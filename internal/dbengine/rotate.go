package dbengine

import (
	"context"

	"github.com/wardhq/ward/internal/lease"
)

// RotateRoot gives config name's admin a new random password, set in the
// database and stored only in ward. The new password is stored as pending
// before the database is changed, so an interruption at any point leaves
// a password that works (see conn).
func (e *Engine) RotateRoot(ctx context.Context, env lease.Env, name string) error {
	if err := checkName("name", name); err != nil {
		return err
	}
	c, err := e.loadConfig(ctx, env, name)
	if err != nil {
		return err
	}
	if c.Username == "" || c.Password == "" {
		return &FieldError{Field: "password", Reason: "config " + name + " has no username and password to rotate"}
	}
	conn, err := e.conn(ctx, env, name, c)
	if err != nil {
		return err
	}
	defer conn.Release()
	next, err := randomString(e.cfg.Rand, c.PasswordLength, c.PasswordCharset)
	if err != nil {
		return err
	}
	rendered, err := c.passwordValue(e.cfg.Rand, next)
	if err != nil {
		return err
	}
	c.PendingPassword = next
	if err := e.storeConfig(ctx, env, name, c); err != nil {
		return err
	}
	stmts := c.RootRotationStatements
	if len(stmts) == 0 {
		stmts = DefaultRootRotation
	}
	if err := execAll(ctx, conn, "", "root rotation", stmts, vars{name: c.Username, password: rendered}, nil, c.Password, next); err != nil {
		c.PendingPassword = ""
		if serr := e.storeConfig(context.WithoutCancel(ctx), env, name, c); serr != nil {
			e.cfg.Logger.Warn("database config: clearing a failed rotation", "env", env.Name, "config", name, "error", serr.Error())
		}
		return err
	}
	c.Password, c.PendingPassword = next, ""
	if err := e.storeConfig(context.WithoutCancel(ctx), env, name, c); err != nil {
		return err // the pending password stays stored, and is promoted on next connect
	}
	e.pools.drop(env.ID, name)
	return nil
}
