package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardhq/ward/client"
	"github.com/wardhq/ward/internal/rotate"
)

// Rotation, retirement and breach drills: ward kv rotate, ward kv retire,
// ward kv rotation status, ward drill, and the static roles under ward db.

func newKVRotateCmd(g *globals) *cobra.Command {
	o := &kvOpts{}
	cmd := &cobra.Command{
		Use:   "rotate --env ENV PATH",
		Short: "Give a secret a new value now, made by its type's generator",
		Long: `Rotate makes the secret's next value with its type's generator (password,
api-token, jwt-signing-key, or a custom type with x-ward-generate), writes
it as pending, then makes it current with check-and-set: a writer who got
there first wins and nothing is lost. The previous version stays readable
for the overlap (metadata "overlap", default 24h), or until every recipient
has read the new one. A type without a generator is refused: its owner must
write the new value ('ward kv expiring' marks it "needs a person").`,
		Example: `  ward kv rotate --env prod payments/stripe
  ward kv rotation status --env prod payments/stripe`,
		Args: kvPathArgs(o),
		RunE: func(cmd *cobra.Command, _ []string) error { return runKVRotate(cmd.Context(), g, o) },
	}
	envFlagVar(cmd, &o.env)
	formatFlag(cmd, &o.format)
	return cmd
}

func runKVRotate(ctx context.Context, g *globals, o *kvOpts) error {
	c, err := envClient(g, &o.env)
	if err != nil {
		return err
	}
	var res struct {
		Record     rotate.Record `json:"record"`
		OldRetired bool          `json:"old_retired"`
		Verified   string        `json:"verified"`
	}
	if err := c.RotateSecret(ctx, o.env, o.path, &res); err != nil {
		return rotationError(g, err, o.env, o.path)
	}
	return g.show(o.format, res, lineText("%s/%s rotated: version %d is current; version %d stays valid until %s (%s)",
		o.env, o.path, res.Record.To, res.Record.From, res.Record.CurrentAt.Add(res.Record.Overlap).Format(time.RFC3339), res.Verified))
}

type kvRetireOpts struct {
	kvOpts
	reason string
}

func newKVRetireCmd(g *globals) *cobra.Command {
	o := &kvRetireOpts{}
	cmd := &cobra.Command{
		Use:   "retire --env ENV PATH [--reason TEXT]",
		Short: "End a secret for good: revoke its leases, destroy every version, keep a tombstone",
		Long: `Retire revokes every lease derived from the secret, destroys every
version and its metadata, and keeps a tombstone: who retired it, when and
why. A read of the path then answers 410 Gone with that record, and
'ward check' fails a manifest that still names it. It cannot be undone.`,
		Example: `  ward kv retire --env prod legacy/ftp --reason "FTP export replaced by S3"`,
		Args:    kvPathArgs(&o.kvOpts),
		RunE:    func(cmd *cobra.Command, _ []string) error { return runKVRetire(cmd.Context(), g, o) },
	}
	envFlagVar(cmd, &o.env)
	cmd.Flags().StringVar(&o.reason, "reason", "", "why it is retired (kept in the tombstone)")
	formatFlag(cmd, &o.format)
	return cmd
}

func runKVRetire(ctx context.Context, g *globals, o *kvRetireOpts) error {
	c, err := envClient(g, &o.env)
	if err != nil {
		return err
	}
	var t rotate.Tombstone
	if err := c.RetireSecret(ctx, o.env, o.path, o.reason, &t); err != nil {
		return rotationError(g, err, o.env, o.path)
	}
	return g.show(o.format, t, lineText("%s/%s retired by %s at %s: %d lease(s) revoked, every version destroyed",
		o.env, o.path, t.By, t.At.Format(time.RFC3339), t.LeasesRevoked))
}

func newKVRotationCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "rotation",
		Short:   "Where a secret's rotation stands",
		Example: `  ward kv rotation status --env prod payments/stripe`,
	}
	o := &kvOpts{}
	status := &cobra.Command{
		Use:   "status --env ENV PATH",
		Short: "Show who may still hold the previous version, and when it retires",
		Long: `Status shows the rotation under way: the versions, when the previous one
retires (the end of the overlap), and the identities (recipients and other
readers) whose last read is older than the new version.`,
		Example: `  ward kv rotation status --env prod payments/stripe --format json`,
		Args:    kvPathArgs(o),
		RunE:    func(cmd *cobra.Command, _ []string) error { return runKVRotationStatus(cmd.Context(), g, o) },
	}
	envFlagVar(status, &o.env)
	formatFlag(status, &o.format)
	cmd.AddCommand(status)
	return cmd
}

