package plan

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadYAML feeds arbitrary bytes to the readers of environments.yaml
// and of a secrets file: they must never panic, must place every problem
// in its file at a line the file has, and must accept only declarations
// that Validate accepts too.
func FuzzLoadYAML(f *testing.F) {
	for _, dir := range []string{"../../examples/ward", "testdata/load/formats", "testdata/load/value-key", "testdata/load/yaml-features", "testdata/load/unknown-fields"} {
		for _, name := range []string{EnvironmentsFile, "secrets/db.yaml", "secrets/payments.yaml"} {
			if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("prod:\n  a/b: {owner: x, custom_metadata: {k: v}}\n"))
	f.Add([]byte("environments: {prod: {required_metadata: [[a, b], c]}}\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		lines := countLines(src)
		for _, file := range []string{EnvironmentsFile, "secrets/x.yaml"} {
			l := &loader{st: &State{Manages: Manages{Envs: true}}}
			if file == EnvironmentsFile {
				l.environmentsFile(src)
			} else {
				l.secretsFile(file, src)
			}
			for _, p := range l.ps {
				if p.File != file || p.Line < 0 || p.Line > lines+1 || p.Msg == "" {
					t.Fatalf("%s: problem %+v out of place (%d lines)", file, p, lines)
				}
			}
			if len(l.ps) > 0 {
				continue
			}
			// Environments declared for the secrets' sake, so that only
			// the declarations themselves are checked.
			for _, s := range l.st.Secrets {
				if l.st.Env(s.Env) == nil {
					l.st.Envs = append(l.st.Envs, Env{Name: s.Env})
				}
			}
			if err := Validate(l.st, nil); err != nil {
				t.Fatalf("%s: read without problems, but Validate says: %v", file, err)
			}
		}
	})
}
