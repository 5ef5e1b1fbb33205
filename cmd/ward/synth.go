package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wardhq/ward/client"
	"github.com/wardhq/ward/internal/codegen"
	"github.com/wardhq/ward/internal/synth"
	"github.com/wardhq/ward/internal/vault"
)

type synthOpts struct {
	typ      string
	n        int
	typesDir string
}

func newSynthCmd(g *globals) *cobra.Command {
	o := &synthOpts{}
	cmd := &cobra.Command{
		Use:   "synth --type TYPE [-n N]",
		Short: "Print synthetic secrets that satisfy a type, for tests",
		Long: `Print N synthetic secrets of a type, one JSON object per line: random values
that satisfy every rule of the type — required fields, lengths, ranges,
enums, patterns (generated from the pattern's automaton), formats (fresh
keys and self-signed certificates; a TLS pair that matches) and
conditionals — each checked with the server's own validator. Optional
fields are present at random.

Types are the built-in ones and those in the ward/ directory's types/
(--types). Nothing is read from or written to a server: use 'ward env seed'
to fill an environment.`,
		Example: `  ward synth --type postgres
  ward synth --type aws-access-key -n 3
  ward synth --type stripe-key --types deploy/ward | ward kv put --env dev payments/stripe`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSynth(cmd.Context(), g, o)
		},
	}
	cmd.Flags().StringVar(&o.typ, "type", "", "the type (required)")
	cmd.Flags().IntVarP(&o.n, "count", "n", 1, "how many values")
	typesDirFlag(cmd, &o.typesDir)
	return cmd
}

// typesDirFlag adds --types, the ward/ directory whose types/ holds custom types.
func typesDirFlag(cmd *cobra.Command, dst *string) {
	cmd.Flags().StringVar(dst, "types", defaultPlanDir, "the ward/ directory whose types/ holds custom types")
}

// typeSource looks types up in the built-in ones and dir's types/; the
// default directory may be absent.
func typeSource(dir string) codegen.TypeSource {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) && dir == defaultPlanDir {
		dir = ""
	}
	return codegen.DirTypes(dir)
}

func runSynth(_ context.Context, g *globals, o *synthOpts) error {
	if o.typ == "" {
		return withHint(usagef("--type is required"), "ward synth --type postgres ('ward type list' shows the types)")
	}
	if o.n < 1 || o.n > 10000 {
		return usagef("-n must be between 1 and 10000, not %d", o.n)
	}
	gen := synth.New(synth.Config{})
	enc := json.NewEncoder(g.stdout)
	enc.SetEscapeHTML(false)
	for range o.n {
		v, err := gen.Value(o.typ, typeSource(o.typesDir))
		if errors.Is(err, codegen.ErrUnknownType) {
			return withHint(err, "write the type to the ward/ directory's types/, or name that directory with --types DIR")
		}
		if err != nil {
			return err
		}
		if err := enc.Encode(v); err != nil {
			return err
		}
	}
	return nil
}

type envSeedOpts struct {
	env           string
	file          string
	typesDir      string
	overwriteSynt bool
	format        format
}

func newEnvSeedCmd(g *globals) *cobra.Command {
	o := &envSeedOpts{}
	cmd := &cobra.Command{
		Use:   "seed --env ENV [-f ward.yaml]",
		Short: "Fill a non-production environment with synthetic values for every secret the manifest declares",
		Long: `Write a synthetic value (see 'ward synth') to every secret path the manifest
declares, in every component: of the type the manifest names, or, for an
untyped secret, a random string in each field the manifest reads. Each
secret's custom metadata gets synthetic=true (and type=TYPE when it has
none), so that 'ward check' in production fails on one that leaked there.

Refused: a production environment (marked production: true in
environments.yaml, or, unmarked, named prod, production or prod-*), and one
where a declared secret already holds a real value (one without
synthetic=true), unless --overwrite-synthetic-only, which rewrites the
synthetic and absent secrets and leaves the real ones alone. Nothing is
written when seed refuses.`,
		Example: `  ward env seed --env dev
  ward env seed --env test -f deploy/ward.yaml --types deploy/ward
  ward env seed --env dev --overwrite-synthetic-only     # refresh, keeping real values`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := g.requireEnv(&o.env); err != nil {
				return err
			}
			return runEnvSeed(cmd.Context(), g, o)
		},
	}
	cmd.Flags().StringVar(&o.env, "env", "", "environment (required)")
	manifestFlag(cmd, &o.file)
	typesDirFlag(cmd, &o.typesDir)
	formatFlag(cmd, &o.format)
	cmd.Flags().BoolVar(&o.overwriteSynt, "overwrite-synthetic-only", false, "write only where there is no secret or a synthetic one; leave real values alone")
	return cmd
}