func runKVRotationStatus(ctx context.Context, g *globals, o *kvOpts) error {
	c, err := envClient(g, &o.env)
	if err != nil {
		return err
	}
	var st rotate.Status
	if err := c.RotationStatus(ctx, o.env, o.path, &st); err != nil {
		return rotationError(g, err, o.env, o.path)
	}
	return g.show(o.format, st, func(w io.Writer) error {
		if st.Record == nil {
			_, err := fmt.Fprintf(w, "%s/%s: no rotation under way\n", o.env, o.path)
			return err
		}
		r := st.Record
		fmt.Fprintf(w, "%s/%s: version %d -> %d, %s (%s)\n", o.env, o.path, r.From, r.To, r.State, r.Reason)
		if st.RetireAt != "" {
			fmt.Fprintf(w, "version %d retires at %s\n", r.From, st.RetireAt)
		}
		if len(st.Holders) == 0 {
			_, err := fmt.Fprintln(w, "nobody is known to still hold the previous version")
			return err
		}
		_, err := fmt.Fprintf(w, "may still hold version %d: %s\n", r.From, strings.Join(st.Holders, ", "))
		return err
	})
}

// rotationError adds hints to the errors of rotation commands.
func rotationError(g *globals, err error, env, path string) error {
	var re *client.ResponseError
	if errors.As(err, &re) {
		switch re.StatusCode {
		case http.StatusGone:
			return withHint(err, "the secret was retired; remove it from ward.yaml and write new secrets under another path")
		case http.StatusConflict:
			return withHint(err, fmt.Sprintf("another writer changed %s/%s or a rotation is under way; run it again", env, path))
		case http.StatusBadRequest:
			if strings.Contains(strings.Join(re.Errors, " "), "no generator") {
				return withHint(err, "its type has no generator: its owner writes the new value with 'ward kv put'")
			}
		}
	}
	return g.apiError(err)
}

type drillOpts struct {
	env, prefix, since string
	dryRun             bool
	format             format
}

