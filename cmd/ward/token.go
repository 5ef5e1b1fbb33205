package main

import (
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
		Example: `  ward token create --env staging --policy ci-api --ttl 15m
  ward token lookup
  ward token renew --increment 1h
  ward token revoke --self`,
	}
	var r client.TokenRequest
	var createFormat format
	var policies []string
	create := &cobra.Command{
		Use:   "create --env ENV --policy NAME[,NAME] [--ttl 15m]",
		Short: "Create a child token bound to one environment; prints it once",
		Example: `  ward token create --env staging --policy ci-api --ttl 15m
  ward token create --env staging --policy ci-api --format json | jq -r .client_token`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r.Policies = policies
			c, err := g.client()
			if err != nil {
				return err
			}
			a, err := c.CreateToken(cmd.Context(), r)
			if err != nil {
				return g.apiError(err)
			}
			return g.show(createFormat, a, tableText([][]string{
				{"token", a.ClientToken},
				{"accessor", a.Accessor},
				{"env", a.Env},
				{"policies", strings.Join(a.Policies, ",")},
				{"ttl", (time.Duration(a.LeaseDuration) * time.Second).String()},
				{"renewable", strconv.FormatBool(a.Renewable)},
			}))
		},
	}
	create.Flags().StringVar(&r.Env, "env", "", "environment the token may reach (default: your token's own)")
	create.Flags().StringSliceVar(&policies, "policy", nil, "policies, comma-separated or repeated")
	create.Flags().DurationVar(&r.TTL, "ttl", 0, "time to live, e.g. 15m (default: the server's)")
	create.Flags().DurationVar(&r.ExplicitMaxTTL, "max-ttl", 0, "no renewal goes past this")
	create.Flags().StringVar(&r.DisplayName, "display-name", "", "a name for audit entries")
	formatFlag(create, &createFormat)

	var lookupFormat format
	var accessor string
	lookup := &cobra.Command{
		Use:   "lookup [--accessor ACCESSOR]",
		Short: "Describe your token, or the token with an accessor",
		Example: `  ward token lookup
  ward token lookup --accessor 7c1f... --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
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
			return g.show(lookupFormat, info, tableText([][]string{
				{"accessor", info.Accessor},
				{"display name", info.DisplayName},
				{"env", env},
				{"policies", strings.Join(info.Policies, ",")},
				{"ttl", ttl},
				{"expires", expire},
				{"renewable", strconv.FormatBool(info.Renewable)},
			}))
		},
	}
	lookup.Flags().StringVar(&accessor, "accessor", "", "look up the token with this accessor")
	formatFlag(lookup, &lookupFormat)

	var increment time.Duration
	var renewFormat format
	renew := &cobra.Command{
		Use:     "renew [--increment 1h]",
		Short:   "Extend your token's life, up to its max TTL",
		Example: `  ward token renew --increment 1h`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			a, err := c.RenewSelf(cmd.Context(), increment)
			if err != nil {
				return g.apiError(err)
			}
			return g.show(renewFormat, a, lineText("token renewed: ttl %s", time.Duration(a.LeaseDuration)*time.Second))
		},
	}
	formatFlag(renew, &renewFormat)
	renew.Flags().DurationVar(&increment, "increment", 0, "requested extension (default: the token's TTL)")

	var revokeAccessor string
	var self bool
	var revokeFormat format
	revoke := &cobra.Command{
		Use:   "revoke --accessor ACCESSOR | --self",
		Short: "Revoke a token and all of its children",
		Example: `  ward token revoke --self
  ward token revoke --accessor 7c1f...`,
		Args: cobra.NoArgs,
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
			return g.show(revokeFormat, map[string]any{"revoked": true, "accessor": revokeAccessor, "self": self}, lineText("token revoked, with its children"))
		},
	}
	formatFlag(revoke, &revokeFormat)
	revoke.Flags().StringVar(&revokeAccessor, "accessor", "", "revoke the token with this accessor")
	revoke.Flags().BoolVar(&self, "self", false, "revoke your own token")
	cmd.AddCommand(create, lookup, renew, revoke)
	return cmd
}
