package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wardhq/ward/internal/manifest"
	"github.com/wardhq/ward/internal/plan"
	"github.com/wardhq/ward/internal/secretdocs"
)

// defaultDocsDir is where ward docs writes by default.
const defaultDocsDir = "docs/secrets"

type docsOpts struct {
	dir       string
	manifests []string
	out       string
	check     bool
	format    format
}

func newDocsCmd(g *globals) *cobra.Command {
	o := &docsOpts{}
	cmd := &cobra.Command{
		Use:   "docs [-f ward/] [--manifest ward.yaml ...] [-o DIR] [--check]",
		Short: "Write the secret workflow docs: where each secret lives, whom to call, what breaks without it",
		Long: `Write Markdown and HTML that tell an engineer, for each environment and each
secret the ward/ directory declares: where it lives, its type and fields,
who owns it and whom to contact in an incident (metadata owner, and
custom_metadata contact and runbook), which components read it (from the
manifests), how it is refreshed (rotate_every, expires_at; custom_metadata
dynamic: "true" for a dynamic one) and what happens when it is unavailable
(required or optional, and custom_metadata fallback).

It writes DIR/index.md, DIR/ENV.md for each environment, and an .html twin
of each. Nothing is read from a server and no value is ever shown: the
docs depend on the repository alone, so a copy kept in it can be checked.

A gap is what the docs cannot say: a secret without an owner, a secret a
manifest reads that an environment does not declare. Gaps are listed in the
docs and on stderr.

With --check nothing is written: ward docs exits 1 when the copy in DIR is
stale (a file differs, is missing or is left over) or when there is a gap,
for a CI step after the declarations change.`,
		Example: `  ward docs                                   # ./ward and ./ward.yaml into docs/secrets
  ward docs -f ward --manifest services/api/ward.yaml --manifest services/worker/ward.yaml
  ward docs --check                           # in CI: fails on stale docs or a gap`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDocs(cmd.Context(), g, o, cmd.Flags().Changed("manifest"))
		},
	}
	cmd.Flags().StringVarP(&o.dir, "file", "f", defaultPlanDir, "the ward/ directory")
	cmd.Flags().StringArrayVar(&o.manifests, "manifest", []string{defaultManifest}, "a manifest whose components read the secrets (repeatable)")
	cmd.Flags().StringVarP(&o.out, "out", "o", defaultDocsDir, "the directory of the docs")
	formatFlag(cmd, &o.format)
	cmd.Flags().BoolVar(&o.check, "check", false, "write nothing; exit 1 if the docs in -o are stale or there is a gap")
	return cmd
}

func runDocs(_ context.Context, g *globals, o *docsOpts, manifestsGiven bool) error {
	st, err := plan.Load(o.dir)
	if err != nil {
		return withHint(err, "fix the ward/ directory; 'ward plan' reads it the same way")
	}
	in := secretdocs.Input{Dir: filepath.ToSlash(o.dir), State: st, Command: docsCommand(o)}
	for _, path := range o.manifests {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) && !manifestsGiven {
			continue // no ./ward.yaml: the docs say which components read nothing
		}
		m, err := loadManifest(path)
		var me *manifest.Error
		if errors.As(err, &me) {
			printManifestProblems(g.stderr, me)
			return &exitError{Code: exitUsage}
		}
		if err != nil {
			return err
		}
		in.Manifests = append(in.Manifests, secretdocs.Manifest{Path: filepath.ToSlash(path), M: m})
	}
	pages, gaps, err := secretdocs.Render(in)
	if err != nil {
		return err
	}
	for _, gp := range gaps {
		fmt.Fprintf(g.stderr, "ward: gap: %s\n", gp)
	}
	if o.check {
		return checkDocs(g, o, pages, gaps)
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(pages)) {
		if err := os.WriteFile(filepath.Join(o.out, name), pages[name], 0o644); err != nil {
			return err
		}
	}
	for _, name := range leftover(o.out, pages) {
		if err := os.Remove(filepath.Join(o.out, name)); err != nil {
			return err
		}
	}
	files := slices.Sorted(maps.Keys(pages))
	gapText := make([]string, len(gaps))
	for i, gp := range gaps {
		gapText[i] = fmt.Sprint(gp)
	}
	return g.show(o.format, map[string]any{"dir": o.out, "files": files, "gaps": gapText},
		lineText("wrote %d files to %s (%s)", len(pages), o.out, plural(len(gaps), "gap")))
}

// leftover lists the .md and .html files in dir that pages no longer has:
// the docs of an environment that is gone.
func leftover(dir string, pages map[string][]byte) []string {
	entries, _ := os.ReadDir(dir)
	var out []string
	for _, e := range entries {
		n := e.Name()
		if _, ok := pages[n]; !ok && !e.IsDir() && (strings.HasSuffix(n, ".md") || strings.HasSuffix(n, ".html")) {
			out = append(out, n)
		}
	}
	return out
}

func checkDocs(g *globals, o *docsOpts, pages map[string][]byte, gaps []secretdocs.Gap) error {
	var stale []string
	for _, name := range slices.Sorted(maps.Keys(pages)) {
		have, err := os.ReadFile(filepath.Join(o.out, name))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			stale = append(stale, name+" is missing")
		case err != nil:
			return err
		case !bytes.Equal(have, pages[name]):
			stale = append(stale, name+" differs")
		}
	}
	for _, name := range leftover(o.out, pages) {
		stale = append(stale, name+" is left over")
	}
	for _, s := range stale {
		fmt.Fprintf(g.stderr, "ward: stale: %s/%s\n", o.out, s)
	}
	switch {
	case len(stale) > 0:
		fmt.Fprintf(g.stderr, "ward: the docs in %s are stale (%d of their files)\nhint: regenerate them with '%s' and commit the result\n", o.out, len(stale), docsCommand(o))
		return &exitError{Code: exitFailure}
	case len(gaps) > 0:
		fmt.Fprintf(g.stderr, "ward: the docs are current but list %s\nhint: declare what each gap lacks in %s/secrets/\n", plural(len(gaps), "gap"), o.dir)
		return &exitError{Code: exitFailure}
	}
	return g.show(o.format, map[string]any{"dir": o.out, "current": true}, lineText("the docs in %s are current", o.out))
}

// docsCommand is the command line that regenerates the docs.
func docsCommand(o *docsOpts) string {
	parts := []string{"ward docs -f", filepath.ToSlash(o.dir)}
	for _, m := range o.manifests {
		parts = append(parts, "--manifest", filepath.ToSlash(m))
	}
	return strings.Join(append(parts, "-o", filepath.ToSlash(o.out)), " ")
}
