package dbengine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wardhq/ward/internal/lazyre"
	"github.com/wardhq/ward/internal/lease"
	"github.com/wardhq/ward/internal/storage"
)

// PluginPostgreSQL is the one plugin this engine speaks, named as in Vault.
const PluginPostgreSQL = "postgresql-database-plugin"

// Defaults of ConnConfig's zero values.
const (
	DefaultPasswordLength  = 32
	DefaultPasswordCharset = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	DefaultMaxOpenConns    = 4
)

// DefaultRootRotation is the statement that sets the admin's new password.
var DefaultRootRotation = []string{`ALTER ROLE "{{username}}" WITH PASSWORD '{{password}}'`}

// ConnConfig is config/NAME: how the engine reaches a database as its
// admin. Password is write-only: ReadConfig leaves it empty.
type ConnConfig struct {
	PluginName string `json:"plugin_name"`
	// ConnectionURL is a PostgreSQL URL or keyword/value string in which
	// {{username}} and {{password}} stand for Username and Password. It
	// must not hold a password itself.
	ConnectionURL string   `json:"connection_url"`
	AllowedRoles  []string `json:"allowed_roles"` // role names, or "*"
	Username      string   `json:"username"`
	Password      string   `json:"password,omitempty"`
	// PasswordLength and PasswordCharset shape generated passwords (and
	// rotated admin passwords); 0 and "" take the defaults.
	PasswordLength  int    `json:"password_length,omitempty"`
	PasswordCharset string `json:"password_charset,omitempty"`
	// PasswordAuthentication is "password" (the default: {{password}} in
	// statements is the password) or "scram-sha-256" ({{password}} is its
	// SCRAM-SHA-256 verifier, computed by ward, so the password itself is
	// never sent to the database), as in Vault.
	PasswordAuthentication string `json:"password_authentication,omitempty"`
	// MaxOpenConnections caps the engine's connections to this database;
	// 0 means 4.
	MaxOpenConnections     int      `json:"max_open_connections,omitempty"`
	RootRotationStatements []string `json:"root_rotation_statements,omitempty"`
	// VerifyConnection: nil means true, WriteConfig connects first.
	VerifyConnection *bool `json:"verify_connection,omitempty"`

	// PendingPassword is the admin password being rotated to, kept until
	// the database has accepted it. Never returned.
	PendingPassword string `json:"pending_password,omitempty"`
}

