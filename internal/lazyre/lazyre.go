// Package lazyre compiles a package's regular expressions on first use
// rather than at init. A bounded repetition such as [a-z0-9_-]{0,63}
// compiles into one instruction per repetition: 50 to 200 µs each, paid at
// every start of the ward binary, by every command, whether it checks a
// name or not.
package lazyre

import (
	"regexp"
	"sync"
)

// New returns a function that compiles expr the first time it is called
// (panicking, as regexp.MustCompile does, if expr is not valid) and
// returns the same *regexp.Regexp on every call.
func New(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
