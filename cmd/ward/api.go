package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/wardhq/ward/client"
)

// apiClient returns a client for the server at WARD_ADDR with the token from
// WARD_TOKEN or ~/.ward/token. Tokens are never taken from flags: argv is
// visible to every user of the machine.
//
// A request refused for want of a TOTP code is sent once more with the
// code from WARD_MFA or a terminal prompt (see mfaPrompt).
func apiClient() (*client.Client, error) {
	cfg := client.DefaultConfig()
	cfg.MFAPrompt = mfaPrompt
	return client.New(cfg)
}

// apiError adds the hint a user needs to an error from the client.
func apiError(err error) error {
	if err == nil {
		return nil
	}
	var ce *client.ConnectionError
	var re *client.ResponseError
	switch {
	case errors.As(err, &ce):
		return withHint(err, "is a ward server running there? start one with 'ward dev', or set WARD_ADDR")
	case errors.Is(err, client.ErrMFARequired):
		return withHint(err, "this needs a TOTP code: set WARD_MFA to the code your authenticator app shows, or run on a terminal to be asked")
	case errors.Is(err, client.ErrSealed):
		return withHint(err, "unseal it with 'ward operator unseal' (threshold times)")
	case errors.As(err, &re) && re.StatusCode == 403:
		if client.DefaultConfig().Token == "" {
			return withHint(err, "no token: set WARD_TOKEN or run 'ward dev', which writes "+client.TokenFile())
		}
		return withHint(err, "your token lacks this capability, is expired, or belongs to another environment; see 'ward token lookup'")
	}
	return err
}

// formatFlag adds --format text|json to cmd.
func formatFlag(cmd *cobra.Command, dst *string) {
	cmd.Flags().StringVar(dst, "format", "text", "output format: text or json")
}

func checkFormat(f string) error {
	if f != "text" && f != "json" {
		return usagef("--format must be text or json, not %q", f)
	}
	return nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // output for people and programs, not for HTML
	return enc.Encode(v)
}

// table writes rows aligned in columns.
func table(w io.Writer, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// readInput reads what a command takes from a file ("-" or "": stdin),
// bounded so a mistaken input cannot exhaust memory.
func readInput(stdin io.Reader, file string, limit int64) ([]byte, error) {
	r := stdin
	name := "stdin"
	if file != "" && file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r, name = f, file
	}
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, limit)
	}
	return b, nil
}

// requireEnv checks that --env was given.
func requireEnv(env string) error {
	if env == "" {
		return withHint(usagef("missing --env"), "name the environment, e.g. --env staging; 'ward env list' shows them")
	}
	return nil
}
