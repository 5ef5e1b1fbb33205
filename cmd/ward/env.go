package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func init() { register(newEnvCmd) }

func newEnvCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "env",
		Short: "Create, list and delete environments (dev, staging, prod, ...)",
		Long: `An environment is a hard boundary: its own data key, its own KV v2 mount at
/v1/NAME/, and tokens that reach it and nothing else.

Names are lowercase letters, digits and '-', 1 to 32 characters. Deleting an
environment destroys its key, its secrets and every token bound to it; a new
environment of the same name starts empty and old tokens stay dead.`,
	}
	var format string
	list := &cobra.Command{
		Use:   "list",
		Short: "List environments",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			c, err := apiClient()
			if err != nil {
				return err
			}
			envs, err := c.Envs(cmd.Context())
			if err != nil {
				return apiError(err)
			}
			if format == "json" {
				return printJSON(g.stdout, envs)
			}
			rows := [][]string{{"NAME", "CREATED"}}
			for _, e := range envs {
				rows = append(rows, []string{e.Name, e.CreatedAt})
			}
			return table(g.stdout, rows)
		},
	}
	formatFlag(list, &format)
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create an environment",
		Args:  exactArgs(1, "give the environment's name, like staging"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := apiClient()
			if err != nil {
				return err
			}
			if _, err := c.CreateEnv(cmd.Context(), args[0]); err != nil {
				return apiError(err)
			}
			fmt.Fprintf(g.stdout, "environment %s created; its secrets live at /v1/%s/\n", args[0], args[0])
			return nil
		},
	}
	var yes bool
	del := &cobra.Command{
		Use:   "delete NAME --yes",
		Short: "Destroy an environment, its secrets and its tokens, for good",
		Args:  exactArgs(1, "give the environment's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !yes {
				return withHint(usagef("deleting environment %q destroys all of its secrets for good", args[0]), "add --yes if that is what you want")
			}
			c, err := apiClient()
			if err != nil {
				return err
			}
			if err := c.DeleteEnv(cmd.Context(), args[0]); err != nil {
				return apiError(err)
			}
			fmt.Fprintf(g.stdout, "environment %s deleted: its key, secrets and tokens are gone\n", args[0])
			return nil
		},
	}
	del.Flags().BoolVar(&yes, "yes", false, "confirm the deletion")
	cmd.AddCommand(list, create, del, newEnvRulesCmd(g))
	cmd.AddCommand(newEnvSeedCmd(g))
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
