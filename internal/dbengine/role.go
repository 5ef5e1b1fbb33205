package dbengine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wardhq/ward/internal/lease"
	"github.com/wardhq/ward/internal/storage"
)

// Defaults of Role's zero values.
const (
	DefaultTTL    = time.Hour
	DefaultMaxTTL = 24 * time.Hour
)

// DefaultRevocation drops a generated user: it ends the user's sessions,
// drops what it owns and its privileges in the config's database, and then
// the user.
var DefaultRevocation = []string{
	`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{{name}}' AND pid <> pg_backend_pid()`,
	`DROP OWNED BY "{{name}}"`,
	`DROP ROLE "{{name}}"`,
}

// DefaultRenew moves a generated user's VALID UNTIL to the lease's new
// expiry.
var DefaultRenew = []string{`ALTER ROLE "{{name}}" VALID UNTIL '{{expiration}}'`}

// Role is roles/NAME: which config a generated user lives in, the
// statements that make, renew and drop it, and its lease's TTLs.
type Role struct {
	DBName               string        `json:"db_name"`
	CreationStatements   []string      `json:"creation_statements"`
	RevocationStatements []string      `json:"revocation_statements,omitempty"` // none: DefaultRevocation
	RenewStatements      []string      `json:"renew_statements,omitempty"`      // none: DefaultRenew
	DefaultTTL           time.Duration `json:"default_ttl"`                     // 0: DefaultTTL
	MaxTTL               time.Duration `json:"max_ttl"`                         // 0: DefaultMaxTTL
}

const (
	maxStatements   = 64
	maxStatementLen = 16 << 10
)

// checkStatements checks a list of statement templates.
func checkStatements(field string, stmts []string) error {
	if len(stmts) > maxStatements {
		return &FieldError{Field: field, Reason: fmt.Sprintf("%d statements, more than %d", len(stmts), maxStatements)}
	}
	for i, s := range stmts {
		switch {
		case strings.TrimSpace(s) == "":
			return &FieldError{Field: field, Reason: fmt.Sprintf("statement %d is empty", i+1)}
		case len(s) > maxStatementLen:
			return &FieldError{Field: field, Reason: fmt.Sprintf("statement %d is longer than %d bytes", i+1, maxStatementLen)}
		case strings.ContainsRune(s, 0):
			return &FieldError{Field: field, Reason: fmt.Sprintf("statement %d holds a NUL byte", i+1)}
		}
	}
	return nil
}

// check validates r as role name of a config that must exist and allow it.
func (e *Engine) checkRole(ctx context.Context, env lease.Env, name string, r *Role) error {
	if err := checkName("name", name); err != nil {
		return err
	}
	if err := checkName("db_name", r.DBName); err != nil {
		return err
	}
	if len(r.CreationStatements) == 0 {
		return &FieldError{Field: "creation_statements", Reason: "missing",
			Hint: `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'`}
	}
	for field, stmts := range map[string][]string{
		"creation_statements": r.CreationStatements, "revocation_statements": r.RevocationStatements, "renew_statements": r.RenewStatements,
	} {
		if err := checkStatements(field, stmts); err != nil {
			return err
		}
	}
	if !strings.Contains(strings.Join(r.CreationStatements, "\n"), "{{name}}") {
		return &FieldError{Field: "creation_statements", Reason: "never names the user {{name}}"}
	}
	switch {
	case r.DefaultTTL < 0:
		return &FieldError{Field: "default_ttl", Reason: "negative"}
	case r.MaxTTL < 0:
		return &FieldError{Field: "max_ttl", Reason: "negative"}
	}
	c, err := e.loadConfig(ctx, env, r.DBName)
	if errors.Is(err, ErrNotFound) {
		return &FieldError{Field: "db_name", Reason: fmt.Sprintf("no database config %q in environment %q", r.DBName, env.Name),
			Hint: "write config/" + r.DBName + " first"}
	}
	if err != nil {
		return err
	}
	if !c.allows(name) {
		return fmt.Errorf("%w: config %q does not list role %q in allowed_roles\nhint: add it to the config's allowed_roles", ErrRoleNotAllowed, r.DBName, name)
	}
	return nil
}

// WriteRole stores role name of env. Its config must exist and list it in
// allowed_roles.
func (e *Engine) WriteRole(ctx context.Context, env lease.Env, name string, r Role) error {
	if err := e.checkRole(ctx, env, name, &r); err != nil {
		return err
	}
	return e.store(ctx, roleKey(env.ID, name), &r)
}

// ReadRole returns role name of env.
func (e *Engine) ReadRole(ctx context.Context, env lease.Env, name string) (*Role, error) {
	if err := checkName("name", name); err != nil {
		return nil, err
	}
	var r Role
	if err := e.load(ctx, roleKey(env.ID, name), &r); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, notFound("database role", env.Name, name)
		}
		return nil, err
	}
	return &r, nil
}

// DeleteRole deletes role name of env. Its live leases keep what they need
// to be revoked.
func (e *Engine) DeleteRole(ctx context.Context, env lease.Env, name string) error {
	if err := checkName("name", name); err != nil {
		return err
	}
	return e.cfg.Storage.Delete(ctx, roleKey(env.ID, name))
}

// ListRoles returns the names of env's roles, sorted.
func (e *Engine) ListRoles(ctx context.Context, env lease.Env) ([]string, error) {
	return e.cfg.Storage.List(ctx, roleKey(env.ID, ""))
}

// ttls returns the role's TTL and max TTL with defaults.
func (r *Role) ttls() (ttl, maxTTL time.Duration) {
	ttl, maxTTL = r.DefaultTTL, r.MaxTTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	if maxTTL == 0 {
		maxTTL = DefaultMaxTTL
	}
	return ttl, maxTTL
}
