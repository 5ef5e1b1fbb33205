package main

import (
	"context"
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
	cmd.AddCommand(newTokenCreateCmd(g), newTokenLookupCmd(g), newTokenRenewCmd(g), newTokenRevokeCmd(g))
	return cmd
}

type tokenCreateOpts struct {
	req    client.TokenRequest
	format format
}

func newTokenCreateCmd(g *globals) *cobra.Command {
	o := &tokenCreateOpts{}
	cmd := &cobra.Command{
		Use:   "create --env ENV --policy NAME[,NAME] [--ttl 15m]",
		Short: "Create a child token bound to one environment; prints it once",
		Example: `  ward token create --env staging --policy ci-api --ttl 15m
  ward token create --env staging --policy ci-api --format json | jq -r .client_token`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runTokenCreate(cmd.Context(), g, o) },
	}
	cmd.Flags().StringVar(&o.req.Env, "env", "", "environment the token may reach (default: your token's own)")
	cmd.Flags().StringSliceVar(&o.req.Policies, "policy", nil, "policies, comma-separated or repeated")
	cmd.Flags().DurationVar(&o.req.TTL, "ttl", 0, "time to live, e.g. 15m (default: the server's)")
	cmd.Flags().DurationVar(&o.req.ExplicitMaxTTL, "max-ttl", 0, "no renewal goes past this")
	cmd.Flags().StringVar(&o.req.DisplayName, "display-name", "", "a name for audit entries")
	formatFlag(cmd, &o.format)
	return cmd
}

func runTokenCreate(ctx context.Context, g *globals, o *tokenCreateOpts) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	a, err := c.CreateToken(ctx, o.req)
	if err != nil {
		return g.apiError(err)
	}
	return g.show(o.format, a, tableText([][]string{
		{"token", a.ClientToken},
		{"accessor", a.Accessor},
		{"env", a.Env},
		{"policies", strings.Join(a.Policies, ",")},
		{"ttl", (time.Duration(a.LeaseDuration) * time.Second).String()},
		{"renewable", strconv.FormatBool(a.Renewable)},
	}))
}

type tokenLookupOpts struct {
	accessor string
	format   format
}

func newTokenLookupCmd(g *globals) *cobra.Command {
	o := &tokenLookupOpts{}
	cmd := &cobra.Command{
		Use:   "lookup [--accessor ACCESSOR]",
		Short: "Describe your token, or the token with an accessor",
		Example: `  ward token lookup
  ward token lookup --accessor 7c1f... --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runTokenLookup(cmd.Context(), g, o) },
	}
	cmd.Flags().StringVar(&o.accessor, "accessor", "", "look up the token with this accessor")
	formatFlag(cmd, &o.format)
	return cmd
}

func runTokenLookup(ctx context.Context, g *globals, o *tokenLookupOpts) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	var info *client.TokenInfo
	if o.accessor != "" {
		info, err = c.LookupAccessor(ctx, o.accessor)
	} else {
		info, err = c.LookupSelf(ctx)
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
	return g.show(o.format, info, tableText([][]string{
		{"accessor", info.Accessor},
		{"display name", info.DisplayName},
		{"env", env},
		{"policies", strings.Join(info.Policies, ",")},
		{"ttl", ttl},
		{"expires", expire},
		{"renewable", strconv.FormatBool(info.Renewable)},
	}))
}

func newTokenRenewCmd(g *globals) *cobra.Command {
	var increment time.Duration
	var f format
	cmd := &cobra.Command{
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
			return g.show(f, a, lineText("token renewed: ttl %s", time.Duration(a.LeaseDuration)*time.Second))
		},
	}
	cmd.Flags().DurationVar(&increment, "increment", 0, "requested extension (default: the token's TTL)")
	formatFlag(cmd, &f)
	return cmd
}

func newTokenRevokeCmd(g *globals) *cobra.Command {
	var accessor string
	var self, orphan bool
	var f format
	cmd := &cobra.Command{
		Use:   "revoke --accessor ACCESSOR [--orphan] | --self",
		Short: "Revoke a token and all of its children",
		Long: `Revoke a token and all of its children, and the leases they got.

With --orphan (root only, as Vault's revoke -mode=orphan), the token alone
is revoked, with its own leases: its children become orphans and keep
working, with their leases, until they expire or are revoked themselves.`,
		Example: `  ward token revoke --self
  ward token revoke --accessor 7c1f...
  ward token revoke --accessor 7c1f... --orphan   # its children keep working`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (accessor == "") == !self {
				return usagef("give exactly one of --accessor ACCESSOR or --self")
			}
			if orphan && self {
				return usagef("--orphan takes --accessor ACCESSOR, not --self\nhint: a root token revokes another token alone: ward token revoke --accessor ACCESSOR --orphan")
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			what := "token revoked, with its children"
			switch {
			case self:
				err = c.RevokeSelf(cmd.Context())
			case orphan:
				err = c.RevokeAccessorOrphan(cmd.Context(), accessor)
				what = "token revoked; its children are orphans and keep working"
			default:
				err = c.RevokeAccessor(cmd.Context(), accessor)
			}
			if err != nil {
				return g.apiError(err)
			}
			return g.show(f, map[string]any{"revoked": true, "accessor": accessor, "self": self, "orphan": orphan}, lineText(what))
		},
	}
	cmd.Flags().StringVar(&accessor, "accessor", "", "revoke the token with this accessor")
	cmd.Flags().BoolVar(&self, "self", false, "revoke your own token")
	cmd.Flags().BoolVar(&orphan, "orphan", false, "revoke the token alone: its children become orphans (root only)")
	formatFlag(cmd, &f)
	return cmd
}
