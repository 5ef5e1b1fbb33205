package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/wardhq/ward/client"
)

// ciRole is --role and --audience of the commands a CI job runs (ward
// check, ward run): with a role, the command logs in with the job's OIDC
// token itself, as ward login --ci does, and keeps the ward token in memory
// only.
type ciRole struct {
	role, audience string
	keep           bool // keep the token until the job ends (ward run --watch polls with it)
}

func addRoleFlags(cmd *cobra.Command, r *ciRole) {
	cmd.Flags().StringVar(&r.role, "role", "", "log in with the CI job's OIDC token under this JWT role first (as 'ward login --ci' does; the token is kept in memory only)")
	cmd.Flags().StringVar(&r.audience, "audience", "", "with --role: the audience to ask GitHub Actions for (default "+DefaultCIAudience+")")
}

// roleClient returns the client a command fetches with: the usual one
// (WARD_TOKEN or the token file), or, with --role, one holding a fresh
// token from a CI login. done revokes that token once the caller has what
// it needed; it is a no-op without --role.
func roleClient(ctx context.Context, g *globals, r *ciRole) (cl *client.Client, done func(), err error) {
	cfg := g.clientConfig() // a break-glass secret asks for a TOTP code
	if r == nil || r.role == "" {
		if cl, err = g.newClient(cfg); err != nil {
			return nil, nil, err
		}
		return cl, func() {}, nil
	}
	tok, err := loginCI(ctx, g, loginCIOptions{Role: r.role, Audience: r.audience, Stdin: g.stdin})
	if err != nil {
		return nil, nil, err
	}
	cfg.Token = tok
	if cl, err = g.newClient(cfg); err != nil {
		return nil, nil, err
	}
	// The token lives for the role's TTL at most; revoking it when done
	// shortens that to the time the fetch took.
	return cl, func() { cl.RevokeSelf(context.WithoutCancel(ctx)) }, nil
}
