package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func newOperatorCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "operator",
		Short: "Initialise, unseal, seal and rotate the keys of a ward server",
		Example: `  ward operator init --shares 5 --threshold 3
  ward operator unseal          # asks for one key; threshold people, each their own key
  ward operator status`,
	}
	cmd.AddCommand(newOperatorInitCmd(g), newOperatorUnsealCmd(g), newOperatorSealCmd(g), newOperatorRotateCmd(g), newOperatorKeyStatusCmd(g), newOperatorStatusCmd(g), newMigrateCmd(g), newSnapshotCmd(g))
	return cmd
}

type operatorInitOpts struct {
	shares, threshold int
	format            format
}

func newOperatorInitCmd(g *globals) *cobra.Command {
	o := &operatorInitOpts{}
	cmd := &cobra.Command{
		Use:   "init [--shares 5 --threshold 3]",
		Short: "Initialise a new server: prints the unseal keys and the root token, once",
		Long: `Initialise a new server. The root key is split into --shares unseal keys,
any --threshold of which unseal the server. They and the root token are
printed once and never stored: hand each key to a different person.

A server with a private CA or a self-signed certificate: give its CA with
--ca-cert FILE or WARD_CACERT.`,
		Example: `  ward operator init --shares 5 --threshold 3
  ward --address https://ward.internal:8200 --ca-cert ca.pem operator init --format json > init.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runOperatorInit(cmd.Context(), g, o) },
	}
	cmd.Flags().IntVar(&o.shares, "shares", 5, "number of unseal keys")
	cmd.Flags().IntVar(&o.threshold, "threshold", 3, "keys needed to unseal")
	formatFlag(cmd, &o.format)
	return cmd
}

func runOperatorInit(ctx context.Context, g *globals, o *operatorInitOpts) error {
	if o.threshold < 1 || o.shares < o.threshold || o.shares > 255 {
		return usagef("need 1 <= --threshold <= --shares <= 255")
	}
	c, err := g.client()
	if err != nil {
		return err
	}
	res, err := c.Init(ctx, o.shares, o.threshold)
	if err != nil {
		return g.apiError(err)
	}
	return g.show(o.format, res, func(w io.Writer) error {
		for i, k := range res.Keys {
			fmt.Fprintf(w, "unseal key %d: %s\n", i+1, k)
		}
		fmt.Fprintf(w, "root token:   %s\n\n", res.RootToken)
		fmt.Fprintf(w, "ward is initialised and sealed. Unseal it with %s of these:\n  ward operator unseal   (%s)\n", plural(o.threshold, "key"), plural(o.threshold, "time"))
		_, err := fmt.Fprintf(w, "These keys are shown once and are not stored anywhere.\n")
		return err
	})
}

type operatorUnsealOpts struct {
	reset  bool
	format format
}

func newOperatorUnsealCmd(g *globals) *cobra.Command {
	o := &operatorUnsealOpts{}
	cmd := &cobra.Command{
		Use:   "unseal",
		Short: "Give the server one unseal key, from a prompt or stdin (never argv)",
		Example: `  ward operator unseal
  ward operator unseal < key-1.txt
  ward operator unseal --reset`,
		Args: exactArgs(0, "the unseal key is read from a prompt or stdin, never from the command line"),
		RunE: func(cmd *cobra.Command, _ []string) error { return runOperatorUnseal(cmd.Context(), g, o) },
	}
	cmd.Flags().BoolVar(&o.reset, "reset", false, "forget the keys given so far")
	formatFlag(cmd, &o.format)
	return cmd
}

func runOperatorUnseal(ctx context.Context, g *globals, o *operatorUnsealOpts) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	if o.reset {
		if err := c.Do(ctx, "PUT", "sys/unseal", map[string]any{"reset": true}, nil); err != nil {
			return g.apiError(err)
		}
		return g.show(o.format, map[string]any{"reset": true}, lineText("unseal progress reset"))
	}
	key, err := readSecretLine(g, "unseal key: ")
	if err != nil {
		return err
	}
	share, err := hex.DecodeString(key)
	if err != nil || len(share) == 0 {
		return usagef("an unseal key is the hex string 'ward operator init' printed")
	}
	st, err := c.Unseal(ctx, share)
	if err != nil {
		return g.apiError(err)
	}
	text := lineText("ward is unsealed")
	if st.Sealed {
		text = lineText("unseal progress %d of %d", st.Progress, st.Threshold)
	}
	return g.show(o.format, st, text)
}

func newOperatorSealCmd(g *globals) *cobra.Command {
	var f format
	cmd := &cobra.Command{
		Use:     "seal",
		Short:   "Seal the server: its keys are zeroized until it is unsealed again",
		Example: `  ward operator seal`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.Seal(cmd.Context()); err != nil {
				return g.apiError(err)
			}
			return g.show(f, map[string]any{"sealed": true}, lineText("ward is sealed"))
		},
	}
	formatFlag(cmd, &f)
	return cmd
}

func newOperatorRotateCmd(g *globals) *cobra.Command {
	var f format
	cmd := &cobra.Command{
		Use:     "rotate",
		Short:   "Add a new encryption key term; old data stays readable, new writes use it",
		Example: `  ward operator rotate`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.Rotate(cmd.Context()); err != nil {
				return g.apiError(err)
			}
			term, err := c.KeyTerm(cmd.Context())
			if err != nil {
				return g.apiError(err)
			}
			return g.show(f, map[string]any{"term": term}, lineText("key rotated: new writes use term %d", term))
		},
	}
	formatFlag(cmd, &f)
	return cmd
}

func newOperatorKeyStatusCmd(g *globals) *cobra.Command {
	var f format
	cmd := &cobra.Command{
		Use:   "key-status",
		Short: "Show the active encryption key term and when it was installed",
		Long: `Show the active encryption key term and when it was installed (by
ward operator init or the last ward operator rotate), as Vault's
operator key-status. A term installed before ward recorded install times
shows "unknown"; the next rotation records one.`,
		Example: `  ward operator key-status
  ward operator key-status --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			ks, err := c.KeyStatus(cmd.Context())
			if err != nil {
				return g.apiError(err)
			}
			installed := "unknown"
			if !ks.InstallTime.IsZero() {
				installed = ks.InstallTime.UTC().Format(time.RFC3339)
			}
			return g.show(f, ks, tableText([][]string{
				{"term", fmt.Sprint(ks.Term)},
				{"install time", installed},
			}))
		},
	}
	formatFlag(cmd, &f)
	return cmd
}

func newOperatorStatusCmd(g *globals) *cobra.Command {
	var f format
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show whether the server is initialised and sealed",
		Example: `  ward operator status
  ward operator status --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runOperatorStatus(cmd.Context(), g, f) },
	}
	formatFlag(cmd, &f)
	return cmd
}

func runOperatorStatus(ctx context.Context, g *globals, f format) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	st, err := c.SealStatus(ctx)
	if err != nil {
		return g.apiError(err)
	}
	return g.show(f, st, tableText([][]string{
		{"address", c.Address()},
		{"initialized", fmt.Sprint(st.Initialized)},
		{"sealed", fmt.Sprint(st.Sealed)},
		{"threshold", fmt.Sprintf("%d of %d", st.Threshold, st.Shares)},
		{"progress", fmt.Sprint(st.Progress)},
		{"storage", st.StorageType},
	}))
}

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
