package manifest

import (
	"errors"
	"sort"
	"testing"
)

// FuzzParse feeds hostile manifests to Parse: it must not panic, an error
// must be an *Error with sorted, positioned problems, and a manifest it
// accepts must obey every rule. Seeds are in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte(example))
	f.Add([]byte(issuesManifest))
	f.Fuzz(func(t *testing.T, src []byte) {
		m, err := Parse("ward.yaml", src)
		if err != nil {
			var me *Error
			if !errors.As(err, &me) || len(me.Problems) == 0 {
				t.Fatalf("error %T %v is not an *Error with problems", err, err)
			}
			for i, p := range me.Problems {
				if p.Line < 1 || p.Column < 1 || p.Msg == "" {
					t.Fatalf("problem without a position or message: %+v", p)
				}
				if i > 0 && p.Line < me.Problems[i-1].Line {
					t.Fatalf("problems not sorted: %+v", me.Problems)
				}
			}
			return
		}
		if m.Version != 1 || len(m.Components) == 0 {
			t.Fatalf("accepted version %d with %d components", m.Version, len(m.Components))
		}
		for name, c := range m.Components {
			if c.Name != name || checkComponentName(name) != "" || checkLanguage(c.Language) != "" {
				t.Fatalf("bad component %q accepted", name)
			}
			if r := c.Reload; !oneOf(r.Action, "", ReloadSignal, ReloadRestart) || !oneOf(r.Signal, append([]string{""}, ReloadSignals...)...) ||
				!oneOf(r.Env, "", ReloadRestart, ReloadRefuse) || !oneOf(r.Revoked, "", RevokedStop, RevokedSignal) {
				t.Fatalf("bad reload accepted: %+v", r)
			}
			if len(c.Env)+len(c.Files) == 0 {
				t.Fatalf("component %q with no secrets accepted", name)
			}
			for _, e := range c.Env {
				if checkEnvName(e.Name) != "" || checkSecretPath(e.From) != "" || e.Line < 1 {
					t.Fatalf("bad env var accepted: %+v", e)
				}
			}
			for _, fl := range c.Files {
				if checkFilePath(fl.Path) != "" || checkSecretPath(fl.From) != "" || fl.Mode&0o027 != 0 || fl.Mode&0o400 == 0 {
					t.Fatalf("bad file accepted: %+v", fl)
				}
			}
			s := c.Secrets()
			if !sort.StringsAreSorted(s) {
				t.Fatalf("secrets not sorted: %v", s)
			}
			for i := 1; i < len(s); i++ {
				if s[i] == s[i-1] {
					t.Fatalf("secrets repeated: %v", s)
				}
			}
			// Resolve copes with nothing fetched.
			if r := c.Resolve(nil, now); len(r.Issues) != len(s) {
				t.Fatalf("%d issues for %d unfetched secrets", len(r.Issues), len(s))
			}
		}
	})
}

func oneOf(s string, allowed ...string) bool { return contains(allowed, s) }
