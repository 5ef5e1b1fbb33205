package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardhq/ward/client"
)

func init() { register(newLoginCmd) }

type loginOptions struct {
	env    string
	format string
}

func newLoginCmd(g *globals) *cobra.Command {
	var o loginOptions
	cmd := &cobra.Command{
		Use:   "login NAME [--env ENV]",
		Short: "Log in as a user with a password; stores the token in ~/.ward/token",
		Long: `Log in with a user's name and password (asked for on the terminal, or the
first line of stdin; never a flag). The token is bound to one environment:
the user's own if an admin set one ('ward user create --env'), else the one
given with --env. It is written 0600 to ~/.ward/token (or
$WARD_CONFIG_DIR/token), where ward's other commands find it.

  ward login alice --env staging
  printf '%s\n' "$PW" | ward login ci-bot`,
		Args: exactArgs(1, "give your user name: ward login NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(o.format); err != nil {
				return err
			}
			c, err := client.New(client.Config{Address: client.DefaultConfig().Address})
			if err != nil {
				return err
			}
			pw, err := readPasswordInput(g, "password for "+args[0]+": ", false)
			if err != nil {
				return err
			}
			a, err := c.Login(cmd.Context(), args[0], pw, o.env)
			if err != nil {
				return loginHint(err)
			}
			if err := writeTokenFile(a.ClientToken); err != nil {
				return err
			}
			ttl := (time.Duration(a.LeaseDuration) * time.Second).String()
			if o.format == "json" {
				return printJSON(g.stdout, map[string]any{
					"token_file": client.TokenFile(), "accessor": a.Accessor, "env": a.Env,
					"policies": a.Policies, "ttl": a.LeaseDuration, "username": a.Metadata["username"],
				})
			}
			fmt.Fprintf(g.stdout, "logged in as %s to %s for %s; token written to %s\n", a.Metadata["username"], a.Env, ttl, displayPath(client.TokenFile()))
			if os.Getenv("WARD_TOKEN") != "" {
				fmt.Fprintln(g.stderr, "ward: warning: WARD_TOKEN is set and wins over the token file; unset it to use this login")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&o.env, "env", "", "the environment the token is bound to (default: the user's own)")
	formatFlag(cmd, &o.format)
	return cmd
}

func loginHint(err error) error {
	var re *client.ResponseError
	if errors.As(err, &re) {
		switch re.StatusCode {
		case 400:
			return withHint(err, "check the name and password (5 failures in 15 minutes lock the name for a while), and give --env unless an admin bound your user to one")
		case 429:
			return withHint(err, "wait until the time given, or ask an admin to check the account")
		}
	}
	return apiError(err)
}
