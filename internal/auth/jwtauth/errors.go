package jwtauth

import (
	"errors"
	"fmt"
)

// Sentinel errors for a refused login. Every refusal wraps
// ErrInvalidToken, so a caller can answer all of them alike.
var (
	// ErrInvalidToken is wrapped by every reason a token is refused.
	ErrInvalidToken = errors.New("invalid JWT")
	// ErrKeysUnavailable: the issuer's keys could not be fetched and no
	// copy young enough is cached. It does not wrap ErrInvalidToken: the
	// token may be fine.
	ErrKeysUnavailable = errors.New("the issuer's keys are unavailable")
)

// RejectError says why a token was refused. Reason names the rule and the
// claim, never the token or a claim's value.
type RejectError struct {
	Reason string
}

func (e *RejectError) Error() string { return "invalid JWT: " + e.Reason }

// Unwrap makes every RejectError match ErrInvalidToken.
func (e *RejectError) Unwrap() error { return ErrInvalidToken }

func reject(format string, args ...any) error {
	return &RejectError{Reason: fmt.Sprintf(format, args...)}
}

// FieldError is a configuration or role that cannot be used: Field names
// the field in Vault's spelling, Problem says what is wrong and how to fix
// it.
type FieldError struct {
	Field, Problem string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Problem }
