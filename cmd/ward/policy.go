package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// maxPolicyBytes bounds a policy document.
const maxPolicyBytes = 256 << 10

func newPolicyCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Write, read, list and delete policies (YAML: path globs to capabilities)",
		Long: `A policy is a YAML document of rules: a path glob inside an environment and
the capabilities it grants there. deny always wins.

  rules:
    - path: staging/payments/*
      capabilities: [read, list]
    - path: prod/payments/admin/**
      capabilities: [deny]
    - path: prod/payments/db
      capabilities: [read]
      mfa: required             # needs a fresh TOTP code (ward mfa)

Some operations need MFA for every non-root token whatever the policy
says: destroying versions, deleting an environment, reading a secret whose
custom_metadata has break_glass: "true" or changing that secret's metadata.
'ward mfa defaults' lists them.`,
		Example: `  ward policy write ci-api -f ci-api.yaml
  ward policy read ci-api
  ward policy list`,
	}
	cmd.AddCommand(newPolicyWriteCmd(g), newPolicyReadCmd(g), newPolicyListCmd(g), newPolicyDeleteCmd(g))
	return cmd
}

func newPolicyWriteCmd(g *globals) *cobra.Command {
	var file string
	var f format
	cmd := &cobra.Command{
		Use:   "write NAME -f FILE",
		Short: "Create or replace a policy from a YAML file (- for stdin)",
		Example: `  ward policy write ci-api -f ci-api.yaml
  ward policy write ci-api -f - < ci-api.yaml`,
		Args: exactArgs(1, "give the policy's name, like ci-api"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPolicyWrite(cmd.Context(), g, args[0], file, f)
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "the policy's YAML file (- for stdin)")
	formatFlag(cmd, &f)
	return cmd
}

func runPolicyWrite(ctx context.Context, g *globals, name, file string, f format) error {
	if file == "" {
		return usagef("-f FILE is required (- reads stdin)")
	}
	src, err := readInput(g.stdin, file, maxPolicyBytes)
	if err != nil {
		return err
	}
	c, err := g.client()
	if err != nil {
		return err
	}
	if err := c.PutPolicy(ctx, name, src); err != nil {
		return g.apiError(err)
	}
	return g.show(f, map[string]any{"name": name, "written": true}, lineText("policy %s written", name))
}

func newPolicyReadCmd(g *globals) *cobra.Command {
	var f format
	cmd := &cobra.Command{
		Use:     "read NAME",
		Short:   "Print a policy's YAML",
		Example: `  ward policy read ci-api > ci-api.yaml`,
		Args:    exactArgs(1, "give the policy's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			src, err := c.Policy(cmd.Context(), args[0])
			if err != nil {
				return g.apiError(err)
			}
			return g.show(f, map[string]any{"name": args[0], "policy": src}, func(w io.Writer) error {
				_, err := fmt.Fprint(w, src)
				return err
			})
		},
	}
	formatFlag(cmd, &f)
	return cmd
}

func newPolicyListCmd(g *globals) *cobra.Command {
	var f format
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List policy names",
		Example: `  ward policy list --format json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			names, err := c.Policies(cmd.Context())
			if err != nil {
				return g.apiError(err)
			}
			return g.show(f, names, linesText(names))
		},
	}
	formatFlag(cmd, &f)
	return cmd
}

func newPolicyDeleteCmd(g *globals) *cobra.Command {
	var f format
	cmd := &cobra.Command{
		Use:     "delete NAME",
		Short:   "Delete a policy; tokens that name it lose what it granted",
		Example: `  ward policy delete ci-api`,
		Args:    exactArgs(1, "give the policy's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.DeletePolicy(cmd.Context(), args[0]); err != nil {
				return g.apiError(err)
			}
			return g.show(f, map[string]any{"name": args[0], "deleted": true}, lineText("policy %s deleted", args[0]))
		},
	}
	formatFlag(cmd, &f)
	return cmd
}
