package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/spf13/cobra"

	"github.com/wardhq/ward/internal/manifest"
)

// defaultManifest is where commands look for the manifest without -f.
const defaultManifest = "ward.yaml"

func newManifestCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "manifest",
		Short: "Work with ward.yaml, the manifest of the secrets each component needs",
		Long: `ward.yaml, in the application's repository, declares the components of the
application (a Go API, a Rust worker, …), the secrets each needs, and where
each goes: an environment variable or a file. The same manifest serves every
environment; 'ward check --env E' and 'ward run --env E' choose one.`,
		Example: `  ward manifest validate
  ward manifest validate -f deploy/ward.yaml --format json`,
	}
	cmd.AddCommand(newManifestValidateCmd(g))
	return cmd
}

type manifestValidateOpts struct {
	file   string
	format format
}

func newManifestValidateCmd(g *globals) *cobra.Command {
	o := &manifestValidateOpts{}
	cmd := &cobra.Command{
		Use:   "validate [-f ward.yaml]",
		Short: "Check a manifest on its own, without a server, reporting every mistake with its line",
		Long: `Check a manifest on its own, without a server: its syntax (strict YAML:
no unknown fields, duplicate keys, anchors or tags), its names (components,
env vars, file paths, secret paths) and its modes. Every mistake is
reported at once as FILE:LINE:COL.

Exit status: 0 when the manifest is valid, 1 when it is not, 2 on a usage
error (no such file).`,
		Example: `  ward manifest validate
  ward manifest validate -f deploy/ward.yaml --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runManifestValidate(g, o)
		},
	}
	manifestFlag(cmd, &o.file)
	formatFlag(cmd, &o.format)
	return cmd
}

// manifestFlag adds --file/-f, the manifest's path.
func manifestFlag(cmd *cobra.Command, dst *string) {
	cmd.Flags().StringVarP(dst, "file", "f", defaultManifest, "the manifest")
}

// loadManifest loads the manifest at file. A missing file is a usage error;
// an invalid manifest is returned as is, a *manifest.Error.
func loadManifest(file string) (*manifest.Manifest, error) {
	m, err := manifest.Load(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, withHint(usagef("no manifest at %s", file),
			"write one (ward's examples/ward.yaml is a full, commented example), or name it with -f")
	}
	var me *manifest.Error
	if err != nil && !errors.As(err, &me) {
		return nil, usagef("%v", err)
	}
	return m, err
}

// printManifestProblems writes each problem of an invalid manifest on its
// own line, as ward's errors are written.
func printManifestProblems(w io.Writer, me *manifest.Error) {
	for _, p := range me.Problems {
		fmt.Fprintf(w, "ward: %s\n", me.Format(p))
	}
}

func runManifestValidate(g *globals, o *manifestValidateOpts) error {
	m, err := loadManifest(o.file)
	var me *manifest.Error
	if errors.As(err, &me) {
		if o.format == formatJSON {
			type problem struct {
				Line    int    `json:"line"`
				Column  int    `json:"column"`
				Message string `json:"message"`
			}
			ps := make([]problem, len(me.Problems))
			for i, p := range me.Problems {
				ps[i] = problem{p.Line, p.Column, p.Msg}
			}
			if err := printJSON(g.stdout, map[string]any{"file": me.Name, "valid": false, "problems": ps}); err != nil {
				return err
			}
			return &exitError{Code: exitFailure}
		}
		printManifestProblems(g.stderr, me)
		return &exitError{Code: exitFailure, Msg: fmt.Sprintf("%s: %s", me.Name, plural(len(me.Problems), "problem"))}
	}
	if err != nil {
		return err
	}
	if o.format == formatJSON {
		type component struct {
			Name     string   `json:"name"`
			Language string   `json:"language"`
			Env      []string `json:"env"`
			Files    []string `json:"files"`
			Secrets  []string `json:"secrets"`
		}
		cs := []component{}
		for _, name := range m.Names() {
			c := m.Components[name]
			jc := component{Name: name, Language: c.Language, Env: []string{}, Files: []string{}, Secrets: c.Secrets()}
			for _, e := range c.Env {
				jc.Env = append(jc.Env, e.Name)
			}
			for _, f := range c.Files {
				jc.Files = append(jc.Files, f.Path)
			}
			cs = append(cs, jc)
		}
		return printJSON(g.stdout, map[string]any{"file": o.file, "valid": true, "components": cs})
	}
	fmt.Fprintf(g.stdout, "%s: valid, %s\n", o.file, plural(len(m.Components), "component"))
	rows := [][]string{}
	for _, name := range m.Names() {
		c := m.Components[name]
		rows = append(rows, []string{"  " + name, c.Language,
			plural(len(c.Env), "env var") + ", " + plural(len(c.Files), "file") + ", " + plural(len(c.Secrets()), "secret")})
	}
	return table(g.stdout, rows)
}
