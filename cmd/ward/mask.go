package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardhq/ward/client"
	"github.com/wardhq/ward/internal/job"
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
hex, shell quoting; any percent-encoding, whichever characters it escapes;
backslash escaping as JSON, printf %q and declare -p write it; values cut up
by colour codes; UTF-16), also when split across reads, folded across lines,
or printed in two parts on two lines (the first part ending one line, the
rest on the next after a timestamp or a prompt). It is the masker of ward
run, for logs that ward did not start.

The values come from the vault, --env ENV with the component's secrets as
ward.yaml declares them (every string field of each, and what each env var
and file receives), or from --values-file, a JSON object whose string leaves
are the values. Fields that a secret's type marks "x-ward-sensitive": false
(a host, a database name) are not secret and not masked. Each value is shown
as [masked:NAME], NAME being the secret's path and field
(payments/db.password) or the file's keys joined by dots, or as the text
given with --replacement. A value too short to mask is warned about once.`,
		Example: `  some-build 2>&1 | ward mask --env staging --component api > build.log
  some-build 2>&1 | ward mask --values-file secrets.json > build.log
  some-build 2>&1 | ward mask --values-file secrets.json --replacement '***'`,
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
	// Reading starts before the matcher is built, so that the first
	// megabytes are in hand when it is, and goes on while the masker
	// works, in buffers the masker then takes over.
	growPipe(g.stdin, 1<<20)
	in := mask.ReadAhead(g.stdin, 1<<20, 4)
	defer in.Close()
	// The matcher's build allocates about 25 MB, most of which it keeps:
	// collecting as the heap grows would run the GC six times over what
	// is still in use.
	gc := debug.SetGCPercent(-1)
	m, _, err := mask.NewMatcher(secrets, mopt)
	debug.SetGCPercent(gc)
	if err != nil {
		return err
	}
	w := m.NewWriter(g.stdout)
	if _, err := w.ReadInput(in); err != nil {
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

// fetchComponentTyped loads the manifest's component and fetches every
// secret it reads; with typed, it also asks the vault for the types of the
// secrets (the type in a secret's metadata, else the one the manifest
// names), while the client's token is alive, and returns which fields they
// mark public ("x-ward-sensitive": false), so that the masker leaves them
// alone. A type that cannot be read is warned about once, and its fields
// are all masked.
//
// warn receives the warnings; nil prints them to stderr.
func fetchComponentTyped(ctx context.Context, g *globals, file, component, env string, role *ciRole, typed bool, warn func(string)) (*manifest.Component, map[string]manifest.Fetched, job.PublicFields, error) {
	c, fetched, public, _, err := fetchJob(ctx, g, file, component, env, role, false, typed, warn)
	return c, fetched, public, err
}

// publicFields reads the type of each fetched secret and returns which
// of their fields are public.
func publicFields(ctx context.Context, warn func(string), cl *client.Client, fetched map[string]manifest.Fetched, declared map[string]string) job.PublicFields {
	typeOf := map[string]string{}
	public := map[string]map[string]bool{} // type -> public fields
	for p, f := range fetched {
		name := f.CustomMetadata[manifest.TypeKey]
		if name == "" {
			name = declared[p]
		}
		if name == "" || f.Status != manifest.StatusOK {
			continue
		}
		typeOf[p] = name
		if _, done := public[name]; done {
			continue
		}
		public[name] = nil
		info, err := cl.Type(ctx, name)
		if err != nil {
			warn(fmt.Sprintf("cannot read type %s, so the fields it marks \"x-ward-sensitive\": false are masked too: %v", name, err))
			continue
		}
		fields := map[string]bool{}
		for _, fl := range info.NonSensitive {
			fields[fl] = true
		}
		public[name] = fields
	}
	return func(path, field string) bool { return public[typeOf[path]][field] }
}

// vaultMaskValues fetches the secrets the manifest's component declares and
// returns every string field of each, named PATH.FIELD, and each value the
// component's env vars and files receive; fields their types mark public
// are marked so. A secret that cannot be fetched is warned about: it
// cannot be masked.
func vaultMaskValues(ctx context.Context, g *globals, opts maskOptions) ([]mask.Secret, error) {
	comp, fetched, public, err := fetchComponentTyped(ctx, g, opts.manifest, opts.component, opts.env, nil, true, nil)
	var fe *fetchError
	if errors.As(err, &fe) {
		return nil, g.apiError(fe.err)
	}
	if err != nil {
		return nil, err
	}
	for _, p := range comp.Secrets() {
		if f := fetched[p]; f.Status != manifest.StatusOK {
			fmt.Fprintf(g.stderr, "ward: warning: %s/%s cannot be masked: %s\n", opts.env, p, f.Error)
			delete(fetched, p)
		}
	}
	res := comp.Resolve(fetched, time.Now())
	defer res.Wipe()
	return job.MaskSecrets(opts.env, fetched, res, public)
}
