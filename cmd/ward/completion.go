package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// newCompletionCmd prints a shell's completion script for root.
func newCompletionCmd(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print the shell completion script for ward",
		Long: `Print the script that teaches a shell to complete ward's commands, flags
and arguments. Load it once per session, or install it where the shell
loads completions at start.`,
		Example: `  source <(ward completion bash)                                   # this bash session
  ward completion bash > ~/.local/share/bash-completion/completions/ward
  ward completion zsh > "${fpath[1]}/_ward"                        # then start a new zsh
  ward completion fish > ~/.config/fish/completions/ward.fish`,
		ValidArgs:             []string{"bash", "zsh", "fish", "powershell"},
		DisableFlagsInUseLine: true,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return withHint(usagef("name one shell: bash, zsh, fish or powershell"), "ward completion bash")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			w := cmd.OutOrStdout()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(w, true)
			case "zsh":
				return root.GenZshCompletion(w)
			case "fish":
				return root.GenFishCompletion(w, true)
			case "powershell":
				return root.GenPowerShellCompletionWithDesc(w)
			}
			return withHint(usagef("ward cannot complete for %q", args[0]), fmt.Sprintf("name one of %v", cmd.ValidArgs))
		},
	}
}

// newHelpCmd is ward help, with ward's usage errors and examples.
func newHelpCmd(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "help [COMMAND...]",
		Short: "Show the help of ward or of a command",
		Example: `  ward help
  ward help kv put`,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, rest, err := root.Find(args)
			if err != nil || len(rest) > 0 {
				name := args[len(args)-1]
				if c == nil {
					c = root
				}
				return unknownCommand(c, name)
			}
			return c.Help()
		},
	}
}

// completeEnvs completes an environment's name from the server's list,
// when the server can be asked.
func (g *globals) completeEnvs(cmd *cobra.Command, _ []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
	c, err := g.client()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	envs, err := c.Envs(cmd.Context())
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for _, e := range envs {
		if strings.HasPrefix(e.Name, prefix) {
			out = append(out, e.Name)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// envCompletion completes every --env flag of the tree, and the ENV
// argument of the env commands that take one, with the server's
// environments.
func (g *globals) envCompletion(root *cobra.Command) {
	walk(root, func(c *cobra.Command) {
		if c.Flags().Lookup("env") != nil {
			c.RegisterFlagCompletionFunc("env", g.completeEnvs)
		}
	})
	for _, path := range [][]string{{"env", "use"}, {"env", "delete"}, {"env", "rules", "set"}, {"env", "rules", "show"}} {
		if c, _, err := root.Find(path); err == nil {
			c.ValidArgsFunction = func(cmd *cobra.Command, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
				if len(args) > 0 {
					return nil, cobra.ShellCompDirectiveNoFileComp
				}
				return g.completeEnvs(cmd, args, prefix)
			}
		}
	}
}
