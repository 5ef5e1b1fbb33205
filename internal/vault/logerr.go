package vault

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// ErrorLogArgs returns args followed by the slog arguments that describe
// err in a log line:
// "error_type", its Go type, and "error", its message when the message is
// public. ward's own packages promise public messages (paths, names,
// fields and rules, never a value or a token), and so do the operating
// system's errors (a file name and an errno) and errors.New's constant
// texts. An error from any other package may quote its input, so when
// one is anywhere in err's chain the message is left out and only the
// types are logged.
func ErrorLogArgs(err error, args ...any) []any {
	if err == nil {
		return args
	}
	if !publicChain(err) {
		return append(args, "error_type", chainTypes(err))
	}
	return append(args, "error", err.Error(), "error_type", fmt.Sprintf("%T", err))
}

// publicPackages are the packages, besides ward's own, whose error
// messages carry no request or secret data.
var publicPackages = map[string]bool{
	"errors": true, "fmt": true, "io": true, "io/fs": true, "os": true,
	"syscall": true, "context": true, "net": true,
}

const modulePrefix = "github.com/wardhq/ward/"

func publicChain(err error) bool {
	ok := true
	walkChain(err, func(e error) {
		t := reflect.TypeOf(e)
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		p := t.PkgPath()
		if !publicPackages[p] && !strings.HasPrefix(p, modulePrefix) {
			ok = false
		}
	})
	return ok
}

func chainTypes(err error) string {
	var names []string
	walkChain(err, func(e error) { names = append(names, fmt.Sprintf("%T", e)) })
	return strings.Join(names, " > ")
}

// walkChain calls fn on err and every error it wraps, through Unwrap()
// error and Unwrap() []error.
func walkChain(err error, fn func(error)) {
	for err != nil {
		fn(err)
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walkChain(e, fn)
			}
			return
		}
		err = errors.Unwrap(err)
	}
}
