package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
)

func newLeaseCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lease",
		Short: "List, look up, renew and revoke the leases of dynamic credentials",
		Long: `Every dynamic credential (a database user from ward db creds or a
ward.yaml entry from: database/creds/ROLE) has a lease: its id reads
ENV/database/creds/ROLE/RANDOM. When the lease ends — it expires, or is
revoked — ward takes the credential back (the database user is dropped).

The token that got a lease may look it up, renew and revoke it; a token whose
policy grants update on sys/leases/admin administers every lease of its
environment (and lists failed revocations); a root token, every lease.
A revocation that fails (the database is down) is kept, retried with
backoff and listed by 'ward lease list --failed'.`,
		Example: `  ward lease list staging/database/creds/app/
  ward lease list --failed
  ward lease renew staging/database/creds/app/7f3kq9x2mz --increment 1h
  ward lease revoke --prefix staging/database/creds/app`,
	}
	cmd.AddCommand(newLeaseListCmd(g), newLeaseLookupCmd(g), newLeaseRenewCmd(g), newLeaseRevokeCmd(g))
	return cmd
}

type leaseListOpts struct {
	failed bool
	format format
}

func newLeaseListCmd(g *globals) *cobra.Command {
	o := &leaseListOpts{}
	cmd := &cobra.Command{
		Use:   "list [PREFIX] | --failed",
		Short: "List the leases below a prefix, or the revocations being retried",
		Example: `  ward lease list staging/database/creds/
  ward lease list staging/database/creds/app/ --format json
  ward lease list --failed`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			prefix := ""
			if len(args) == 1 {
				prefix = args[0]
			}
			return runLeaseList(cmd.Context(), g, prefix, o)
		},
	}
	cmd.Flags().BoolVar(&o.failed, "failed", false, "list the revocations that failed and are retried (lease admins)")
	formatFlag(cmd, &o.format)
	return cmd
}

func runLeaseList(ctx context.Context, g *globals, prefix string, o *leaseListOpts) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	if o.failed {
		ls, err := c.FailedLeases(ctx)
		if err != nil {
			return g.apiError(err)
		}
		rows := [][]string{{"LEASE", "ATTEMPTS", "NEXT ATTEMPT", "LAST ERROR"}}
		for _, l := range ls {
			rows = append(rows, []string{l.ID, fmt.Sprint(l.Failure.Attempts), l.Failure.NextAttempt, firstLine(l.Failure.LastError)})
		}
		if len(ls) == 0 && o.format != formatJSON {
			fmt.Fprintln(g.stdout, "no failed revocations")
			return nil
		}
		return g.show(o.format, ls, tableText(rows))
	}
	if prefix == "" {
		return withHint(usagef("give a prefix, like staging/database/creds/app/, or --failed"), "ward lease list staging/database/creds/")
	}
	keys, err := c.ListLeases(ctx, prefix)
	if err != nil {
		return g.apiError(err)
	}
	return g.show(o.format, keys, linesText(keys))
}

func newLeaseLookupCmd(g *globals) *cobra.Command {
	var f format
	cmd := &cobra.Command{
		Use:     "lookup LEASE_ID",
		Short:   "Show a lease: when it was issued, when it expires, whether it renews",
		Example: `  ward lease lookup staging/database/creds/app/7f3kq9x2mz --format json`,
		Args:    exactArgs(1, "give the lease id, like staging/database/creds/app/7f3kq9x2mz"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			l, err := c.LookupLease(cmd.Context(), args[0])
			if err != nil {
				return g.apiError(err)
			}
			return g.show(f, l, func(w io.Writer) error {
				return table(w, [][]string{
					{"id", l.ID}, {"environment", l.Environment}, {"issued", l.IssueTime}, {"expires", l.ExpireTime},
					{"max expiry", l.MaxExpire}, {"ttl", (time.Duration(l.TTL) * time.Second).String()}, {"renewable", fmt.Sprint(l.Renewable)},
				})
			})
		},
	}
	formatFlag(cmd, &f)
	return cmd
}

func newLeaseRenewCmd(g *globals) *cobra.Command {
	var f format
	var inc time.Duration
	cmd := &cobra.Command{
		Use:   "renew LEASE_ID [--increment DURATION]",
		Short: "Extend a lease, up to its max TTL",
		Long: `Renew extends a lease by --increment from now (default: its TTL), capped at
its max TTL from issue and at the expiry of the token that got it; a capped
renewal prints the server's warning.`,
		Example: `  ward lease renew staging/database/creds/app/7f3kq9x2mz
  ward lease renew staging/database/creds/app/7f3kq9x2mz --increment 2h --format json`,
		Args: exactArgs(1, "give the lease id, like staging/database/creds/app/7f3kq9x2mz"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			ttl, warns, err := c.RenewLease(cmd.Context(), args[0], inc)
			if err != nil {
				return g.apiError(err)
			}
			for _, w := range warns {
				fmt.Fprintf(g.stderr, "ward: warning: %s\n", w)
			}
			res := map[string]any{"lease_id": args[0], "lease_duration": int64(ttl / time.Second), "warnings": warns}
			return g.show(f, res, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "lease %s renewed: %s left\n", args[0], ttl)
				return err
			})
		},
	}
	cmd.Flags().DurationVar(&inc, "increment", 0, "how long from now (default: the lease's TTL)")
	formatFlag(cmd, &f)
	return cmd
}

func newLeaseRevokeCmd(g *globals) *cobra.Command {
	var f format
	var prefix bool
	cmd := &cobra.Command{
		Use:   "revoke LEASE_ID | --prefix PREFIX",
		Short: "End a lease, or every lease below a prefix: the credentials are taken back",
		Long: `Revoke ends a lease now: the database user is dropped. With --prefix it
ends every lease at or below PREFIX in your environment (lease admins only).
A revocation that fails is kept and retried: 'ward lease list --failed'.`,
		Example: `  ward lease revoke staging/database/creds/app/7f3kq9x2mz
  ward lease revoke --prefix staging/database/creds/app --format json`,
		Args: exactArgs(1, "give the lease id (or, with --prefix, the prefix)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			revoke := c.RevokeLease
			if prefix {
				revoke = c.RevokeLeasePrefix
			}
			if err := revoke(cmd.Context(), args[0]); err != nil {
				return g.apiError(err)
			}
			return g.show(f, map[string]any{"revoked": args[0], "prefix": prefix}, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "revoked %s\n", args[0])
				return err
			})
		},
	}
	cmd.Flags().BoolVar(&prefix, "prefix", false, "revoke every lease at or below the argument (lease admins)")
	formatFlag(cmd, &f)
	return cmd
}
