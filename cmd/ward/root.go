package main

import (
	"io"

	"github.com/spf13/cobra"
)

// commands holds the constructors of every top-level subcommand. Each
// command's file adds its own in an init function, so that commands can be
// added without touching this file.
var commands []func(*globals) *cobra.Command

func register(newCmd func(*globals) *cobra.Command) { commands = append(commands, newCmd) }

// globals is what every command shares: its standard streams.
type globals struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

func newRootCmd(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "ward",
		Short: "ward keeps the secrets of CI/CD pipelines",
		Long: `ward keeps the secrets of CI/CD pipelines for teams that ship Go and Rust
services side by side.

The vault:   ward dev | ward server     an encrypted, audited store of secrets
The CI side: ward check | ward run | ward mask | ward scan

Quick start:
  ward dev                                  # a complete server on this machine
  ward kv put --env staging payments/db < db.json
  ward kv get --env staging payments/db`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return withHint(usagef("unknown command %q", args[0]), "run 'ward help' for the list of commands")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	// A token in argv is readable by every user of the machine (ps,
	// /proc/PID/cmdline): refuse it with the way to do it instead.
	var argvToken string
	root.PersistentFlags().StringVar(&argvToken, "token", "", "refused: give tokens in WARD_TOKEN or ~/.ward/token")
	root.PersistentFlags().MarkHidden("token")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if cmd.Flags().Changed("token") {
			return withHint(usagef("ward never takes a token from the command line, where other users of this machine can read it"),
				"export WARD_TOKEN, or let 'ward dev' or 'ward login' write ~/.ward/token")
		}
		return nil
	}
	for _, newCmd := range commands {
		root.AddCommand(newCmd(g))
	}
	return root
}