// envIsProd asks the server whether env is production (marked so in
// environments.yaml, or by name); a token that may not read the
// environment's definition gets the name rule (prod, production, prod-*).
func envIsProd(ctx context.Context, cl *client.Client, env string) (bool, error) {
	e, err := cl.Env(ctx, env)
	switch {
	case errors.Is(err, client.ErrPermissionDenied):
		return vault.IsProd(env), nil
	case err != nil:
		return false, err
	}
	return e.Production, nil
}

// seedTarget is one secret path the manifest declares.
type seedTarget struct {
	path   string
	typ    string
	fields []string
	real   bool
	custom map[string]string
}

func runEnvSeed(ctx context.Context, g *globals, o *envSeedOpts) error {
	cl, err := g.client()
	if err != nil {
		return err
	}
	if prod, err := envIsProd(ctx, cl, o.env); err != nil {
		return g.apiError(err)
	} else if prod {
		return withHint(usagef("environment %q is production: ward env seed writes only synthetic values, and only outside production", o.env),
			"seed a dev or test environment: ward env seed --env dev")
	}
	m, err := loadManifest(o.file)
	if err != nil {
		return err
	}
	targets := map[string]*seedTarget{}
	for _, name := range m.Names() {
		c := m.Components[name]
		add := func(from, field, typ string) {
			t := targets[from]
			if t == nil {
				t = &seedTarget{path: from}
				targets[from] = t
			}
			if typ != "" {
				t.typ = typ
			}
			if field != "" && !slices.Contains(t.fields, field) {
				t.fields = append(t.fields, field)
			}
		}
		for _, e := range c.Env {
			add(e.From, e.Field, e.Type)
		}
		for _, f := range c.Files {
			add(f.From, f.Field, f.Type)
		}
	}
	kv := cl.KV(o.env)
	var real []string
	for _, p := range slices.Sorted(maps.Keys(targets)) {
		t := targets[p]
		md, err := kv.Metadata(ctx, p)
		switch {
		case errors.Is(err, client.ErrNotFound):
		case err != nil:
			return g.apiError(err)
		default:
			t.custom = md.CustomMetadata
			t.real = md.CurrentVersion > 0 && md.CustomMetadata[synth.MetadataKey] != "true"
		}
		if t.real {
			real = append(real, p)
		}
	}
	if len(real) > 0 && !o.overwriteSynt {
		return withHint(fmt.Errorf("%s/%s: holds a real value (no synthetic=true in its metadata); nothing was written", o.env, strings.Join(real, ", "+o.env+"/")),
			"seed another environment, or add --overwrite-synthetic-only to write the others and leave the real ones alone")
	}
	gen := synth.New(synth.Config{})
	src := typeSource(o.typesDir)
	type seeded struct {
		Path   string `json:"path"`
		Action string `json:"action"` // "written" or "left alone (a real value)"
		Type   string `json:"type,omitempty"`
	}
	report := struct {
		Env     string   `json:"env"`
		Written int      `json:"written"`
		Secrets []seeded `json:"secrets"`
	}{Env: o.env}
	for _, p := range slices.Sorted(maps.Keys(targets)) {
		t := targets[p]
		if t.real {
			report.Secrets = append(report.Secrets, seeded{Path: p, Action: "left alone (a real value)", Type: t.typ})
			continue
		}
		var v map[string]any
		if t.typ != "" {
			if v, err = gen.Value(t.typ, src, t.fields...); err != nil {
				return fmt.Errorf("%s/%s: %w", o.env, p, err)
			}
		} else {
			v = gen.Fields(t.fields)
		}
		custom := maps.Clone(t.custom)
		if custom == nil {
			custom = map[string]string{}
		}
		custom[synth.MetadataKey] = "true"
		if t.typ != "" && custom["type"] == "" {
			custom["type"] = t.typ
		}
		if err := kv.SetMetadata(ctx, p, client.MetadataUpdate{CustomMetadata: custom}); err != nil {
			return g.apiError(fmt.Errorf("%s/%s: %w", o.env, p, err))
		}
		if _, err := kv.Put(ctx, p, v, nil); err != nil {
			return g.apiError(fmt.Errorf("%s/%s: %w", o.env, p, err))
		}
		report.Secrets = append(report.Secrets, seeded{Path: p, Action: "written", Type: t.typ})
		report.Written++
	}
	return g.show(o.format, report, func(w io.Writer) error {
		for _, sd := range report.Secrets {
			switch {
			case sd.Action != "written":
				fmt.Fprintf(w, "%s/%s: %s\n", o.env, sd.Path, sd.Action)
			case sd.Type != "":
				fmt.Fprintf(w, "%s/%s: synthetic value written (type %s)\n", o.env, sd.Path, sd.Type)
			default:
				fmt.Fprintf(w, "%s/%s: synthetic value written (untyped)\n", o.env, sd.Path)
			}
		}
		_, err := fmt.Fprintf(w, "%s seeded in %s\n", plural(report.Written, "secret"), o.env)
		return err
	})
}
