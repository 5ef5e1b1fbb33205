package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/wardhq/ward/internal/manifest"
	"github.com/wardhq/ward/internal/mask"
)

// maskOptions are the flags of ward mask.
type maskOptions struct {
	valuesFile  string
	replacement string
	env         string // with component: the secrets come from the vault
	component   string
	manifest    string
}

func newMaskCmd(g *globals) *cobra.Command {
	var opts maskOptions
	cmd := &cobra.Command{
		Use:   "mask --env ENV [--component C] | --values-file FILE",
		Short: "Mask secret values in a log read from stdin",
		Long: `Mask copies stdin to stdout with every secret value hidden: the values
themselves, each line of a multi-line value, and their encoded forms (base64,
hex, URL, JSON and shell escaping), also when split across reads, folded
across lines, or printed in two parts on two lines (the first part ending one
line, the rest on the next after a timestamp or a prompt). It is the masker of
ward run, for logs that ward did not start.

The values come from the vault, --env ENV with the component's secrets as
ward.yaml declares them (every string field of each), or from --values-file,
a JSON object whose string leaves are the values. Each is shown as
[masked:NAME], NAME being the secret's path and field (payments/db.password)
or the file's keys joined by dots, or as the text given with --replacement.`,
		Example: `  some-build 2>&1 | ward mask --env staging --component api > build.log
  some-build 2>&1 | ward mask --values-file secrets.json > build.log`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("ward mask takes no arguments: it reads stdin (got %q)", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runMask(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().StringVar(&opts.env, "env", "", "mask the secrets the component needs in this environment, fetched from the vault")
	cmd.Flags().StringVar(&opts.component, "component", "", "the manifest's component (default: its only one)")
	manifestFlag(cmd, &opts.manifest)
	cmd.Flags().StringVar(&opts.valuesFile, "values-file", "", "JSON object whose string leaves are the values to mask")
	cmd.Flags().StringVar(&opts.replacement, "replacement", "", "text shown in place of every value (default [masked:NAME])")
	return cmd
}

func runMask(ctx context.Context, g *globals, opts maskOptions) error {
	var secrets []mask.Secret
	var err error
	switch {
	case opts.valuesFile != "" && opts.env != "":
		return usagef("give --env or --values-file, not both")
	case opts.env != "":
		secrets, err = vaultMaskValues(ctx, g, opts)
	case opts.component != "":
		return withHint(usagef("--component needs --env"), "ward mask --env staging --component "+opts.component)
	case opts.valuesFile != "":
		secrets, err = fileMaskValues(opts.valuesFile)
	default:
		return withHint(usagef("ward mask needs --env ENV or --values-file FILE"),
			"mask the secrets ward.yaml declares: --env staging [--component api]")
	}
	if err != nil {
		return err
	}
	mopt := mask.Options{
		Warn:    func(msg string) { fmt.Fprintf(g.stderr, "ward: warning: %s\n", msg) },
		Workers: runtime.GOMAXPROCS(0), // a filter has the cores to itself
	}
	if opts.replacement != "" {
		mopt.Replacement = mask.Fixed(opts.replacement)
	}
	m, _, err := mask.NewMatcher(secrets, mopt)
	if err != nil {
		return err
	}
	w := m.NewWriter(g.stdout)
	growPipe(g.stdin, 1<<20)
	in := readAhead(g.stdin, 1<<20, 4)
	defer in.Close()
	if _, err := w.ReadFrom(in); err != nil {
		w.Close()
		return fmt.Errorf("masking stdin: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}

func fileMaskValues(file string) ([]mask.Secret, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, usagef("values file: %w", err)
	}
	defer f.Close()
	secrets, err := mask.ReadValues(f, file)
	if errors.Is(err, mask.ErrValuesFile) {
		return nil, withHint(&usageError{err}, "the values file must be one JSON object with unique keys, e.g. {\"db\": {\"password\": \"...\"}}")
	}
	return secrets, err
}

// vaultMaskValues fetches the secrets the manifest's component declares and
// returns every string field of each, named PATH.FIELD. A secret that
// cannot be fetched is warned about: it cannot be masked.
func vaultMaskValues(ctx context.Context, g *globals, opts maskOptions) ([]mask.Secret, error) {
	comp, fetched, err := fetchComponent(ctx, g, opts.manifest, opts.component, opts.env, nil)
	var fe *fetchError
	if errors.As(err, &fe) {
		return nil, g.apiError(fe.err)
	}
	if err != nil {
		return nil, err
	}
	all := map[string]json.RawMessage{}
	for _, p := range comp.Secrets() {
		f := fetched[p]
		if f.Status != manifest.StatusOK {
			fmt.Fprintf(g.stderr, "ward: warning: %s/%s cannot be masked: %s\n", opts.env, p, f.Error)
			continue
		}
		all[p] = f.Data
	}
	doc, err := json.Marshal(all)
	if err != nil {
		return nil, err
	}
	clear(all)
	secrets, err := mask.ReadValues(bytes.NewReader(doc), opts.env)
	clear(doc)
	return secrets, err
}
