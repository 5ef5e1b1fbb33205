package main

import (
	"fmt"

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
	}
	var file string
	write := &cobra.Command{
		Use:   "write NAME -f FILE",
		Short: "Create or replace a policy from a YAML file (- for stdin)",
		Args:  exactArgs(1, "give the policy's name, like ci-api"),
		RunE: func(cmd *cobra.Command, args []string) error {
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
			if err := c.PutPolicy(cmd.Context(), args[0], src); err != nil {
				return g.apiError(err)
			}
			fmt.Fprintf(g.stdout, "policy %s written\n", args[0])
			return nil
		},
	}
	write.Flags().StringVarP(&file, "file", "f", "", "the policy's YAML file (- for stdin)")
	read := &cobra.Command{
		Use:   "read NAME",
		Short: "Print a policy's YAML",
		Args:  exactArgs(1, "give the policy's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			src, err := c.Policy(cmd.Context(), args[0])
			if err != nil {
				return g.apiError(err)
			}
			_, err = fmt.Fprint(g.stdout, src)
			return err
		},
	}
	var format string
	list := &cobra.Command{
		Use:   "list",
		Short: "List policy names",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			names, err := c.Policies(cmd.Context())
			if err != nil {
				return g.apiError(err)
			}
			if format == "json" {
				if names == nil {
					names = []string{}
				}
				return printJSON(g.stdout, names)
			}
			for _, n := range names {
				fmt.Fprintln(g.stdout, n)
			}
			return nil
		},
	}
	formatFlag(list, &format)
	del := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a policy; tokens that name it lose what it granted",
		Args:  exactArgs(1, "give the policy's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.DeletePolicy(cmd.Context(), args[0]); err != nil {
				return g.apiError(err)
			}
			fmt.Fprintf(g.stdout, "policy %s deleted\n", args[0])
			return nil
		},
	}
	cmd.AddCommand(write, read, list, del)
	return cmd
}
