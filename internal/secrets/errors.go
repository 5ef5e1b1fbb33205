package secrets

import (
	"errors"
	"fmt"
)

var (
	// ErrNotFound: no such secret, version, or listing; or the version asked
	// for is deleted or destroyed (then Get also returns its metadata).
	ErrNotFound = errors.New("secrets: not found")
	// ErrInvalidValue: a value or merge patch that is not a JSON object, or
	// not valid JSON, or has duplicate keys, trailing data or too deep
	// nesting. The message says which, with a byte offset, never the value.
	ErrInvalidValue = errors.New("secrets: invalid value")
	// ErrTooLarge: a value (or the result of a merge patch) longer than
	// Config.MaxValueSize.
	ErrTooLarge = errors.New("secrets: value too large")
	// ErrCASRequired: the secret or the engine requires check-and-set and
	// the write gave none.
	ErrCASRequired = errors.New("check-and-set parameter required for this call")
	// ErrBadVersion: a version number that cannot name a version (negative,
	// or 0 where a version must be named, or no versions given).
	ErrBadVersion = errors.New("secrets: bad version")
	// ErrInvalidPath: a path that is not canonical; the error is a *PathError.
	ErrInvalidPath = errors.New("secrets: invalid path")
	// ErrInvalidMetadata: a metadata or engine setting out of range
	// (negative max_versions or delete_version_after, custom metadata over
	// Vault's limits).
	ErrInvalidMetadata = errors.New("secrets: invalid metadata")
)

// CASError is returned when a write's check-and-set version does not match
// the secret's current version.
type CASError struct {
	Expected int // the CAS value the caller gave
	Current  int // the secret's CurrentVersion at the time of the write
}

func (e *CASError) Error() string {
	return fmt.Sprintf("check-and-set parameter did not match the current version (cas %d, current version %d)", e.Expected, e.Current)
}

// PathError is returned for a path that is not canonical.
type PathError struct {
	Path   string
	Reason string
}

func (e *PathError) Error() string {
	return fmt.Sprintf("secrets: invalid path %q: %s", e.Path, e.Reason)
}

func (e *PathError) Unwrap() error { return ErrInvalidPath }

func invalidValue(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidValue}, args...)...)
}

func invalidMetadata(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidMetadata}, args...)...)
}
