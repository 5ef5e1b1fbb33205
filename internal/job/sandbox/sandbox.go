// Package sandbox is the isolating init of ward run's token isolation: the
// first process of the new user, mount and PID namespaces in which a child
// runs without seeing the files ward hides from it (the token file).
//
// Package job starts it (ward's own binary again, through /proc/self/exe)
// with Setup's environment, the report pipe as descriptor ReportFD and the
// child's argv as its own. Its init function sees InitEnv and runs the init
// instead of the program: it hides the files, drops every capability,
// starts the child, reports on the pipe, waits for the child and exits with
// its status. isolate_linux.go in package job tells the whole story.
//
// The package imports nothing but errors, os, os/signal, runtime and
// syscall (not even strings or strconv), so that Go initialises it among
// the first packages of the binary, before the costly inits of the rest of
// ward: the spec's order is by import path among the packages whose
// imports are done, and a package named late in the alphabet, like
// strings, waits for every earlier one that is ready. A binary that uses job.Supervise
// with Child.Hide imports it through package job; nothing needs to call it.
package sandbox

import "errors"

const (
	// InitEnv is set to "1" in the init's environment.
	InitEnv = "WARD_JOB_SANDBOX"
	// HideEnv lists the files to hide, as EncodeList writes them.
	HideEnv = "WARD_JOB_SANDBOX_HIDE"
	// ReportFD is the descriptor of the init's report pipe: nothing is
	// written to it when the child runs, else why not. It is closed when
	// the child has started.
	ReportFD = 3
	// StartedMsg begins the report when the child itself could not be
	// started (the program is missing): not an isolation failure.
	StartedMsg = "start: "
)

// EncodeList encodes paths for HideEnv: each as its length in bytes in
// decimal, a colon and the path ("5:/a/b1"...), which no byte of a path
// can confuse and which an environment variable can carry (a NUL cannot).
func EncodeList(paths []string) string {
	var b []byte
	for _, p := range paths {
		b = appendDecimal(b, len(p))
		b = append(b, ':')
		b = append(b, p...)
	}
	return string(b)
}

// errBadList says that HideEnv is not what EncodeList writes.
var errBadList = errors.New("malformed list of files to hide")

// decodeList reads what EncodeList wrote.
func decodeList(s string) ([]string, error) {
	var out []string
	for s != "" {
		size, i := 0, 0
		for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
			if i > 0 && size == 0 || size > len(s) {
				return nil, errBadList // a leading zero, or longer than what is left
			}
			size = size*10 + int(s[i]-'0')
		}
		if i == 0 || i == len(s) || s[i] != ':' || size > len(s)-i-1 {
			return nil, errBadList
		}
		s = s[i+1:]
		out = append(out, s[:size])
		s = s[size:]
	}
	return out, nil
}

func appendDecimal(b []byte, n int) []byte {
	if n >= 10 {
		b = appendDecimal(b, n/10)
	}
	return append(b, byte('0'+n%10))
}
