package main

import (
	"context"
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
for the rest of the 15 minutes, whether or not the user exists.`,
		Example: `  ward user create alice --policy dev-read,staging-read
  printf '%s\n' "$PW" | ward user create ci-bot --policy deploy --env staging
  ward user passwd alice`,
	}
	var passwdFormat format
	passwd := &cobra.Command{
		Use:   "passwd NAME",
		Short: "Set a user's password; asks for it",
		Example: `  ward user passwd alice
  printf '%s\n' "$NEW_PW" | ward user passwd ci-bot`,
		Args: exactArgs(1, "give the user's name"),
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
			name := strings.TrimSpace(args[0])
			return g.show(passwdFormat, map[string]any{"name": name, "password_changed": true}, lineText("password of %s changed", name))
		},
	}
	formatFlag(passwd, &passwdFormat)

	var listFormat format
	list := &cobra.Command{
		Use:     "list",
		Short:   "List user names",
		Example: `  ward user list`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			names, err := c.Users(cmd.Context())
			if err != nil {
				return g.apiError(err)
			}
			return g.show(listFormat, names, linesText(names))
		},
	}
	formatFlag(list, &listFormat)

	var delFormat format
	del := &cobra.Command{
		Use:     "delete NAME",
		Short:   "Delete a user and its TOTP enrolment (its live tokens stay until revoked)",
		Example: `  ward user delete alice`,
		Args:    exactArgs(1, "give the user's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.DeleteUser(cmd.Context(), args[0]); err != nil {
				return g.apiError(err)
			}
			name := strings.TrimSpace(args[0])
			return g.show(delFormat, map[string]any{"name": name, "deleted": true}, lineText("user %s deleted", name))
		},
	}
	formatFlag(del, &delFormat)
	cmd.AddCommand(newUserCreateCmd(g), passwd, newUserReadCmd(g), list, del)
	return cmd
}

type userCreateOpts struct {
	req    client.UserRequest
	env    string
	format format
}

func newUserCreateCmd(g *globals) *cobra.Command {
	o := &userCreateOpts{}
	cmd := &cobra.Command{
		Use:   "create NAME --policy NAME[,NAME] [--env ENV] [--ttl 8h] [--max-ttl 24h]",
		Short: "Create or update a user; asks for the password",
		Example: `  ward user create alice --policy dev-read,staging-read
  printf '%s\n' "$PW" | ward user create ci-bot --policy deploy --env staging --ttl 1h`,
		Args: exactArgs(1, "give the user's name, like alice"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("env") {
				o.req.Env = &o.env
			}
			return runUserCreate(cmd.Context(), g, args[0], o)
		},
	}
	cmd.Flags().StringSliceVar(&o.req.Policies, "policy", nil, "policies of the user's tokens, comma-separated or repeated")
	cmd.Flags().StringVar(&o.env, "env", "", "bind every login to this environment (default: the login names one)")
	cmd.Flags().DurationVar(&o.req.TTL, "ttl", 0, "life of the user's tokens (default: the server's)")
	cmd.Flags().DurationVar(&o.req.MaxTTL, "max-ttl", 0, "no renewal takes a token past this")
	formatFlag(cmd, &o.format)
	return cmd
}

func runUserCreate(ctx context.Context, g *globals, name string, o *userCreateOpts) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	pw, err := readPasswordInput(g, "password for "+name+": ", true)
	if err != nil {
		return err
	}
	r := o.req
	r.Password = &pw
	if err := c.PutUser(ctx, name, r); err != nil {
		return g.apiError(err)
	}
	name = strings.TrimSpace(name)
	return g.show(o.format, map[string]any{"name": name, "written": true}, lineText("user %s written", name))
}

func newUserReadCmd(g *globals) *cobra.Command {
	var f format
	cmd := &cobra.Command{
		Use:     "read NAME",
		Short:   "Show a user's policies, environment, token TTLs and MFA state",
		Example: `  ward user read alice --format json`,
		Args:    exactArgs(1, "give the user's name"),
		RunE:    func(cmd *cobra.Command, args []string) error { return runUserRead(cmd.Context(), g, args[0], f) },
	}
	formatFlag(cmd, &f)
	return cmd
}

func runUserRead(ctx context.Context, g *globals, name string, f format) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	u, err := c.User(ctx, name)
	if err != nil {
		return g.apiError(err)
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
	return g.show(f, u, tableText([][]string{
		{"name", u.Name},
		{"policies", strings.Join(u.Policies, ",")},
		{"env", env},
		{"token ttl", ttlText(u.TTL)},
		{"token max ttl", ttlText(u.MaxTTL)},
		{"mfa", mfa},
	}))
}

// ttlText shows a TTL in seconds, 0 being the server's default.
func ttlText(sec int64) string {
	if sec == 0 {
		return "(server default)"
	}
	return (time.Duration(sec) * time.Second).String()
}
