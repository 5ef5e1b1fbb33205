package main

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"
)

func newEnvCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "env",
		Short: "Create, list and delete environments (dev, staging, prod, ...); choose a default",
		Long: `An environment is a hard boundary: its own data key, its own KV v2 mount at
/v1/NAME/, and tokens that reach it and nothing else.

Names are lowercase letters, digits and '-', 1 to 32 characters. Deleting an
environment destroys its key, its secrets and every token bound to it; a new
environment of the same name starts empty and old tokens stay dead.

'ward env use NAME' makes NAME the environment of ward kv, check and run when
--env is not given, in this directory and below it (or everywhere, with
--user). WARD_ENV, when set, wins over both; --env wins over everything.

An environment is production when ward/environments.yaml marks it so
(production: true, applied by ward apply), or, unmarked, when it is named
prod, production or prod-*; production: false unmarks a prod-named one.
Production guards: step-up MFA for applies that change it (apply-to-prod),
ward env seed refuses it, ward check there fails on synthetic values, and
ward check --prod-env must name one. 'ward env list' shows which are.`,
		Example: `  ward env list
  ward env create qa
  ward env use staging              # --env staging for commands run here
  ward env current`,
	}
	cmd.AddCommand(newEnvListCmd(g), newEnvCreateCmd(g), newEnvDeleteCmd(g), newEnvUseCmd(g), newEnvCurrentCmd(g), newEnvRulesCmd(g), newEnvSeedCmd(g))
	return cmd
}

