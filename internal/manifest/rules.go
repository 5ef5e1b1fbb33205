package manifest

import (
	"fmt"
	"os"
	"path"
	"strings"
)

// Each check returns "" when its input is acceptable, or what is wrong and
// how to fix it. The messages quote the input only where it is a name or a
// path, never where it could be a value.

const maxComponentName = 63

func checkComponentName(s string) string {
	if s == "" || len(s) > maxComponentName || !isLowerDigit(s[0]) {
		return fmt.Sprintf("component name %s must start with a lowercase letter or digit and be at most %d bytes", quoteName(s), maxComponentName)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isLowerDigit(c) && c != '_' && c != '-' {
			return fmt.Sprintf("component name %s may hold only a-z, 0-9, _ and -", quoteName(s))
		}
	}
	return ""
}

// languages are the values of language.
var languages = []string{"go", "rust", "other"}

func checkLanguage(s string) string {
	for _, l := range languages {
		if s == l {
			return ""
		}
	}
	return fmt.Sprintf("language %s is not go, rust or other%s", quoteName(s), didYouMean(s, languages))
}

// reservedEnv are variables a secret may not fill: each changes which
// programs run, how the shell or the dynamic loader behaves, or how the Go
// and Rust toolchains build. A secret there would break the build or hand
// control of it to whoever writes the value.
var reservedEnv = map[string]bool{
	"PATH": true, "HOME": true, "SHELL": true, "IFS": true, "ENV": true, "BASH_ENV": true,
	"CDPATH": true, "PS4": true, "PROMPT_COMMAND": true, "TMPDIR": true, "GCONV_PATH": true,
	"GODEBUG": true, "GOFLAGS": true, "GOTOOLCHAIN": true, "GOROOT": true, "GOPATH": true, "GOENV": true,
	"RUSTFLAGS": true, "RUSTDOCFLAGS": true, "RUSTC": true, "RUSTC_WRAPPER": true, "CARGO_HOME": true,
	"CARGO_ENCODED_RUSTFLAGS": true, "RUSTUP_HOME": true, "RUSTUP_TOOLCHAIN": true,
}

// reservedEnvPrefixes are families of such variables; WARD_ is ward's own.
var reservedEnvPrefixes = []string{"WARD_", "LD_", "DYLD_"}

func checkEnvName(s string) string {
	if s == "" || !(isUpper(s[0]) || s[0] == '_') {
		return fmt.Sprintf("env var name %s must start with A-Z or _", quoteName(s))
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isUpper(c) && !isDigit(c) && c != '_' {
			return fmt.Sprintf("env var name %s may hold only A-Z, 0-9 and _", quoteName(s))
		}
	}
	for _, p := range reservedEnvPrefixes {
		if strings.HasPrefix(s, p) {
			if p == "WARD_" {
				return fmt.Sprintf("env var %s is reserved: WARD_* variables are ward's own", s)
			}
			return fmt.Sprintf("env var %s is refused: %s* variables control the dynamic loader", s, p)
		}
	}
	if reservedEnv[s] {
		return fmt.Sprintf("env var %s is refused: it changes which programs run or how; pick another name and read it in your program", s)
	}
	return ""
}

const maxPath = 255

// checkFilePath checks a path under the secrets directory.
func checkFilePath(s string) string {
	switch {
	case s == "":
		return "a file path is empty"
	case len(s) > maxPath:
		return fmt.Sprintf("file path %s is longer than %d bytes", quoteName(s), maxPath)
	case strings.HasPrefix(s, "/"):
		return fmt.Sprintf("file path %s must be relative: it goes under $WARD_SECRETS_DIR", quoteName(s))
	}
	segs := strings.Split(s, "/")
	for _, seg := range segs {
		if seg == ".." {
			return fmt.Sprintf("file path %s must not hold \"..\": it stays under $WARD_SECRETS_DIR", quoteName(s))
		}
	}
	if path.Clean(s) != s {
		return fmt.Sprintf("file path %s is not clean; write %s", quoteName(s), quoteName(path.Clean(s)))
	}
	for _, seg := range segs {
		if !pathSegment(seg) {
			return fmt.Sprintf("file path %s may hold only A-Z, a-z, 0-9, '.', '_', '-' and '/'", quoteName(s))
		}
	}
	return ""
}

// checkSecretPath checks a from: path, a secret's path inside an environment.
func checkSecretPath(s string) string {
	switch {
	case s == "":
		return "from is empty; name a secret path like payments/db"
	case len(s) > maxPath:
		return fmt.Sprintf("secret path %s is longer than %d bytes", quoteName(s), maxPath)
	case strings.HasPrefix(s, "/") || strings.HasSuffix(s, "/"):
		return fmt.Sprintf("secret path %s must not start or end with '/'; write %s", quoteName(s), quoteName(strings.Trim(s, "/")))
	}
	for _, seg := range strings.Split(s, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Sprintf("secret path %s has an empty, '.' or '..' segment", quoteName(s))
		}
		if !pathSegment(seg) {
			return fmt.Sprintf("secret path %s may hold only A-Z, a-z, 0-9, '.', '_', '-' and '/'", quoteName(s))
		}
	}
	return ""
}

// checkMode parses a file mode written as four octal digits.
func checkMode(s string) (os.FileMode, string) {
	if len(s) != 4 || s[0] != '0' {
		return 0, `mode must be four octal digits in quotes, like "0600" or "0400"`
	}
	var m os.FileMode
	for i := 1; i < 4; i++ {
		if s[i] < '0' || s[i] > '7' {
			return 0, `mode must be four octal digits in quotes, like "0600" or "0400"`
		}
		m = m<<3 | os.FileMode(s[i]-'0')
	}
	switch {
	case m&0o400 == 0:
		return 0, fmt.Sprintf("mode %s does not let the owner read the file; use \"0600\" or \"0400\"", s)
	case m&0o020 != 0:
		return 0, fmt.Sprintf("mode %s lets the group write the secret; use \"0600\", \"0400\" or \"0640\"", s)
	case m&0o007 != 0:
		return 0, fmt.Sprintf("mode %s gives other users access to the secret; use \"0600\", \"0400\" or \"0640\"", s)
	}
	return m, ""
}

// checkField checks a field name: any non-empty key of the secret's object.
func checkField(s string) string {
	if s == "" {
		return "field is empty; leave it out to get the whole secret as JSON"
	}
	if len(s) > maxPath {
		return fmt.Sprintf("field is longer than %d bytes", maxPath)
	}
	return ""
}

// checkType checks the name of a JSON Schema type.
func checkType(s string) string {
	if s == "" || len(s) > 128 {
		return "type must be a schema name of 1 to 128 bytes, like postgres"
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isLowerDigit(c) && !isUpper(c) && !strings.ContainsRune("._-/", rune(c)) {
			return fmt.Sprintf("type %s may hold only A-Z, a-z, 0-9, '.', '_', '-' and '/'", quoteName(s))
		}
	}
	return ""
}

func pathSegment(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isLowerDigit(c) && !isUpper(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

func isUpper(c byte) bool      { return 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool      { return '0' <= c && c <= '9' }
func isLowerDigit(c byte) bool { return 'a' <= c && c <= 'z' || isDigit(c) }
