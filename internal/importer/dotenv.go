package importer

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// dotenvKey is what a .env variable name may be.
var dotenvKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

// ParseDotEnv reads a .env file into one secret at path whose fields are
// the file's variables. name is the file's name, for errors.
//
// The format is the one docker compose and the dotenv libraries share:
// `KEY=value` lines, an optional `export ` before the key, blank lines and
// `#` comments; an unquoted value is trimmed and ends at ` #`; 'single
// quotes' are literal; "double quotes" understand \n, \t, \", \\ and \$ and
// may span lines. A key given twice is an error, not a silent override.
// Errors name the file, the line and the key, never a value.
func ParseDotEnv(r io.Reader, name, path string) (Secret, error) {
	data := map[string]any{}
	lineOf := map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	n := 0
	next := func() (string, bool) {
		if !sc.Scan() {
			return "", false
		}
		n++
		return sc.Text(), true
	}
	for {
		line, ok := next()
		if !ok {
			break
		}
		start := n
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		trimmed = strings.TrimPrefix(trimmed, "export ")
		key, rest, found := strings.Cut(trimmed, "=")
		key = strings.TrimSpace(key)
		if !found {
			return Secret{}, fmt.Errorf("%s:%d: want KEY=value", name, start)
		}
		if !dotenvKey.MatchString(key) {
			return Secret{}, fmt.Errorf("%s:%d: %q is not a variable name (letters, digits, _ . -, not starting with a digit)", name, start, key)
		}
		if first, dup := lineOf[key]; dup {
			return Secret{}, fmt.Errorf("%s:%d: %s is already set on line %d; give each variable once", name, start, key, first)
		}
		rest = strings.TrimLeft(rest, " \t")
		var value string
		switch {
		case strings.HasPrefix(rest, "'"):
			end := strings.IndexByte(rest[1:], '\'')
			if end < 0 {
				return Secret{}, fmt.Errorf("%s:%d: %s: the single quote is not closed on its line", name, start, key)
			}
			value = rest[1 : 1+end]
			if err := trailing(rest[2+end:]); err != nil {
				return Secret{}, fmt.Errorf("%s:%d: %s: %v", name, start, key, err)
			}
		case strings.HasPrefix(rest, `"`):
			var b strings.Builder
			s := rest[1:]
			for closed := false; !closed; {
				for i := 0; i < len(s); i++ {
					c := s[i]
					if c == '\\' && i+1 < len(s) {
						i++
						switch s[i] {
						case 'n':
							b.WriteByte('\n')
						case 't':
							b.WriteByte('\t')
						case 'r':
							b.WriteByte('\r')
						case '"', '\\', '$':
							b.WriteByte(s[i])
						default:
							b.WriteByte('\\')
							b.WriteByte(s[i])
						}
						continue
					}
					if c == '"' {
						if err := trailing(s[i+1:]); err != nil {
							return Secret{}, fmt.Errorf("%s:%d: %s: %v", name, n, key, err)
						}
						closed = true
						break
					}
					b.WriteByte(c)
				}
				if closed {
					break
				}
				more, ok := next()
				if !ok {
					return Secret{}, fmt.Errorf("%s:%d: %s: the double quote opened here is never closed", name, start, key)
				}
				b.WriteByte('\n')
				s = more
			}
			value = b.String()
		default:
			if i := strings.Index(rest, " #"); i >= 0 {
				rest = rest[:i]
			}
			value = strings.TrimSpace(rest)
		}
		data[key] = value
		lineOf[key] = start
	}
	if err := sc.Err(); err != nil {
		return Secret{}, fmt.Errorf("%s:%d: %w", name, n+1, err)
	}
	if len(data) == 0 {
		return Secret{}, fmt.Errorf("%s: no variables", name)
	}
	return Secret{Path: path, Data: data}, nil
}

// trailing checks what follows a closing quote: nothing but a comment.
func trailing(s string) error {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasPrefix(s, "#") {
		return nil
	}
	return fmt.Errorf("unexpected text after the closing quote")
}
