package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func init() { register(newOperatorCmd) }

func newOperatorCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "operator",
		Short: "Initialise, unseal, seal and rotate the keys of a ward server",
	}
	var shares, threshold int
	var format string
	initCmd := &cobra.Command{
		Use:   "init [--shares 5 --threshold 3]",
		Short: "Initialise a new server: prints the unseal keys and the root token, once",
		Long: `Initialise a new server. The root key is split into --shares unseal keys,
any --threshold of which unseal the server. They and the root token are
printed once and never stored: hand each key to a different person.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			if threshold < 1 || shares < threshold || shares > 255 {
				return usagef("need 1 <= --threshold <= --shares <= 255")
			}
			c, err := apiClient()
			if err != nil {
				return err
			}
			res, err := c.Init(cmd.Context(), shares, threshold)
			if err != nil {
				return apiError(err)
			}
			if format == "json" {
				return printJSON(g.stdout, res)
			}
			for i, k := range res.Keys {
				fmt.Fprintf(g.stdout, "unseal key %d: %s\n", i+1, k)
			}
			fmt.Fprintf(g.stdout, "root token:   %s\n\n", res.RootToken)
			fmt.Fprintf(g.stdout, "ward is initialised and sealed. Unseal it with %d of these keys:\n  ward operator unseal   (%d times)\n", threshold, threshold)
			fmt.Fprintf(g.stdout, "These keys are shown once and are not stored anywhere.\n")
			return nil
		},
	}
	initCmd.Flags().IntVar(&shares, "shares", 5, "number of unseal keys")
	initCmd.Flags().IntVar(&threshold, "threshold", 3, "keys needed to unseal")
	formatFlag(initCmd, &format)

	var reset bool
	unseal := &cobra.Command{
		Use:   "unseal",
		Short: "Give the server one unseal key, from a prompt or stdin (never argv)",
		Args:  exactArgs(0, "the unseal key is read from a prompt or stdin, never from the command line"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := apiClient()
			if err != nil {
				return err
			}
			if reset {
				if err := c.Do(cmd.Context(), "PUT", "sys/unseal", map[string]any{"reset": true}, nil); err != nil {
					return apiError(err)
				}
				fmt.Fprintln(g.stdout, "unseal progress reset")
				return nil
			}
			key, err := readSecretLine(g, "unseal key: ")
			if err != nil {
				return err
			}
			share, err := hex.DecodeString(key)
			if err != nil || len(share) == 0 {
				return usagef("an unseal key is the hex string 'ward operator init' printed")
			}
			st, err := c.Unseal(cmd.Context(), share)
			if err != nil {
				return apiError(err)
			}
			if st.Sealed {
				fmt.Fprintf(g.stdout, "unseal progress %d of %d\n", st.Progress, st.Threshold)
			} else {
				fmt.Fprintln(g.stdout, "ward is unsealed")
			}
			return nil
		},
	}
	unseal.Flags().BoolVar(&reset, "reset", false, "forget the keys given so far")
	seal := &cobra.Command{
		Use:   "seal",
		Short: "Seal the server: its keys are zeroized until it is unsealed again",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := apiClient()
			if err != nil {
				return err
			}
			if err := c.Seal(cmd.Context()); err != nil {
				return apiError(err)
			}
			fmt.Fprintln(g.stdout, "ward is sealed")
			return nil
		},
	}
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Add a new encryption key term; old data stays readable, new writes use it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := apiClient()
			if err != nil {
				return err
			}
			if err := c.Rotate(cmd.Context()); err != nil {
				return apiError(err)
			}
			term, err := c.KeyTerm(cmd.Context())
			if err != nil {
				return apiError(err)
			}
			fmt.Fprintf(g.stdout, "key rotated: new writes use term %d\n", term)
			return nil
		},
	}
	var statusFormat string
	status := &cobra.Command{
		Use:   "status",
		Short: "Show whether the server is initialised and sealed",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(statusFormat); err != nil {
				return err
			}
			c, err := apiClient()
			if err != nil {
				return err
			}
			st, err := c.SealStatus(cmd.Context())
			if err != nil {
				return apiError(err)
			}
			if statusFormat == "json" {
				return printJSON(g.stdout, st)
			}
			return table(g.stdout, [][]string{
				{"address", c.Address()},
				{"initialized", fmt.Sprint(st.Initialized)},
				{"sealed", fmt.Sprint(st.Sealed)},
				{"threshold", fmt.Sprintf("%d of %d", st.Threshold, st.Shares)},
				{"progress", fmt.Sprint(st.Progress)},
				{"storage", st.StorageType},
			})
		},
	}
	formatFlag(status, &statusFormat)
	cmd.AddCommand(initCmd, unseal, seal, rotate, status, newMigrateCmd(g), newSnapshotCmd(g))
	return cmd
}

// readSecretLine reads one line without echo from the terminal, or from
// stdin when it is not a terminal.
func readSecretLine(g *globals, prompt string) (string, error) {
	if f, ok := g.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(g.stderr, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(g.stderr)
		if err != nil {
			return "", err
		}
		return strings.TrimSpace(string(b)), nil
	}
	line, err := bufio.NewReader(io.LimitReader(g.stdin, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	line = strings.TrimSpace(line)
	if line == "" {
		return "", usagef("no unseal key on stdin")
	}
	return line, nil
}
