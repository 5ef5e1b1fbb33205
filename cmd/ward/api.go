package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/wardhq/ward/client"
)

// persistentFlags adds the flags every command takes: where the server
// is, and the refusal of a token on the command line.
func (g *globals) persistentFlags(root *cobra.Command) {
	pf := root.PersistentFlags()
	pf.StringVar(&g.address, "address", "", "the ward server's URL (default: $WARD_ADDR, else "+client.DefaultAddress+")")
	pf.StringVar(&g.caCert, "ca-cert", "", "PEM file of the CA that signed the server's certificate (default: $WARD_CACERT)")
	// A token in argv is readable by every user of the machine (ps,
	// /proc/PID/cmdline): refuse it with the way to do it instead.
	var argvToken string
	pf.StringVar(&argvToken, "token", "", "refused: give tokens in WARD_TOKEN or ~/.ward/token")
	pf.MarkHidden("token")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if cmd.Flags().Changed("token") {
			return withHint(usagef("ward never takes a token from the command line, where other users of this machine can read it"),
				"export WARD_TOKEN, or let 'ward dev' or 'ward login' write ~/.ward/token")
		}
		return nil
	}
}

// clientConfig is the configuration of the client commands use: --address
// and --ca-cert over WARD_ADDR and WARD_CACERT, and the token from
// WARD_TOKEN or the token file. Tokens are never taken from flags: argv is
// visible to every user of the machine.
func (g *globals) clientConfig() client.Config {
	cfg := client.ConfigFromEnv(g.getenv)
	if g.address != "" {
		cfg.Address = g.address
	}
	if g.caCert != "" {
		cfg.CACert = g.caCert
	}
	// A request refused for want of a TOTP code is sent once more with
	// the code from WARD_MFA or a terminal prompt.
	cfg.MFAPrompt = g.mfaPrompter()
	return cfg
}

// client returns a client for the server with the token of clientConfig.
func (g *globals) client() (*client.Client, error) {
	return g.newClient(g.clientConfig())
}

// newClient is client.New with errors a user can act on.
func (g *globals) newClient(cfg client.Config) (*client.Client, error) {
	c, err := client.New(cfg)
	if err != nil {
		return nil, withHint(usagef("%v", err), "set --address or WARD_ADDR to the server's URL, and --ca-cert or WARD_CACERT to a PEM file of its CA")
	}
	return c, nil
}

// tokenFile is where ward dev and ward login keep the token.
func (g *globals) tokenFile() string { return client.TokenFileFromEnv(g.getenv) }

// apiError adds the hint a user needs to an error from the client.
func (g *globals) apiError(err error) error {
	if err == nil {
		return nil
	}
	var ce *client.ConnectionError
	var re *client.ResponseError
	switch {
	case errors.Is(err, client.ErrCertificate):
		return withHint(err, "the server's certificate is not signed by a CA this machine trusts: give its CA's PEM file with --ca-cert or WARD_CACERT (a self-signed server: its own certificate)")
	case errors.As(err, &ce):
		return withHint(err, "is a ward server running there? start one with 'ward dev', or set --address or WARD_ADDR")
	case errors.Is(err, client.ErrMFARequired) && g.mfaCodeFromEnv() != "":
		return withHint(err, fmt.Sprintf("the code in WARD_MFA was refused: a code works once (also the one 'ward mfa confirm' took) and must be current; set WARD_MFA to the next code your app shows, in %ds", g.nextCodeIn()))
	case errors.Is(err, client.ErrMFARequired):
		return withHint(err, "this needs a TOTP code: set WARD_MFA to the code your authenticator app shows, or run on a terminal to be asked")
	case errors.Is(err, client.ErrSealed):
		return withHint(err, "unseal it with 'ward operator unseal' (threshold times)")
	case errors.As(err, &re) && re.StatusCode == 403:
		if g.clientConfig().Token == "" {
			return withHint(err, "no token: set WARD_TOKEN or run 'ward dev', which writes "+g.tokenFile())
		}
		return withHint(err, "your token lacks this capability, is expired, or belongs to another environment; see 'ward token lookup'")
	}
	return err
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
