package dbengine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardhq/ward/internal/lease"
	"github.com/wardhq/ward/internal/storage"
)

// Static roles: static-roles/NAME ties an existing database user to a
// password only ward knows, rotated every rotation_period, as in Vault.
// ward adds alternate_username: a second user with the same grants. Each
// rotation then gives the new password to the idle one of the two and
// makes it current, so the previous user and password keep working through
// the overlap (default 24 h), after which ward retires them (password NULL,
// sessions ended). Without an alternate the one user's password changes in
// place, and the old password stops working at once.
//
// A rotation is crash-safe: the new password is stored as pending, sealed,
// before the database is changed; whoever next loads the role logs in with
// the pending password and keeps it if the database accepted it, or drops
// it otherwise. So the current credential always logs in.

// DefaultStaticRotation sets a static role's new password.
var DefaultStaticRotation = []string{`ALTER ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}'`}

// DefaultStaticRetirement disables a retired user's password.
var DefaultStaticRetirement = []string{`ALTER ROLE "{{name}}" WITH PASSWORD NULL`}

// DefaultStaticOverlap is how long the previous user of an alternating
// static role stays valid.
const DefaultStaticOverlap = 24 * time.Hour

// StaticRole is static-roles/NAME.
type StaticRole struct {
	DBName             string        `json:"db_name"`
	Username           string        `json:"username"`
	RotationPeriod     time.Duration `json:"rotation_period"`               // 0: rotated only on request
	RotationStatements []string      `json:"rotation_statements,omitempty"` // none: DefaultStaticRotation
	// AlternateUsername is ward's: the idle user of an alternating pair.
	AlternateUsername string        `json:"alternate_username,omitempty"`
	Overlap           time.Duration `json:"overlap,omitempty"` // 0: DefaultStaticOverlap
	// RetirementStatements disable a retired user; none:
	// DefaultStaticRetirement.
	RetirementStatements []string `json:"retirement_statements,omitempty"`
}

// StaticCreds is static-creds/NAME: the current user and password.
type StaticCreds struct {
	Username         string        `json:"username"`
	Password         string        `json:"password"`
	LastRotation     time.Time     `json:"last_vault_rotation"`
	RotationPeriod   time.Duration `json:"rotation_period"`
	PreviousUsername string        `json:"previous_username,omitempty"` // valid until PreviousRetireAt
	PreviousRetireAt time.Time     `json:"previous_retire_at,omitzero"` // zero: none
	previousPassword string
}

// staticCred is one user and its password.
type staticCred struct {
	User     string    `json:"user"`
	Password string    `json:"password"`
	At       time.Time `json:"at"` // set current at; for Previous: retire at
}

// staticState is the sealed record of a static role.
type staticState struct {
	Role     StaticRole  `json:"role"`
	Current  *staticCred `json:"current,omitempty"`
	Previous *staticCred `json:"previous,omitempty"`
	Pending  *staticCred `json:"pending,omitempty"`
}

func staticKey(envID, name string) string { return "env/" + envID + "/database/static-roles/" + name }

func (e *Engine) checkStaticRole(ctx context.Context, env lease.Env, name string, r *StaticRole) (*ConnConfig, error) {
	for field, v := range map[string]string{"name": name, "db_name": r.DBName} {
		if err := checkName(field, v); err != nil {
			return nil, err
		}
	}
	if r.Username == "" || len(r.Username) > 63 {
		return nil, &FieldError{Field: "username", Reason: "want the name of an existing database user, 1..63 bytes"}
	}
	if len(r.AlternateUsername) > 63 || r.AlternateUsername == r.Username {
		return nil, &FieldError{Field: "alternate_username", Reason: "want a second existing database user, other than username, at most 63 bytes"}
	}
	if r.RotationPeriod < 0 || r.RotationPeriod > 0 && r.RotationPeriod < 5*time.Second {
		return nil, &FieldError{Field: "rotation_period", Reason: "want 0 (on request only) or at least 5s"}
	}
	if r.Overlap < 0 {
		return nil, &FieldError{Field: "overlap", Reason: "negative"}
	}
	for field, stmts := range map[string][]string{"rotation_statements": r.RotationStatements, "retirement_statements": r.RetirementStatements} {
		if err := checkStatements(field, stmts); err != nil {
			return nil, err
		}
	}
	c, err := e.loadConfig(ctx, env, r.DBName)
	if errors.Is(err, ErrNotFound) {
		return nil, &FieldError{Field: "db_name", Reason: fmt.Sprintf("no database config %q in environment %q", r.DBName, env.Name), Hint: "write config/" + r.DBName + " first"}
	}
	if err != nil {
		return nil, err
	}
	if !c.allows(name) {
		return nil, fmt.Errorf("%w: config %q does not list static role %q in allowed_roles\nhint: add it to the config's allowed_roles", ErrRoleNotAllowed, r.DBName, name)
	}
	return c, nil
}