var nameRE = lazyre.New(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// checkName checks a config or role name.
func checkName(field, name string) error {
	if !nameRE().MatchString(name) {
		return &FieldError{Field: field, Reason: fmt.Sprintf("%q: want 1..64 lowercase letters, digits, '-' or '_', starting with a letter or digit", name)}
	}
	return nil
}

const (
	placeholderUser     = "ward_username_placeholder"
	placeholderPassword = "ward_password_placeholder"
)

// check validates c, filling in defaults.
func (c *ConnConfig) check() error {
	if c.PluginName != PluginPostgreSQL {
		return &FieldError{Field: "plugin_name", Reason: fmt.Sprintf("%q is not supported", c.PluginName), Hint: "use " + PluginPostgreSQL}
	}
	if c.ConnectionURL == "" {
		return &FieldError{Field: "connection_url", Reason: "missing"}
	}
	if len(c.Username) > 63 || strings.ContainsAny(c.Username, "\"'\\\x00") {
		return &FieldError{Field: "username", Reason: fmt.Sprintf("%q: want at most 63 bytes, without quotes, backslashes or NUL", c.Username)}
	}
	if _, err := c.poolConfig(c.Password); err != nil {
		return err
	}
	if strings.Contains(c.ConnectionURL, "{{password}}") && c.Password == "" {
		return &FieldError{Field: "password", Reason: "connection_url has {{password}} but no password was given"}
	}
	for _, r := range c.AllowedRoles {
		if r != "*" {
			if err := checkName("allowed_roles", r); err != nil {
				return err
			}
		}
	}
	if c.PasswordLength == 0 {
		c.PasswordLength = DefaultPasswordLength
	}
	if c.PasswordCharset == "" {
		c.PasswordCharset = DefaultPasswordCharset
	}
	if err := checkPasswordPolicy(c.PasswordLength, c.PasswordCharset); err != nil {
		return err
	}
	switch c.PasswordAuthentication {
	case "":
		c.PasswordAuthentication = PasswordAuthPlain
	case PasswordAuthPlain, PasswordAuthSCRAM:
	default:
		return &FieldError{Field: "password_authentication", Reason: fmt.Sprintf("%q: want %q or %q", c.PasswordAuthentication, PasswordAuthPlain, PasswordAuthSCRAM)}
	}
	switch {
	case c.MaxOpenConnections == 0:
		c.MaxOpenConnections = DefaultMaxOpenConns
	case c.MaxOpenConnections < 0 || c.MaxOpenConnections > 256:
		return &FieldError{Field: "max_open_connections", Reason: fmt.Sprintf("%d: want 1..256", c.MaxOpenConnections)}
	}
	return checkStatements("root_rotation_statements", c.RootRotationStatements)
}

// poolConfig parses the connection URL with the admin's name and the given
// password in place of the templates. Its errors never quote the URL.
func (c *ConnConfig) poolConfig(password string) (*pgxpool.Config, error) {
	raw := strings.NewReplacer("{{username}}", placeholderUser, "{{password}}", placeholderPassword).Replace(c.ConnectionURL)
	pc, err := pgxpool.ParseConfig(raw)
	if err != nil {
		return nil, &FieldError{Field: "connection_url", Reason: "does not parse as a PostgreSQL URL or keyword/value string",
			Hint: "postgres://{{username}}:{{password}}@host:5432/dbname?sslmode=require"}
	}
	cc := pc.ConnConfig
	switch cc.Password {
	case placeholderPassword:
		cc.Password = password
	case "":
		cc.Password = password
	default:
		return nil, &FieldError{Field: "connection_url", Reason: "holds a password",
			Hint: "write {{password}} in the URL and give the password in the password field, where ward keeps it encrypted"}
	}
	if cc.User == placeholderUser || c.Username != "" && cc.User != c.Username {
		cc.User = c.Username
	}
	pc.MaxConns = int32(max(c.MaxOpenConnections, 1))
	return pc, nil
}

// passwordValue is what {{password}} renders as for password: the
// password, or its SCRAM verifier.
func (c *ConnConfig) passwordValue(rnd io.Reader, password string) (string, error) {
	if c.PasswordAuthentication == PasswordAuthSCRAM {
		return scramVerifier(rnd, password)
	}
	return password, nil
}

// allows reports whether the config lets role use it.
func (c *ConnConfig) allows(role string) bool {
	return slices.Contains(c.AllowedRoles, "*") || slices.Contains(c.AllowedRoles, role)
}

func configKey(envID, name string) string { return "env/" + envID + "/database/config/" + name }
func roleKey(envID, name string) string   { return "env/" + envID + "/database/roles/" + name }

// WriteConfig stores config name of env, after checking it and (unless
// VerifyConnection is false) connecting with it. A config written with no
// password keeps the one stored before.
func (e *Engine) WriteConfig(ctx context.Context, env lease.Env, name string, c ConnConfig) error {
	if err := checkName("name", name); err != nil {
		return err
	}
	if c.Password == "" {
		if old, err := e.loadConfig(ctx, env, name); err == nil {
			c.Password = old.Password
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	c.PendingPassword = ""
	if err := c.check(); err != nil {
		return err
	}
	if c.VerifyConnection == nil || *c.VerifyConnection {
		if err := e.ping(ctx, env, name, &c); err != nil {
			return err
		}
	}
	if err := e.storeConfig(ctx, env, name, &c); err != nil {
		return err
	}
	e.pools.drop(env.ID, name)
	return nil
}

// ReadConfig returns config name of env, without its passwords.
func (e *Engine) ReadConfig(ctx context.Context, env lease.Env, name string) (*ConnConfig, error) {
	c, err := e.loadConfig(ctx, env, name)
	if err != nil {
		return nil, err
	}
	c.Password, c.PendingPassword = "", ""
	return c, nil
}

// DeleteConfig deletes config name of env. Leases issued through it can
// no longer be revoked until a config of that name exists again: they
// stay in the lease manager's failed list.
func (e *Engine) DeleteConfig(ctx context.Context, env lease.Env, name string) error {
	if err := checkName("name", name); err != nil {
		return err
	}
	e.pools.drop(env.ID, name)
	return e.cfg.Storage.Delete(ctx, configKey(env.ID, name))
}

// ListConfigs returns the names of env's configs, sorted.
func (e *Engine) ListConfigs(ctx context.Context, env lease.Env) ([]string, error) {
	return e.cfg.Storage.List(ctx, configKey(env.ID, ""))
}

func (e *Engine) loadConfig(ctx context.Context, env lease.Env, name string) (*ConnConfig, error) {
	var c ConnConfig
	if err := e.load(ctx, configKey(env.ID, name), &c); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, notFound("database config", env.Name, name)
		}
		return nil, err
	}
	return &c, nil
}

func (e *Engine) storeConfig(ctx context.Context, env lease.Env, name string, c *ConnConfig) error {
	return e.store(ctx, configKey(env.ID, name), c)
}

func (e *Engine) load(ctx context.Context, key string, v any) error {
	ent, err := e.cfg.Storage.Get(ctx, key)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(ent.Value, v); err != nil {
		return fmt.Errorf("corrupt record %q: %w", key, err)
	}
	return nil
}

func (e *Engine) store(ctx context.Context, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return e.cfg.Storage.Put(ctx, &storage.Entry{Key: key, Value: b})
}
