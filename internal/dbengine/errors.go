package dbengine

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors; the detailed ones below wrap them.
var (
	// ErrNotFound: no such config or role.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: a config or role that cannot be stored (a *FieldError).
	ErrInvalid = errors.New("invalid request")
	// ErrRoleNotAllowed: the role's config does not list it in
	// allowed_roles.
	ErrRoleNotAllowed = errors.New("role not allowed by its database config")
	// ErrUnavailable: the database cannot be reached (an *UnavailableError).
	ErrUnavailable = errors.New("database unavailable")
	// ErrStatement: a statement failed in the database (a *StatementError).
	ErrStatement = errors.New("database statement failed")
)

// FieldError says which field of a config or role is wrong and why.
type FieldError struct {
	Field  string
	Reason string
	Hint   string
}

func (e *FieldError) Error() string {
	msg := fmt.Sprintf("%s: %s", e.Field, e.Reason)
	if e.Hint != "" {
		msg += "\nhint: " + e.Hint
	}
	return msg
}

func (e *FieldError) Unwrap() error { return ErrInvalid }

// UnavailableError: the database of config Config in environment Env could
// not be reached. Reason is the driver's message with every password
// removed.
type UnavailableError struct {
	Env, Config string
	Reason      string
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("database config %q of environment %q is unreachable: %s\nhint: check that the database is up and that the config's connection_url and username are right", e.Config, e.Env, e.Reason)
}

func (e *UnavailableError) Unwrap() error { return ErrUnavailable }

// StatementError: statement Index (from 1) of a role's Which statements
// ("creation", "revocation", "renew", "root rotation") failed. Code is the
// SQLSTATE, Message PostgreSQL's message with every password removed.
type StatementError struct {
	Role    string
	Which   string
	Index   int
	Code    string
	Message string
}

func (e *StatementError) Error() string {
	return fmt.Sprintf("%s statement %d of role %q failed: SQLSTATE %s: %s", e.Which, e.Index, e.Role, e.Code, e.Message)
}

func (e *StatementError) Unwrap() error { return ErrStatement }

func notFound(what, env, name string) error {
	return fmt.Errorf("%w: %s %q in environment %q", ErrNotFound, what, name, env)
}

// Redact returns msg with every non-empty secret replaced by "[redacted]".
func Redact(msg string, secrets ...string) string {
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
		}
	}
	return msg
}