// WriteStaticRole stores static role name of env and, when it is new or
// its users changed, rotates its password at once (at is the time), so
// that only ward knows it: as Vault does.
func (e *Engine) WriteStaticRole(ctx context.Context, env lease.Env, name string, r StaticRole, at time.Time) error {
	if _, err := e.checkStaticRole(ctx, env, name, &r); err != nil {
		return err
	}
	unlock := e.staticLock(env, name)
	defer unlock()
	st, err := e.loadStatic(ctx, env, name)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	fresh := st == nil || st.Role.Username != r.Username || st.Role.AlternateUsername != r.AlternateUsername
	if st == nil {
		st = &staticState{}
	}
	st.Role = r
	if fresh {
		st.Current, st.Previous, st.Pending = nil, nil, nil
	}
	if err := e.store(ctx, staticKey(env.ID, name), st); err != nil {
		return err
	}
	if fresh {
		_, err = e.rotateStaticLocked(ctx, env, name, st, at, true)
	}
	return err
}

// ReadStaticRole returns static role name of env.
func (e *Engine) ReadStaticRole(ctx context.Context, env lease.Env, name string) (*StaticRole, error) {
	st, err := e.loadStatic(ctx, env, name)
	if err != nil {
		return nil, err
	}
	return &st.Role, nil
}

// ListStaticRoles returns the names of env's static roles, sorted.
func (e *Engine) ListStaticRoles(ctx context.Context, env lease.Env) ([]string, error) {
	return e.cfg.Storage.List(ctx, staticKey(env.ID, ""))
}

// DeleteStaticRole retires every credential of static role name (both
// users stop logging in) and deletes it.
func (e *Engine) DeleteStaticRole(ctx context.Context, env lease.Env, name string) error {
	unlock := e.staticLock(env, name)
	defer unlock()
	st, err := e.loadStatic(ctx, env, name)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, cr := range []*staticCred{st.Previous, st.Current, st.Pending} {
		if cr != nil {
			if err := e.disableStatic(ctx, env, st, cr.User); err != nil {
				return err
			}
		}
	}
	return e.cfg.Storage.Delete(ctx, staticKey(env.ID, name))
}

// StaticCredentials returns static-creds/NAME: the current user and
// password. It finishes or drops a rotation a crash left pending.
func (e *Engine) StaticCredentials(ctx context.Context, env lease.Env, name string) (*StaticCreds, error) {
	unlock := e.staticLock(env, name)
	defer unlock()
	st, err := e.loadStaticRecovered(ctx, env, name)
	if err != nil {
		return nil, err
	}
	return st.creds(), nil
}

func (st *staticState) creds() *StaticCreds {
	c := &StaticCreds{RotationPeriod: st.Role.RotationPeriod}
	if st.Current != nil {
		c.Username, c.Password, c.LastRotation = st.Current.User, st.Current.Password, st.Current.At
	}
	if st.Previous != nil {
		c.PreviousUsername, c.PreviousRetireAt, c.previousPassword = st.Previous.User, st.Previous.At, st.Previous.Password
	}
	return c
}

// PreviousPassword is the previous credential's password, for a caller
// that verifies it no longer works after retirement.
func (c *StaticCreds) PreviousPassword() string { return c.previousPassword }

