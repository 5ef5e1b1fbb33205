package dbengine

import (
	"context"
	"errors"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wardhq/ward/internal/lease"
)

// pools holds one connection pool per environment and config.
type pools struct {
	mu sync.Mutex
	m  map[string]*pgxpool.Pool // guarded by mu; by envID "/" config name
}

func newPools() *pools { return &pools{m: map[string]*pgxpool.Pool{}} }

func poolKey(envID, name string) string { return envID + "/" + name }

// drop closes and forgets the pool of envID's config name, if any.
func (p *pools) drop(envID, name string) {
	p.mu.Lock()
	pool := p.m[poolKey(envID, name)]
	delete(p.m, poolKey(envID, name))
	p.mu.Unlock()
	if pool != nil {
		go pool.Close() // waits for connections in use to come back
	}
}

func (p *pools) closeAll() {
	p.mu.Lock()
	all := p.m
	p.m = map[string]*pgxpool.Pool{}
	p.mu.Unlock()
	for _, pool := range all {
		pool.Close()
	}
}

// conn returns a connection to the database of env's config name (c). A
// database that cannot be reached is an *UnavailableError. If the admin
// password is refused and a rotation to PendingPassword was interrupted,
// the pending password is tried and, if it works, kept.
func (e *Engine) conn(ctx context.Context, env lease.Env, name string, c *ConnConfig) (*pgxpool.Conn, error) {
	key := poolKey(env.ID, name)
	e.pools.mu.Lock()
	pool := e.pools.m[key]
	e.pools.mu.Unlock()
	if pool == nil {
		var err error
		if pool, err = e.newPool(c, c.Password); err != nil {
			return nil, err
		}
		e.pools.mu.Lock()
		if existing := e.pools.m[key]; existing != nil {
			pool.Close()
			pool = existing
		} else {
			e.pools.m[key] = pool
		}
		e.pools.mu.Unlock()
	}
	conn, err := pool.Acquire(ctx)
	if err == nil {
		return conn, nil
	}
	if c.PendingPassword != "" && isAuthFailure(err) {
		if conn, perr := e.promotePending(ctx, env, name, c); perr == nil {
			return conn, nil
		}
	}
	return nil, e.unavailable(env, name, c, err)
}

// promotePending finishes an interrupted rotation: the database took the
// pending password, so it becomes the admin password.
func (e *Engine) promotePending(ctx context.Context, env lease.Env, name string, c *ConnConfig) (*pgxpool.Conn, error) {
	pool, err := e.newPool(c, c.PendingPassword)
	if err != nil {
		return nil, err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		pool.Close()
		return nil, err
	}
	c.Password, c.PendingPassword = c.PendingPassword, ""
	if err := e.storeConfig(ctx, env, name, c); err != nil {
		conn.Release()
		pool.Close()
		return nil, err
	}
	e.cfg.Logger.Info("database config: an interrupted root rotation was completed", "env", env.Name, "config", name)
	e.pools.mu.Lock()
	old := e.pools.m[poolKey(env.ID, name)]
	e.pools.m[poolKey(env.ID, name)] = pool
	e.pools.mu.Unlock()
	if old != nil {
		go old.Close()
	}
	return conn, nil
}

func (e *Engine) newPool(c *ConnConfig, password string) (*pgxpool.Pool, error) {
	pc, err := c.poolConfig(password)
	if err != nil {
		return nil, err
	}
	if pc.ConnConfig.ConnectTimeout == 0 || pc.ConnConfig.ConnectTimeout > e.cfg.ConnectTimeout {
		pc.ConnConfig.ConnectTimeout = e.cfg.ConnectTimeout
	}
	return pgxpool.NewWithConfig(context.Background(), pc)
}

// ping connects with c (not yet stored) and closes the connection.
func (e *Engine) ping(ctx context.Context, env lease.Env, name string, c *ConnConfig) error {
	pool, err := e.newPool(c, c.Password)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := pool.Ping(ctx); err != nil {
		return e.unavailable(env, name, c, err)
	}
	return nil
}

func (e *Engine) unavailable(env lease.Env, name string, c *ConnConfig, err error) error {
	return &UnavailableError{Env: env.Name, Config: name, Reason: Redact(err.Error(), c.Password, c.PendingPassword)}
}

// isAuthFailure reports whether err is PostgreSQL refusing a password.
func isAuthFailure(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "28P01" || pe.Code == "28000")
}
