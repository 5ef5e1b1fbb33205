package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/wardhq/ward/internal/codegen"
)

type codegenOpts struct {
	lang      string
	manifest  string
	component string
	typesDir  string
	out       string
	pkg       string
	check     bool
}

func newCodegenCmd(g *globals) *cobra.Command {
	o := &codegenOpts{}
	cmd := &cobra.Command{
		Use:   "codegen --lang go|rust --component NAME [-f ward.yaml] [-o DIR]",
		Short: "Write a typed loader for a component's secrets, in Go or Rust",
		Long: `Write a typed loader for the secrets one component of ward.yaml reads: Go
(structs and Load() (*Secrets, error)) or Rust (the standard library only,
Secrets::load() -> Result<Secrets, Error>).

The loader reads what 'ward run' provides — environment variables, files
under $WARD_SECRETS_DIR, and $WARD_MISSING for optional entries left unset —
and checks each value against the rules of its type, the rules the server
applies: required fields, JSON types, minimum and maximum, lengths, enums,
ward's formats and patterns (a Rust loader carries each pattern as a DFA).
An entry with a type: gets a native field (string, int64/i64, float64/f64,
bool) or, read whole, a struct of the type's fields; an entry without one
is a plain string.

Types are the built-in ones and DIR/types/NAME.schema.json of the ward/
directory (--types). A schema keyword a loader cannot mirror exactly is
refused, naming the keyword and the reason, rather than generating a weaker
check; so is a format a std-only Rust loader cannot parse (X.509, PKCS#8,
URLs).

Errors name the variable or file, the field and the rule; never a value.
Sensitive values (every field not marked "x-ward-sensitive": false) are
Secret values that print as [redacted] (Go: %v, %+v, %#v, JSON, slog;
Rust: Debug, Display); Reveal()/reveal() returns them.

Without -o the source goes to stdout; with -o DIR it is written to
DIR/secrets.go (Go, package --package) or DIR/secrets.rs (Rust: add
'mod secrets;' to main.rs). With --check and -o, nothing is written: ward
codegen exits 1 when the file there differs from what it would write, for
a CI step after the manifest or a type changes.`,
		Example: `  ward codegen --lang go --component api -o internal/secrets
  ward codegen --lang rust --component worker -o src        # then: mod secrets;
  ward codegen --lang go --component api --types deploy/ward -f deploy/ward.yaml
  ward codegen --lang go --component api -o internal/secrets --check   # in CI: is it current?`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCodegen(cmd.Context(), g, o)
		},
	}
	cmd.Flags().StringVar(&o.lang, "lang", "", "the loader's language: go or rust")
	manifestFlag(cmd, &o.manifest)
	cmd.Flags().StringVar(&o.component, "component", "", "the component (may be left out when the manifest has one)")
	typesDirFlag(cmd, &o.typesDir)
	cmd.Flags().StringVarP(&o.out, "out", "o", "", "write DIR/secrets.go or DIR/secrets.rs instead of stdout")
	cmd.Flags().StringVar(&o.pkg, "package", "secrets", "the Go package name")
	cmd.Flags().BoolVar(&o.check, "check", false, "with -o: write nothing; exit 1 if the loader there is stale")
	return cmd
}

func runCodegen(_ context.Context, g *globals, o *codegenOpts) error {
	lang := codegen.Lang(o.lang)
	if lang != codegen.Go && lang != codegen.Rust {
		return withHint(usagef("--lang must be go or rust, not %q", o.lang), "ward codegen --lang go --component api")
	}
	m, err := loadManifest(o.manifest)
	if err != nil {
		return err
	}
	c, err := m.Component(o.component)
	if err != nil {
		return usagef("%v", err)
	}
	src, err := codegen.Generate(codegen.Options{Lang: lang, Component: c, Types: typeSource(o.typesDir), Package: o.pkg, Manifest: filepath.ToSlash(o.manifest)})
	var ue *codegen.UnsupportedError
	switch {
	case errors.As(err, &ue):
		return withHint(err, "change the type, or read the field with an entry the loader can check (an entry without a type: is a plain string)")
	case errors.Is(err, codegen.ErrUnknownType):
		return withHint(err, "write the type to the ward/ directory's types/, or name it with --types DIR")
	case err != nil:
		return err
	}
	if o.out == "" {
		if o.check {
			return usagef("--check compares with the loader in -o DIR: name it")
		}
		_, err := g.stdout.Write(src)
		return err
	}
	name := "secrets.go"
	if lang == codegen.Rust {
		name = "secrets.rs"
	}
	path := filepath.Join(o.out, name)
	if o.check {
		have, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if !bytes.Equal(have, src) {
			fmt.Fprintf(g.stderr, "ward: %s is stale: it is not what ward codegen writes for component %s now\nhint: regenerate it: ward codegen --lang %s --component %s -f %s -o %s\n", path, c.Name, lang, c.Name, o.manifest, o.out)
			return &exitError{Code: exitFailure}
		}
		fmt.Fprintf(g.stdout, "%s is current\n", path)
		return nil
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, src, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "wrote %s (%s loader for component %s)\n", path, lang, c.Name)
	return nil
}