// RotateStatic gives static role name a new password now (at is the time)
// and returns the new credentials. With an alternate user and overlap, the
// previous user keeps working until RetireStatic after the overlap; with
// noOverlap (a compromise) it is retired at once. A database that cannot
// be reached leaves the current credential as it was (*UnavailableError).
func (e *Engine) RotateStatic(ctx context.Context, env lease.Env, name string, at time.Time, noOverlap bool) (*StaticCreds, error) {
	unlock := e.staticLock(env, name)
	defer unlock()
	st, err := e.loadStaticRecovered(ctx, env, name)
	if err != nil {
		return nil, err
	}
	return e.rotateStaticLocked(ctx, env, name, st, at, noOverlap)
}

func (e *Engine) rotateStaticLocked(ctx context.Context, env lease.Env, name string, st *staticState, at time.Time, noOverlap bool) (*StaticCreds, error) {
	c, err := e.loadConfig(ctx, env, st.Role.DBName)
	if err != nil {
		return nil, err
	}
	idle := st.Role.Username
	if st.Role.AlternateUsername != "" && st.Current != nil && st.Current.User == st.Role.Username {
		idle = st.Role.AlternateUsername
	}
	// The idle user may still be the previous one, in its overlap: a new
	// rotation ends that overlap now.
	password, err := randomString(e.cfg.Rand, c.PasswordLength, c.PasswordCharset)
	if err != nil {
		return nil, err
	}
	st.Pending = &staticCred{User: idle, Password: password, At: at.UTC()}
	if err := e.store(ctx, staticKey(env.ID, name), st); err != nil {
		return nil, err
	}
	if err := e.setStaticPassword(ctx, env, st, c, idle, password); err != nil {
		st.Pending = nil
		if serr := e.store(context.WithoutCancel(ctx), staticKey(env.ID, name), st); serr != nil {
			e.cfg.Logger.Warn("static role: clearing a failed rotation", "env", env.Name, "role", name, "error", serr.Error())
		}
		return nil, err
	}
	e.promoteStatic(st, at)
	if err := e.store(context.WithoutCancel(ctx), staticKey(env.ID, name), st); err != nil {
		return nil, err // the pending password stays stored and is promoted on next load
	}
	if noOverlap && st.Previous != nil {
		if err := e.retireStaticLocked(ctx, env, name, st); err != nil {
			return nil, err
		}
	}
	return st.creds(), nil
}

// promoteStatic makes the pending credential current; the old current
// becomes previous (valid for the overlap) when it is another user.
func (e *Engine) promoteStatic(st *staticState, at time.Time) {
	old := st.Current
	st.Current, st.Pending = st.Pending, nil
	st.Previous = nil
	if old != nil && old.User != st.Current.User {
		overlap := st.Role.Overlap
		if overlap == 0 {
			overlap = DefaultStaticOverlap
		}
		st.Previous = &staticCred{User: old.User, Password: old.Password, At: at.UTC().Add(overlap)}
	}
}

// RetireStatic retires static role name's previous credential if its
// overlap ended by at (or at once with force). It reports whether it
// retired one.
func (e *Engine) RetireStatic(ctx context.Context, env lease.Env, name string, at time.Time, force bool) (bool, error) {
	unlock := e.staticLock(env, name)
	defer unlock()
	st, err := e.loadStaticRecovered(ctx, env, name)
	if err != nil {
		return false, err
	}
	if st.Previous == nil || !force && at.Before(st.Previous.At) {
		return false, nil
	}
	return true, e.retireStaticLocked(ctx, env, name, st)
}

func (e *Engine) retireStaticLocked(ctx context.Context, env lease.Env, name string, st *staticState) error {
	if err := e.disableStatic(ctx, env, st, st.Previous.User); err != nil {
		return err
	}
	st.Previous = nil
	return e.store(ctx, staticKey(env.ID, name), st)
}

