package policy

import (
	"errors"
	"fmt"
)

// Errors for policy names, tested with errors.Is.
var (
	ErrBadName      = errors.New("invalid policy name")
	ErrReservedName = errors.New("reserved policy name")
)

// RootName is the built-in policy that allows everything; no stored policy
// may take it.
const RootName = "root"

// ValidName reports whether name may name a stored policy: 1 to 64
// characters of [a-z0-9_-], starting with a letter or digit, and not "root".
// The error wraps ErrBadName or ErrReservedName.
func ValidName(name string) error {
	if name == RootName {
		return fmt.Errorf("%w: %q is the built-in policy that allows everything; choose another name", ErrReservedName, name)
	}
	switch {
	case name == "":
		return fmt.Errorf("%w: empty; give a name like ci-api", ErrBadName)
	case len(name) > 64:
		return fmt.Errorf("%w: longer than 64 characters", ErrBadName)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || i > 0 && (c == '-' || c == '_')
		if !ok {
			return fmt.Errorf("%w: %s: use lowercase letters, digits, '-' and '_', starting with a letter or digit",
				ErrBadName, quoteShort(name))
		}
	}
	return nil
}

// ValidGrant reports whether name may be listed among the policies a token,
// a user or a JWT role grants: the built-in "root", or a name ValidName
// accepts. Every place a policy name enters ward checks it here, so "Root",
// " ci" or "ci\x00" never reach a token and never look like a policy they
// are not. Whether root itself may be granted there is the caller's rule.
func ValidGrant(name string) error {
	if name == RootName {
		return nil
	}
	return ValidName(name)
}

// quoteShort quotes a public value for an error message, cut to a readable
// length.
func quoteShort(s string) string {
	const max = 48
	if len(s) > max {
		return fmt.Sprintf("%q...", s[:max])
	}
	return fmt.Sprintf("%q", s)
}
