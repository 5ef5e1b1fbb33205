package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardhq/ward/client"
)

func newTokenCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, look up, renew and revoke tokens",
		Long: `Every token is bound to exactly one environment and expires. Tokens are
never accepted as flags: ward reads yours from WARD_TOKEN or ~/.ward/token.`,
	}
	var r client.TokenRequest
	var format string
	var policies []string
	create := &cobra.Command{
		Use:   "create --env ENV --policy NAME[,NAME] [--ttl 15m]",
		Short: "Create a child token bound to one environment; prints it once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			r.Policies = policies
			c, err := g.client()
			if err != nil {
				return err
			}
			a, err := c.CreateToken(cmd.Context(), r)
			if err != nil {
				return g.apiError(err)
			}
			if format == "json" {
				return printJSON(g.stdout, a)
			}
			return table(g.stdout, [][]string{
				{"token", a.ClientToken},
				{"accessor", a.Accessor},
				{"env", a.Env},
				{"policies", strings.Join(a.Policies, ",")},
				{"ttl", (time.Duration(a.LeaseDuration) * time.Second).String()},
				{"renewable", strconv.FormatBool(a.Renewable)},
			})
		},
	}
	create.Flags().StringVar(&r.Env, "env", "", "environment the token may reach (default: your token's own)")
	create.Flags().StringSliceVar(&policies, "policy", nil, "policies, comma-separated or repeated")
	create.Flags().DurationVar(&r.TTL, "ttl", 0, "time to live, e.g. 15m (default: the server's)")
	create.Flags().DurationVar(&r.ExplicitMaxTTL, "max-ttl", 0, "no renewal goes past this")
	create.Flags().StringVar(&r.DisplayName, "display-name", "", "a name for audit entries")
	formatFlag(create, &format)

	var lookupFormat, accessor string
	lookup := &cobra.Command{
		Use:   "lookup [--accessor ACCESSOR]",
		Short: "Describe your token, or the token with an accessor",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(lookupFormat); err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			var info *client.TokenInfo
			if accessor != "" {
				info, err = c.LookupAccessor(cmd.Context(), accessor)
			} else {
				info, err = c.LookupSelf(cmd.Context())
			}
			if err != nil {
				return g.apiError(err)
			}
			if lookupFormat == "json" {
				return printJSON(g.stdout, info)
			}
			expire := "never"
			if info.ExpireTime != nil {
				expire = *info.ExpireTime
			}
			env, ttl := info.Env, (time.Duration(info.TTL) * time.Second).String()
			if env == "" {
				env = "(all: root)"
			}
			if info.ExpireTime == nil {
				ttl = "never expires"
			}
			return table(g.stdout, [][]string{
				{"accessor", info.Accessor},
				{"display name", info.DisplayName},
				{"env", env},
				{"policies", strings.Join(info.Policies, ",")},
				{"ttl", ttl},
				{"expires", expire},
				{"renewable", strconv.FormatBool(info.Renewable)},
			})
		},
	}
	lookup.Flags().StringVar(&accessor, "accessor", "", "look up the token with this accessor")
	formatFlag(lookup, &lookupFormat)

	var increment time.Duration
	renew := &cobra.Command{
		Use:   "renew [--increment 1h]",
		Short: "Extend your token's life, up to its max TTL",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			a, err := c.RenewSelf(cmd.Context(), increment)
			if err != nil {
				return g.apiError(err)
			}
			fmt.Fprintf(g.stdout, "token renewed: ttl %s\n", time.Duration(a.LeaseDuration)*time.Second)
			return nil
		},
	}
	renew.Flags().DurationVar(&increment, "increment", 0, "requested extension (default: the token's TTL)")

	var revokeAccessor string
	var self bool
	revoke := &cobra.Command{
		Use:   "revoke --accessor ACCESSOR | --self",
		Short: "Revoke a token and all of its children",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (revokeAccessor == "") == !self {
				return usagef("give exactly one of --accessor ACCESSOR or --self")
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			if self {
				err = c.RevokeSelf(cmd.Context())
			} else {
				err = c.RevokeAccessor(cmd.Context(), revokeAccessor)
			}
			if err != nil {
				return g.apiError(err)
			}
			fmt.Fprintln(g.stdout, "token revoked, with its children")
			return nil
		},
	}
	revoke.Flags().StringVar(&revokeAccessor, "accessor", "", "revoke the token with this accessor")
	revoke.Flags().BoolVar(&self, "self", false, "revoke your own token")
	cmd.AddCommand(create, lookup, renew, revoke)
	return cmd
}