// disableStatic runs the retirement statements for user and ends its
// sessions.
func (e *Engine) disableStatic(ctx context.Context, env lease.Env, st *staticState, user string) error {
	c, err := e.loadConfig(ctx, env, st.Role.DBName)
	if err != nil {
		return err
	}
	conn, err := e.conn(ctx, env, st.Role.DBName, c)
	if err != nil {
		return err
	}
	defer conn.Release()
	stmts := st.Role.RetirementStatements
	if len(stmts) == 0 {
		stmts = DefaultStaticRetirement
	}
	if err := execAll(ctx, conn, user, "static retirement", stmts, vars{name: user}, nil); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, user)
	if err != nil {
		return e.unavailable(env, st.Role.DBName, c, err)
	}
	return nil
}

func (e *Engine) setStaticPassword(ctx context.Context, env lease.Env, st *staticState, c *ConnConfig, user, password string) error {
	conn, err := e.conn(ctx, env, st.Role.DBName, c)
	if err != nil {
		return err
	}
	defer conn.Release()
	rendered, err := c.passwordValue(e.cfg.Rand, password)
	if err != nil {
		return err
	}
	stmts := st.Role.RotationStatements
	if len(stmts) == 0 {
		stmts = DefaultStaticRotation
	}
	return execAll(ctx, conn, user, "static rotation", stmts, vars{name: user, password: rendered}, nil, password)
}

// StaticLogin logs in to static role name's database as user with
// password and returns nil if the database accepts them: how a rotation
// or a drill checks that a credential works or is dead.
func (e *Engine) StaticLogin(ctx context.Context, env lease.Env, name, user, password string) error {
	st, err := e.loadStatic(ctx, env, name)
	if err != nil {
		return err
	}
	c, err := e.loadConfig(ctx, env, st.Role.DBName)
	if err != nil {
		return err
	}
	return e.login(ctx, c, st.Role.DBName, user, password)
}

func (e *Engine) login(ctx context.Context, c *ConnConfig, dbName, user, password string) error {
	as := *c
	as.Username = user
	pc, err := as.poolConfig(password)
	if err != nil {
		return err
	}
	cc := pc.ConnConfig
	if cc.ConnectTimeout == 0 || cc.ConnectTimeout > e.cfg.ConnectTimeout {
		cc.ConnectTimeout = e.cfg.ConnectTimeout
	}
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		if isAuthFailure(err) {
			return fmt.Errorf("%w: user %q: the database refused the password", ErrLoginRefused, user)
		}
		return &UnavailableError{Config: dbName, Reason: Redact(err.Error(), password)}
	}
	return conn.Close(ctx)
}

// ErrLoginRefused: the database refused a user's password.
var ErrLoginRefused = errors.New("login refused")

func (e *Engine) loadStatic(ctx context.Context, env lease.Env, name string) (*staticState, error) {
	if err := checkName("name", name); err != nil {
		return nil, err
	}
	var st staticState
	if err := e.load(ctx, staticKey(env.ID, name), &st); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, notFound("static role", env.Name, name)
		}
		return nil, err
	}
	return &st, nil
}

// loadStaticRecovered loads a static role and settles a pending rotation:
// kept if the database accepts its password, dropped otherwise.
func (e *Engine) loadStaticRecovered(ctx context.Context, env lease.Env, name string) (*staticState, error) {
	st, err := e.loadStatic(ctx, env, name)
	if err != nil || st.Pending == nil {
		return st, err
	}
	c, err := e.loadConfig(ctx, env, st.Role.DBName)
	if err != nil {
		return nil, err
	}
	err = e.login(ctx, c, st.Role.DBName, st.Pending.User, st.Pending.Password)
	switch {
	case err == nil:
		e.promoteStatic(st, st.Pending.At)
	case errors.Is(err, ErrLoginRefused):
		st.Pending = nil
	default:
		return nil, err // cannot tell yet: the database is down
	}
	if err := e.store(ctx, staticKey(env.ID, name), st); err != nil {
		return nil, err
	}
	return st, nil
}

func (e *Engine) staticLock(env lease.Env, name string) func() {
	mu := e.configLock(env.ID, "static-role/"+name)
	mu.Lock()
	return mu.Unlock
}
