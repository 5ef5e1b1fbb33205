package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardhq/ward/client"
)

func newUserCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Create, list, delete users and set their passwords (password login)",
		Long: `Users log in with a name and a password ('ward login') and get a token bound
to one environment, with the user's policies. Names ignore case, width and
surrounding spaces: "Alice", " alice " and "ａｌｉｃｅ" are one user.

Passwords are read from a prompt (twice) or the first line of stdin, never
from the command line. After 5 failed logins in 15 minutes a name is locked
for the rest of the 15 minutes, whether or not the user exists.

  ward user create alice --policy dev-read,staging-read
  printf '%s\n' "$PW" | ward user create ci-bot --policy deploy --env staging
  ward user passwd alice`,
	}
	var policies []string
	var env string
	var ttl, maxTTL time.Duration
	create := &cobra.Command{
		Use:   "create NAME --policy NAME[,NAME] [--env ENV] [--ttl 8h] [--max-ttl 24h]",
		Short: "Create or update a user; asks for the password",
		Args:  exactArgs(1, "give the user's name, like alice"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			pw, err := readPasswordInput(g, "password for "+args[0]+": ", true)
			if err != nil {
				return err
			}
			r := client.UserRequest{Password: &pw, Policies: policies, TTL: ttl, MaxTTL: maxTTL}
			if cmd.Flags().Changed("env") {
				r.Env = &env
			}
			if err := c.PutUser(cmd.Context(), args[0], r); err != nil {
				return g.apiError(err)
			}
			fmt.Fprintf(g.stdout, "user %s written\n", strings.TrimSpace(args[0]))
			return nil
		},
	}
	create.Flags().StringSliceVar(&policies, "policy", nil, "policies of the user's tokens, comma-separated or repeated")
	create.Flags().StringVar(&env, "env", "", "bind every login to this environment (default: the login names one)")
	create.Flags().DurationVar(&ttl, "ttl", 0, "life of the user's tokens (default: the server's)")
	create.Flags().DurationVar(&maxTTL, "max-ttl", 0, "no renewal takes a token past this")

	passwd := &cobra.Command{
		Use:   "passwd NAME",
		Short: "Set a user's password; asks for it",
		Args:  exactArgs(1, "give the user's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			pw, err := readPasswordInput(g, "new password for "+args[0]+": ", true)
			if err != nil {
				return err
			}
			if err := c.SetUserPassword(cmd.Context(), args[0], pw); err != nil {
				return g.apiError(err)
			}
			fmt.Fprintf(g.stdout, "password of %s changed\n", strings.TrimSpace(args[0]))
			return nil
		},
	}

	var readFormat string
	read := &cobra.Command{
		Use:   "read NAME",
		Short: "Show a user's policies, environment, token TTLs and MFA state",
		Args:  exactArgs(1, "give the user's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(readFormat); err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			u, err := c.User(cmd.Context(), args[0])
			if err != nil {
				return g.apiError(err)
			}
			if readFormat == "json" {
				return printJSON(g.stdout, u)
			}
			mfa := "not enrolled"
			if u.TOTP != nil && u.TOTP.Confirmed {
				mfa = "totp"
			} else if u.TOTP != nil {
				mfa = "totp (not confirmed)"
			}
			env := u.Environment
			if env == "" {
				env = "(named at login)"
			}
			return table(g.stdout, [][]string{
				{"name", u.Name},
				{"policies", strings.Join(u.Policies, ",")},
				{"env", env},
				{"token ttl", ttlText(u.TTL)},
				{"token max ttl", ttlText(u.MaxTTL)},
				{"mfa", mfa},
			})
		},
	}
	formatFlag(read, &readFormat)

	var listFormat string
	list := &cobra.Command{
		Use:   "list",
		Short: "List user names",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(listFormat); err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			names, err := c.Users(cmd.Context())
			if err != nil {
				return g.apiError(err)
			}
			if listFormat == "json" {
				return printJSON(g.stdout, names)
			}
			for _, n := range names {
				fmt.Fprintln(g.stdout, n)
			}
			return nil
		},
	}
	formatFlag(list, &listFormat)

	del := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a user and its TOTP enrolment (its live tokens stay until revoked)",
		Args:  exactArgs(1, "give the user's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.DeleteUser(cmd.Context(), args[0]); err != nil {
				return g.apiError(err)
			}
			fmt.Fprintf(g.stdout, "user %s deleted\n", strings.TrimSpace(args[0]))
			return nil
		},
	}
	cmd.AddCommand(create, passwd, read, list, del)
	return cmd
}

// ttlText shows a TTL in seconds, 0 being the server's default.
func ttlText(sec int64) string {
	if sec == 0 {
		return "(server default)"
	}
	return (time.Duration(sec) * time.Second).String()
}
