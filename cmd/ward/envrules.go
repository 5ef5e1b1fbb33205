package main

import (
	"context"
	"strings"

	"github.com/spf13/cobra"
)

func newEnvRulesCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "Set and show the metadata an environment requires of its secrets",
		Long: `An environment's rules list the custom metadata every secret in it must
carry. Each --require is one rule; a rule of several comma-separated keys is
met by any one of them. A write (of data or metadata) that leaves a secret
without what the rules require is refused, naming what is missing and how
to add it.`,
		Example: `  ward env rules set prod --require owner --require type --require recipients --require expires_at,rotate_every
  ward env rules show prod
  ward env rules set dev --none`,
	}
	var require []string
	var none bool
	var setFormat format
	set := &cobra.Command{
		Use:   "set ENV (--require KEY[,KEY...]... | --none)",
		Short: "Replace an environment's required metadata",
		Example: `  ward env rules set prod --require owner --require expires_at,rotate_every
  ward env rules set dev --none`,
		Args: exactArgs(1, "give the environment's name, like prod"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runEnvRulesSet(cmd.Context(), g, args[0], require, none, setFormat)
		},
	}
	formatFlag(set, &setFormat)
	set.Flags().StringArrayVar(&require, "require", nil, "a required metadata key, or several comma-separated of which one is enough (repeatable)")
	set.Flags().BoolVar(&none, "none", false, "require nothing")
	var showFormat format
	show := &cobra.Command{
		Use:     "show ENV",
		Short:   "Print an environment's required metadata",
		Example: `  ward env rules show prod --format json`,
		Args:    exactArgs(1, "give the environment's name, like prod"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			groups, err := c.EnvRules(cmd.Context(), args[0])
			if err != nil {
				return g.apiError(err)
			}
			return g.show(showFormat, envRules{Env: args[0], Required: nonNil(groups).([][]string)},
				lineText("environment %s: %s", args[0], describeRules(groups)))
		},
	}
	formatFlag(show, &showFormat)
	cmd.AddCommand(set, show)
	return cmd
}

// runEnvRulesSet replaces env's rules with require (each a comma-separated
// group of keys, any one of which meets it), or none.
func runEnvRulesSet(ctx context.Context, g *globals, env string, require []string, none bool, f format) error {
	if none == (len(require) > 0) {
		return usagef("give --require KEY[,KEY...] (repeatable) or --none")
	}
	groups := [][]string{}
	for _, r := range require {
		var group []string
		for _, k := range strings.Split(r, ",") {
			if k = strings.TrimSpace(k); k != "" {
				group = append(group, k)
			}
		}
		if len(group) == 0 {
			return usagef("--require %q names no key", r)
		}
		groups = append(groups, group)
	}
	c, err := g.client()
	if err != nil {
		return err
	}
	if err := c.SetEnvRules(ctx, env, groups); err != nil {
		return g.apiError(err)
	}
	return g.show(f, envRules{Env: env, Required: groups}, lineText("environment %s: %s", env, describeRules(groups)))
}

// envRules is what rules set and show print as JSON.
type envRules struct {
	Env      string     `json:"env"`
	Required [][]string `json:"required_metadata"`
}

func describeRules(groups [][]string) string {
	if len(groups) == 0 {
		return "no metadata required"
	}
	parts := make([]string, len(groups))
	for i, g := range groups {
		parts[i] = strings.Join(g, " or ")
	}
	return "requires metadata " + strings.Join(parts, ", ")
}
