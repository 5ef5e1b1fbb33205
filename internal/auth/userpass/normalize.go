package userpass

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// MaxNameLen bounds a normalised user name, in bytes.
const MaxNameLen = 64

// ErrBadName is wrapped by every error Normalize returns.
var ErrBadName = errors.New("invalid user name")

// NameError says why Normalize refused a name. It never quotes the name:
// a password typed into the name field by mistake must not reach a log.
type NameError struct{ Reason string }

func (e *NameError) Error() string {
	return "invalid user name: " + e.Reason + "; a user name is letters, digits and . _ - @ (case and width are ignored)"
}

func (e *NameError) Unwrap() error { return ErrBadName }

// fold case-folds s. A cases.Caser is not safe for concurrent use, so each
// call makes its own.
func fold(s string) string { return cases.Fold().String(s) }

// Normalize returns the one name that name stands for: NFKC, case folded,
// NFKC again (folding can un-normalise), with surrounding white space
// trimmed. The result must be 1 to MaxNameLen bytes of ASCII letters,
// digits and ". _ - @", else a *NameError.
func Normalize(name string) (string, error) {
	if !utf8.ValidString(name) {
		return "", &NameError{"it is not valid UTF-8"}
	}
	if len(name) > 4*MaxNameLen {
		return "", &NameError{fmt.Sprintf("longer than %d bytes", MaxNameLen)}
	}
	n := norm.NFKC.String(fold(norm.NFKC.String(name)))
	n = strings.TrimSpace(n)
	switch {
	case n == "":
		return "", &NameError{"it is empty"}
	case len(n) > MaxNameLen:
		return "", &NameError{fmt.Sprintf("longer than %d bytes", MaxNameLen)}
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' || c == '@') {
			return "", &NameError{fmt.Sprintf("character %d is not allowed", utf8.RuneCountInString(n[:i])+1)}
		}
	}
	if n == "." || n == ".." {
		return "", &NameError{`"." and ".." are not names`}
	}
	return n, nil
}
