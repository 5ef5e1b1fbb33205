package importer

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseDotEnv(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     map[string]any
	}{
		{"plain", "A=1\nB=two words\n", map[string]any{"A": "1", "B": "two words"}},
		{"export, comments, blanks", "# config\n\nexport A=x\n  B = y # note\n", map[string]any{"A": "x", "B": "y"}},
		{"hash inside a value", "URL=http://h/#frag\n", map[string]any{"URL": "http://h/#frag"}},
		{"single quotes are literal", `A='a\nb # not a comment'` + "\n", map[string]any{"A": `a\nb # not a comment`}},
		{"double quotes escape", `A="line1\nline2\t\"q\" \\ \$HOME"` + "\n", map[string]any{"A": "line1\nline2\t\"q\" \\ $HOME"}},
		{"double quotes span lines", "KEY=\"-----BEGIN X-----\nabc\n-----END X-----\"\nB=2\n", map[string]any{"KEY": "-----BEGIN X-----\nabc\n-----END X-----", "B": "2"}},
		{"empty value", "A=\nB=''\n", map[string]any{"A": "", "B": ""}},
		{"crlf", "A=1\r\nB=2\r\n", map[string]any{"A": "1", "B": "2"}},
		{"dots and dashes", "app.db-url=x\n", map[string]any{"app.db-url": "x"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := ParseDotEnv(strings.NewReader(c.in), ".env", "app/config")
			if err != nil {
				t.Fatal(err)
			}
			if s.Path != "app/config" || !reflect.DeepEqual(s.Data, c.want) {
				t.Fatalf("got %q %#v, want %#v", s.Path, s.Data, c.want)
			}
		})
	}
}

// TestParseDotEnvErrors: each error names the file, the line and what to
// fix, and never the value on that line.
func TestParseDotEnvErrors(t *testing.T) {
	const secret = "hunter2-canary"
	for _, c := range []struct {
		name, in, want string
	}{
		{"no equals", "A=1\n" + secret + "\n", ".env:2: want KEY=value"},
		{"bad key", "1A=" + secret + "\n", `.env:1: "1A" is not a variable name`},
		{"duplicate", "A=1\nA=" + secret + "\n", ".env:2: A is already set on line 1"},
		{"open single quote", "A='" + secret + "\n", ".env:1: A: the single quote is not closed"},
		{"open double quote", "A=\"" + secret + "\nmore\n", ".env:1: A: the double quote opened here is never closed"},
		{"text after quote", "A='x'" + secret + "\n", ".env:1: A: unexpected text after the closing quote"},
		{"empty file", "# nothing\n", ".env: no variables"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseDotEnv(strings.NewReader(c.in), ".env", "p")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("the error shows the value: %v", err)
			}
		})
	}
}

func FuzzParseDotEnv(f *testing.F) {
	for _, s := range []string{"A=1\n", "export B='x'\n", "C=\"a\\nb\"\n", "D=\"open\n", "#c\n\nE=f #g\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseDotEnv(strings.NewReader(in), ".env", "p")
		if err != nil {
			return
		}
		for k := range s.Data {
			if !dotenvKey.MatchString(k) {
				t.Fatalf("accepted key %q", k)
			}
		}
	})
}
