package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/wardhq/ward/internal/mask"
)

func init() { register(newMaskCmd) }

// maskOptions are the flags of ward mask.
type maskOptions struct {
	valuesFile  string
	replacement string
}

func newMaskCmd(g *globals) *cobra.Command {
	var opts maskOptions
	cmd := &cobra.Command{
		Use:   "mask --values-file FILE",
		Short: "Mask secret values in a log read from stdin",
		Long: `Mask copies stdin to stdout with every secret value hidden: the values
themselves, each line of a multi-line value, and their encoded forms (base64,
hex, URL, JSON and shell escaping), also when split across reads or folded
across lines. It is the masker of ward run, for logs that ward did not start.

The values come from --values-file, a JSON object whose string leaves are the
values; each is shown as [masked:PATH], PATH being its keys joined by dots
(db.password), or as the text given with --replacement.

  some-build 2>&1 | ward mask --values-file secrets.json > build.log`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("ward mask takes no arguments: it reads stdin (got %q)", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runMask(g, opts)
		},
	}
	cmd.Flags().StringVar(&opts.valuesFile, "values-file", "", "JSON object whose string leaves are the values to mask")
	cmd.Flags().StringVar(&opts.replacement, "replacement", "", "text shown in place of every value (default [masked:NAME])")
	return cmd
}

func runMask(g *globals, opts maskOptions) error {
	if opts.valuesFile == "" {
		return withHint(usagef("ward mask needs --values-file"),
			`give a JSON object of the values to mask: --values-file secrets.json`)
	}
	f, err := os.Open(opts.valuesFile)
	if err != nil {
		return usagef("values file: %w", err)
	}
	secrets, err := mask.ReadValues(f, opts.valuesFile)
	f.Close()
	if err != nil {
		if errors.Is(err, mask.ErrValuesFile) {
			return withHint(&usageError{err}, "the values file must be one JSON object with unique keys, e.g. {\"db\": {\"password\": \"...\"}}")
		}
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
	if _, err := w.ReadFrom(g.stdin); err != nil {
		w.Close()
		return fmt.Errorf("masking stdin: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}
