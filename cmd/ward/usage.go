package main

import (
	"strings"

	"github.com/spf13/cobra"
)

// usageRules makes every command of the tree answer misuse with an error
// that names the right problem:
//
//   - a command that only groups others (ward kv, ward env) refuses an
//     unknown subcommand by name, with the closest ones ("did you mean"),
//     instead of printing its help and exiting 0;
//   - a flag error after an unknown subcommand (ward kv gett --env x) is
//     reported as the unknown subcommand, not as an unknown --env;
//   - every flag error is a usage error (exit 2).
func usageRules(root *cobra.Command) {
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		if isGroup(cmd) {
			if args := cmd.Flags().Args(); len(args) > 0 {
				return unknownCommand(cmd, args[0])
			}
		}
		return withHint(&usageError{err}, "'"+cmd.CommandPath()+" --help' lists its flags")
	})
	walk(root, func(c *cobra.Command) {
		if !isGroup(c) {
			return
		}
		c.SuggestionsMinimumDistance = 2
		c.Args = func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return unknownCommand(cmd, args[0])
			}
			return nil
		}
		c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	})
}

// isGroup reports whether c only groups subcommands.
func isGroup(c *cobra.Command) bool { return c.HasSubCommands() }

// unknownCommand is the usage error for a subcommand name that cmd lacks.
func unknownCommand(cmd *cobra.Command, name string) error {
	err := usagef("unknown command %q for %q", name, cmd.CommandPath())
	if s := cmd.SuggestionsFor(name); len(s) > 0 {
		return withHint(err, "did you mean "+quoteJoin(cmd.CommandPath(), s)+"?")
	}
	return withHint(err, "'"+cmd.CommandPath()+" --help' lists its commands")
}

// quoteJoin writes 'ward kv get' or 'ward kv get' or 'ward kv set'.
func quoteJoin(prefix string, names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "'" + prefix + " " + n + "'"
	}
	return strings.Join(q, " or ")
}

// walk calls fn on c and every command below it.
func walk(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, sub := range c.Commands() {
		walk(sub, fn)
	}
}