func newDrillCmd(g *globals) *cobra.Command {
	o := &drillOpts{}
	cmd := &cobra.Command{
		Use:   "drill --env ENV --prefix PREFIX [--since TIME] [--dry-run]",
		Short: "Rehearse a breach: revoke, rotate and verify everything under a prefix",
		Long: `Drill takes everything under PREFIX in ENV as compromised: it revokes every
lease under it and every token that read a secret under it since --since
(an RFC 3339 time, or a duration back from now like 24h; default: any
time), rotates every secret and static role at once with no overlap, and
checks that each old credential is dead (a PostgreSQL login with the old
password fails) and each new one works. The report gives, per secret, the
time to revoke, the time to reissue and the check's result, and the owner
to contact for each secret it could not rotate. Audit entries carry the
drill id. --dry-run lists what would happen and changes nothing.

It needs update on sys/ward/drill (an admin's policy).`,
		Example: `  ward drill --env staging --prefix payments --dry-run
  ward drill --env staging --prefix payments --since 24h --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDrill(cmd.Context(), g, o) },
	}
	envFlagVar(cmd, &o.env)
	cmd.Flags().StringVar(&o.prefix, "prefix", "", "the secrets taken as compromised (a folder or one path)")
	cmd.Flags().StringVar(&o.since, "since", "", "revoke tokens that read under the prefix since then (RFC 3339, or like 24h)")
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "list what would happen; change nothing")
	formatFlag(cmd, &o.format)
	return cmd
}

func runDrill(ctx context.Context, g *globals, o *drillOpts) error {
	if o.prefix == "" {
		return withHint(usagef("--prefix is required"), "name the folder taken as compromised, like --prefix payments")
	}
	req := client.DrillRequest{Prefix: o.prefix, DryRun: o.dryRun}
	if o.since != "" {
		if d, err := time.ParseDuration(o.since); err == nil {
			req.Since = time.Now().Add(-d).UTC().Format(time.RFC3339)
		} else if _, err := time.Parse(time.RFC3339, o.since); err == nil {
			req.Since = o.since
		} else {
			return usagef("--since %q is neither an RFC 3339 time nor a duration like 24h", o.since)
		}
	}
	c, err := envClient(g, &o.env)
	if err != nil {
		return err
	}
	var rep rotate.DrillReport
	if err := c.Drill(ctx, o.env, req, &rep); err != nil {
		var re *client.ResponseError
		if errors.As(err, &re) && re.StatusCode == http.StatusForbidden {
			return withHint(err, "a drill needs update on sys/ward/drill: ask an admin to run it, or to grant it")
		}
		return g.apiError(err)
	}
	if err := g.show(o.format, rep, rep.WriteText); err != nil {
		return err
	}
	for _, s := range rep.Secrets {
		if s.Action == "failed" {
			return &exitError{Code: exitFailure, Msg: "the drill could not rotate or verify every secret; see the report"}
		}
	}
	return nil
}

// Static roles, under ward db.

type dbStaticOpts struct {
	env, dbName, username, alternate string
	rotation, overlap                time.Duration
	statements                       []string
	format                           format
}

func newDBStaticRoleCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "static-role",
		Short: "Existing database users whose password only ward knows, rotated on a schedule",
		Long: `A static role ties an existing PostgreSQL user to a password only ward
knows (Vault's static-roles/NAME: username, rotation_period, db_name).
ward adds --alternate-username: a second user with the same grants. Each
rotation then gives the new password to the idle one of the two and makes
it current, so the previous user and password keep working for the
overlap (default 24h), after which ward takes its password away.`,
		Example: `  ward db static-role write --env staging app --db-name main --username app_a --alternate-username app_b --rotation-period 720h
  ward db static-creds --env staging app
  ward db rotate-role --env staging app`,
	}
	o := &dbStaticOpts{}
	write := &cobra.Command{
		Use:     "write NAME --db-name CONFIG --username USER [--alternate-username USER2] [--rotation-period D]",
		Short:   "Create or replace a static role; a new one gets a password only ward knows at once",
		Example: `  ward db static-role write --env staging app --db-name main --username app_a --alternate-username app_b --rotation-period 720h --overlap 24h`,
		Args:    exactArgs(1, "give the static role's name, like app"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.requireEnv(&o.env); err != nil {
				return err
			}
			body := map[string]any{"db_name": o.dbName, "username": o.username, "alternate_username": o.alternate,
				"rotation_period": int64(o.rotation / time.Second), "overlap": int64(o.overlap / time.Second)}
			if len(o.statements) > 0 {
				body["rotation_statements"] = o.statements
			}
			return dbWrite(cmd.Context(), g, o.env+"/database/static-roles/"+url.PathEscape(args[0]), body, o.format, "static role "+args[0]+" written; its password is one only ward knows")
		},
	}
	envFlagVar(write, &o.env)
	write.Flags().StringVar(&o.dbName, "db-name", "", "the config of the database the user lives in")
	write.Flags().StringVar(&o.username, "username", "", "the existing database user")
	write.Flags().StringVar(&o.alternate, "alternate-username", "", "a second user with the same grants: rotations alternate, the old password keeps working for the overlap")
	write.Flags().DurationVar(&o.rotation, "rotation-period", 0, "rotate this often (0: only on request)")
	write.Flags().DurationVar(&o.overlap, "overlap", 0, "how long the previous user stays valid (default 24h)")
	write.Flags().StringArrayVar(&o.statements, "rotation-statement", nil, "SQL that sets the password (repeat; default ALTER ROLE ... PASSWORD)")
	formatFlag(write, &o.format)
	cmd.AddCommand(write, dbReadCmd(g, "static-roles", "app"), dbListCmd(g, "static-roles"), dbDeleteCmd(g, "static-roles", "app"))
	return cmd
}

func newDBStaticCredsCmd(g *globals) *cobra.Command {
	var env string
	var f format
	cmd := &cobra.Command{
		Use:   "static-creds NAME",
		Short: "Show a static role's current user and password",
		Example: `  ward db static-creds --env staging app
  ward db static-creds --env staging app --format json | jq -r .password`,
		Args: exactArgs(1, "give the static role's name, like app"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := envClient(g, &env)
			if err != nil {
				return err
			}
			var out struct {
				Data map[string]any `json:"data"`
			}
			if err := c.Do(cmd.Context(), http.MethodGet, env+"/database/static-creds/"+url.PathEscape(args[0]), nil, &out); err != nil {
				return g.apiError(err)
			}
			d := out.Data
			return g.show(f, d, tableText([][]string{
				{"username", fmt.Sprint(d["username"])}, {"password", fmt.Sprint(d["password"])},
				{"last_vault_rotation", fmt.Sprint(d["last_vault_rotation"])}, {"ttl", fmt.Sprint(d["ttl"])},
			}))
		},
	}
	envFlagVar(cmd, &env)
	formatFlag(cmd, &f)
	return cmd
}

func newDBRotateRoleCmd(g *globals) *cobra.Command {
	return dbPostCmd(g, "rotate-role NAME", "Give a static role a new password now",
		`  ward db rotate-role --env staging app`, "give the static role's name, like app", "rotate-role",
		func(name string) string { return "static role " + name + " rotated" })
}
