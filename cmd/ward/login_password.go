package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardhq/ward/client"
)

// passwordLoginHelp is ward login's help for humans; the --ci help
// follows it.
const passwordLoginHelp = `ward login NAME logs a user in with a password (asked for on the terminal,
or the first line of stdin; never a flag). The token is bound to one
environment: the user's own if an admin set one ('ward user create --env'),
else the one given with --env. It is written 0600 to ~/.ward/token (or
$WARD_CONFIG_DIR/token), where ward's other commands find it.

`

// runPasswordLogin is ward login NAME: a user's password for a token,
// stored where ward's other commands find it.
func runPasswordLogin(cmd *cobra.Command, g *globals, name, env string, f format) error {
	cfg := g.clientConfig()
	cfg.Token = "" // a login sends no token
	c, err := g.newClient(cfg)
	if err != nil {
		return err
	}
	pw, err := readPasswordInput(g, "password for "+name+": ", false)
	if err != nil {
		return err
	}
	a, err := c.Login(cmd.Context(), name, pw, env)
	if err != nil {
		return passwordLoginHint(g, err)
	}
	if err := g.writeTokenFile(a.ClientToken); err != nil {
		return fmt.Errorf("writing the token to %s: %w", g.tokenFile(), err)
	}
	if g.getenv("WARD_TOKEN") != "" {
		fmt.Fprintln(g.stderr, "ward: note: WARD_TOKEN is set and wins over the token file for later commands; unset it to use this login")
	}
	if f == formatJSON {
		return printJSON(g.stdout, map[string]any{
			"username": a.Metadata["username"], "accessor": a.Accessor, "env": a.Env,
			"policies": a.Policies, "ttl_seconds": a.LeaseDuration, "token_file": g.tokenFile(),
		})
	}
	ttl := (time.Duration(a.LeaseDuration) * time.Second).String()
	fmt.Fprintf(g.stdout, "logged in as %s to %s for %s; token written to %s\n", a.Metadata["username"], a.Env, ttl, g.displayPath(g.tokenFile()))
	return nil
}

func passwordLoginHint(g *globals, err error) error {
	var re *client.ResponseError
	if errors.As(err, &re) {
		switch re.StatusCode {
		case 400:
			return withHint(err, "check the name and password (5 failures in 15 minutes lock the name for a while), and give --env unless an admin bound your user to one")
		case 429:
			return withHint(err, "wait until the time given, or ask an admin to check the account")
		}
	}
	return g.apiError(err)
}