func newEnvListCmd(g *globals) *cobra.Command {
	var f format
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List environments",
		Example: `  ward env list
  ward env list --format json | jq -r '.[].name'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runEnvList(cmd.Context(), g, f) },
	}
	formatFlag(cmd, &f)
	return cmd
}

func runEnvList(ctx context.Context, g *globals, f format) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	envs, err := c.Envs(ctx)
	if err != nil {
		return g.apiError(err)
	}
	rows := [][]string{{"NAME", "CREATED", "PRODUCTION"}}
	for _, e := range envs {
		prod := "no"
		if e.Production {
			prod = "yes"
		}
		if e.ProductionMarked {
			prod += " (marked)"
		} else {
			prod += " (by name)"
		}
		rows = append(rows, []string{e.Name, e.CreatedAt, prod})
	}
	return g.show(f, envs, tableText(rows))
}

func newEnvCreateCmd(g *globals) *cobra.Command {
	var f format
	cmd := &cobra.Command{
		Use:     "create NAME",
		Short:   "Create an environment",
		Example: `  ward env create qa`,
		Args:    exactArgs(1, "give the environment's name, like staging"),
		RunE:    func(cmd *cobra.Command, args []string) error { return runEnvCreate(cmd.Context(), g, args[0], f) },
	}
	formatFlag(cmd, &f)
	return cmd
}

func runEnvCreate(ctx context.Context, g *globals, name string, f format) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	e, err := c.CreateEnv(ctx, name)
	if err != nil {
		return g.apiError(err)
	}
	return g.show(f, e, lineText("environment %s created; its secrets live at /v1/%s/", name, name))
}

func newEnvDeleteCmd(g *globals) *cobra.Command {
	var yes bool
	var f format
	cmd := &cobra.Command{
		Use:     "delete NAME --yes",
		Short:   "Destroy an environment, its secrets and its tokens, for good",
		Example: `  ward env delete qa --yes`,
		Args:    exactArgs(1, "give the environment's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !yes {
				return withHint(usagef("deleting environment %q destroys all of its secrets for good", args[0]), "add --yes if that is what you want")
			}
			return runEnvDelete(cmd.Context(), g, args[0], f)
		},
	}
	cmd.Flags().BoolVar(&yes, "yes", false, "confirm the deletion")
	formatFlag(cmd, &f)
	return cmd
}

func runEnvDelete(ctx context.Context, g *globals, name string, f format) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	if err := c.DeleteEnv(ctx, name); err != nil {
		return g.apiError(err)
	}
	return g.show(f, map[string]any{"name": name, "deleted": true},
		lineText("environment %s deleted: its key, secrets and tokens are gone", name))
}

type envUseOpts struct {
	name   string
	user   bool // the user's default rather than the directory's
	unset  bool
	dir    string // "": the working directory
	format format
}

func newEnvUseCmd(g *globals) *cobra.Command {
	o := &envUseOpts{}
	cmd := &cobra.Command{
		Use:   "use NAME [--user] | use --unset [--user]",
		Short: "Choose the environment commands use when --env is not given",
		Long: `Choose the environment that ward kv, ward check and ward run use when --env
is not given: for this directory and every directory below it, or with
--user for every directory that has no choice of its own. The choice is kept
in ~/.ward/defaults.json (or $WARD_CONFIG_DIR), not in the repository.

Which environment applies, in order: --env, WARD_ENV, the choice for the
nearest directory, the user's choice. 'ward env current' says which one
applies here and why. When the server can be asked, NAME must be one of its
environments.`,
		Example: `  ward env use staging              # here and below
  ward env use --user dev           # everywhere else
  ward env use --unset              # forget this directory's choice
  ward env current`,
		Args: func(_ *cobra.Command, args []string) error {
			switch {
			case o.unset && len(args) > 0:
				return usagef("give a NAME or --unset, not both")
			case !o.unset && len(args) != 1:
				return withHint(usagef("give the environment's name, like staging"), "'ward env list' shows them")
			}
			if len(args) == 1 {
				o.name = args[0]
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return runEnvUse(cmd.Context(), g, o) },
	}
	cmd.Flags().BoolVar(&o.user, "user", false, "choose for the user, wherever no directory has a choice")
	cmd.Flags().BoolVar(&o.unset, "unset", false, "forget the choice")
	cmd.Flags().StringVar(&o.dir, "dir", "", "choose for this directory instead of the working directory")
	formatFlag(cmd, &o.format)
	return cmd
}

func runEnvUse(ctx context.Context, g *globals, o *envUseOpts) error {
	if o.user && o.dir != "" {
		return usagef("give --user or --dir, not both")
	}
	if !o.unset {
		if !envNameRE().MatchString(o.name) {
			return usagef("%q is not an environment name: lowercase letters, digits and '-', 1 to 32 characters", o.name)
		}
		if err := g.checkEnvExists(ctx, o.name); err != nil {
			return err
		}
	}
	d, err := g.loadEnvDefaults()
	if err != nil {
		return err
	}
	dir := g.absDir(o.dir)
	scope := "for " + dir + " and below"
	if o.user {
		scope = "for this user"
		d.User = o.name
	} else {
		if d.Dirs == nil {
			d.Dirs = map[string]string{}
		}
		d.Dirs[dir] = o.name
		if o.unset {
			delete(d.Dirs, dir)
		}
	}
	if err := g.saveEnvDefaults(d); err != nil {
		return fmt.Errorf("writing %s: %w", g.defaultsFile(), err)
	}
	res := map[string]any{"env": o.name, "scope": scope, "file": g.defaultsFile()}
	if o.unset {
		return g.show(o.format, res, lineText("no default environment %s any more", scope))
	}
	return g.show(o.format, res, lineText("default environment %s: %s (--env or WARD_ENV still win)", scope, o.name))
}

// checkEnvExists refuses a name the server does not have, when the server
// can be asked; a token that may not list environments is taken at its word.
func (g *globals) checkEnvExists(ctx context.Context, name string) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	envs, err := c.Envs(ctx)
	if err != nil {
		return nil
	}
	names := make([]string, len(envs))
	for i, e := range envs {
		names[i] = e.Name
	}
	if !slices.Contains(names, name) {
		return withHint(fmt.Errorf("the server at %s has no environment %q", c.Address(), name), fmt.Sprintf("its environments: %v; 'ward env create %s' makes it", names, name))
	}
	return nil
}

func newEnvCurrentCmd(g *globals) *cobra.Command {
	var f format
	cmd := &cobra.Command{
		Use:     "current",
		Short:   "Print the environment commands use here without --env, and why",
		Example: `  ward env current`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, source, err := g.defaultEnv()
			if err != nil {
				return err
			}
			return g.show(f, map[string]any{"env": env, "source": source}, func(w io.Writer) error {
				if env == "" {
					_, err := fmt.Fprintln(w, "no default environment: give --env, or choose one with 'ward env use NAME'")
					return err
				}
				_, err := fmt.Fprintf(w, "%s (from %s)\n", env, source)
				return err
			})
		},
	}
	formatFlag(cmd, &f)
	return cmd
}

// exactArgs is cobra.ExactArgs with a usage error that says what to give.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("%s", what)
		}
		return nil
	}
}
