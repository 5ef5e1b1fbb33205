package sandbox

import (
	"errors"
	"os"
	"syscall"
)

// lookPath finds the program to start as os/exec's LookPath does (this
// package imports neither it nor strings: see the package doc): a name
// with a slash as it is, else the first file of that name in PATH (from
// env) that may be executed; one found through a relative entry ("",
// ".") is refused, as exec.ErrDot refuses it.
func lookPath(file string, env []string) (string, error) {
	if hasSlash(file) {
		if err := executable(file); err != nil {
			return "", &pathError{file, err}
		}
		return file, nil
	}
	path := getenv(env, "PATH")
	for more := path != ""; more; {
		var dir string
		dir, path, more = cut(path, ':')
		if dir == "" {
			dir = "."
		}
		if p := dir + "/" + file; executable(p) == nil {
			if p[0] != '/' {
				return "", &pathError{file, errors.New("cannot run executable found relative to current directory")}
			}
			return p, nil
		}
	}
	return "", &pathError{file, errors.New("executable file not found in $PATH")}
}

// executable says whether path is a file the caller may execute.
func executable(path string) error {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return &os.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&syscall.S_IFMT == syscall.S_IFDIR || st.Mode&0o111 == 0 {
		return syscall.EACCES
	}
	const xOK = 1
	return syscall.Access(path, xOK)
}

func hasSlash(s string) bool {
	_, _, found := cut(s, '/')
	return found
}

// cut is strings.Cut for one byte.
func cut(s string, sep byte) (before, after string, found bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// getenv is the value of key in env, "" when unset.
func getenv(env []string, key string) string {
	for _, kv := range env {
		if hasKey(kv, key) {
			return kv[len(key)+1:]
		}
	}
	return ""
}

// pathError is exec.Error's message: the program named and why.
type pathError struct {
	name string
	err  error
}

func (e *pathError) Error() string { return "exec: " + quote(e.name) + ": " + e.err.Error() }

// quote is strconv.Quote for ASCII: quotes, backslashes and control
// bytes are escaped (\n, \x01), other bytes kept.
func quote(s string) string {
	const hex = "0123456789abcdef"
	b := []byte{'"'}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case '\a' <= c && c <= '\r':
			b = append(b, '\\', "abtnvfr"[c-'\a'])
		case c < 0x20 || c == 0x7f:
			b = append(b, '\\', 'x', hex[c>>4], hex[c&15])
		default:
			b = append(b, c)
		}
	}
	return string(append(b, '"'))
}
