package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardhq/ward/client"
)

func newDBCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "The database engine: configs, roles, and short-lived database users",
		Long: `Each environment has a database engine at ENV/database/, in the shapes of
HashiCorp Vault's: a config says how ward reaches a PostgreSQL as its admin,
a role what a generated user may do and for how long, and creds makes a new
user with a lease; ward drops the user when the lease ends.

The admin password is read from stdin (never a flag), stored encrypted and
never shown again; 'ward db rotate-root' replaces it with one only ward
knows. Policies name the engine's paths as they are called:
staging/database/creds/app, staging/database/roles/app,
staging/database/config/main.`,
		Example: `  printf '%s\n' "$PGADMIN_PW" | ward db config write --env staging main --connection-url 'postgres://{{username}}:{{password}}@db:5432/app' --username ward_admin --allowed-roles app
  ward db role write --env staging app --db-name main --default-ttl 1h --max-ttl 24h --creation-statement "CREATE ROLE \"{{name}}\" LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'"
  ward db creds --env staging app --format json`,
	}
	cmd.AddCommand(newDBConfigCmd(g), newDBRoleCmd(g), newDBCredsCmd(g), newDBRotateCmd(g),
		newDBStaticRoleCmd(g), newDBStaticCredsCmd(g), newDBRotateRoleCmd(g))
	return cmd
}

type dbConfigOpts struct {
	env, url, username, auth string
	roles                    []string
	noVerify                 bool
	format                   format
}

func newDBConfigCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Write, read, list and delete database configs",
		Example: `  printf '%s\n' "$PGADMIN_PW" | ward db config write --env staging main --connection-url 'postgres://{{username}}:{{password}}@db:5432/app' --username ward_admin --allowed-roles app
  ward db config read --env staging main`,
	}
	o := &dbConfigOpts{}
	write := &cobra.Command{
		Use:   "write NAME --connection-url URL --username USER --allowed-roles ROLE,...",
		Short: "Create or replace a config; the admin password comes from stdin",
		Long: `Write stores how ward reaches the database: a connection URL in which
{{username}} and {{password}} stand for the admin's (the URL itself must
hold no password), the admin user, and the roles that may use it. The
password is the first line of stdin, or asked for on a terminal. ward
connects before it stores the config, unless --no-verify.`,
		Example: `  printf '%s\n' "$PGADMIN_PW" | ward db config write --env staging main --connection-url 'postgres://{{username}}:{{password}}@db:5432/app?sslmode=require' --username ward_admin --allowed-roles app,readonly`,
		Args:    exactArgs(1, "give the config's name, like main"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.requireEnv(&o.env); err != nil {
				return err
			}
			pw, err := readPasswordInput(g, "admin password for "+o.username+": ", false)
			if err != nil {
				return err
			}
			body := map[string]any{
				"plugin_name": "postgresql-database-plugin", "connection_url": o.url, "username": o.username,
				"password": pw, "allowed_roles": o.roles, "verify_connection": !o.noVerify,
			}
			if o.auth != "" {
				body["password_authentication"] = o.auth
			}
			return dbWrite(cmd.Context(), g, o.env+"/database/config/"+url.PathEscape(args[0]), body, o.format, "config "+args[0]+" written")
		},
	}
	envFlagVar(write, &o.env)
	write.Flags().StringVar(&o.url, "connection-url", "", "PostgreSQL URL with {{username}} and {{password}}")
	write.Flags().StringVar(&o.username, "username", "", "the admin user ward connects as")
	write.Flags().StringSliceVar(&o.roles, "allowed-roles", nil, "roles that may use this config (comma-separated, or *)")
	write.Flags().StringVar(&o.auth, "password-authentication", "", "scram-sha-256: send PostgreSQL a verifier, never the password")
	write.Flags().BoolVar(&o.noVerify, "no-verify", false, "store without connecting first")
	formatFlag(write, &o.format)
	cmd.AddCommand(write, dbReadCmd(g, "config", "main"), dbListCmd(g, "config"), dbDeleteCmd(g, "config", "main"))
	return cmd
}

type dbRoleOpts struct {
	env, dbName        string
	create, revoke     []string
	defaultTTL, maxTTL time.Duration
	format             format
}

func newDBRoleCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "role",
		Short: "Write, read, list and delete database roles",
		Example: `  ward db role read --env staging app
  ward db role list --env staging`,
	}
	o := &dbRoleOpts{}
	write := &cobra.Command{
		Use:   "write NAME --db-name CONFIG --creation-statement SQL... [--default-ttl D] [--max-ttl D]",
		Short: "Create or replace a role: the statements that make its users, and their TTLs",
		Long: `A role names its config (which must list it in allowed_roles) and the SQL
that makes a user: {{name}} is the user's name (write "{{name}}", quoted),
{{password}} its password (inside single quotes), {{expiration}} its
lease's expiry. Without --revocation-statement, ward drops the user and
what it owns.`,
		Example: `  ward db role write --env staging app --db-name main --default-ttl 1h --max-ttl 24h --creation-statement "CREATE ROLE \"{{name}}\" LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'" --creation-statement 'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}"'`,
		Args:    exactArgs(1, "give the role's name, like app"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.requireEnv(&o.env); err != nil {
				return err
			}
			body := map[string]any{"db_name": o.dbName, "creation_statements": o.create,
				"default_ttl": int64(o.defaultTTL / time.Second), "max_ttl": int64(o.maxTTL / time.Second)}
			if len(o.revoke) > 0 {
				body["revocation_statements"] = o.revoke
			}
			return dbWrite(cmd.Context(), g, o.env+"/database/roles/"+url.PathEscape(args[0]), body, o.format, "role "+args[0]+" written")
		},
	}
	envFlagVar(write, &o.env)
	write.Flags().StringVar(&o.dbName, "db-name", "", "the config its users live in")
	write.Flags().StringArrayVar(&o.create, "creation-statement", nil, "SQL that makes a user (repeat for several)")
	write.Flags().StringArrayVar(&o.revoke, "revocation-statement", nil, "SQL that drops a user (repeat; default: drop it and what it owns)")
	write.Flags().DurationVar(&o.defaultTTL, "default-ttl", 0, "a lease's TTL (default 1h)")
	write.Flags().DurationVar(&o.maxTTL, "max-ttl", 0, "a lease's life at most, renewals included")
	formatFlag(write, &o.format)
	cmd.AddCommand(write, dbReadCmd(g, "roles", "app"), dbListCmd(g, "roles"), dbDeleteCmd(g, "roles", "app"))
	return cmd
}

func envFlagVar(cmd *cobra.Command, env *string) {
	cmd.Flags().StringVar(env, "env", "", "environment (default: 'ward env use')")
}

// dbWrite sends body to path and reports done.
func dbWrite(ctx context.Context, g *globals, path string, body map[string]any, f format, done string) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	if err := c.Do(ctx, http.MethodPut, path, body, nil); err != nil {
		return g.apiError(err)
	}
	return g.show(f, map[string]any{"ok": true, "path": path}, func(w io.Writer) error {
		_, err := fmt.Fprintln(w, done)
		return err
	})
}

// kind is "config" or "roles", as in the API path.
func dbReadCmd(g *globals, kind, example string) *cobra.Command {
	var env string
	var f format
	cmd := &cobra.Command{
		Use:     "read NAME",
		Short:   "Show a " + strings.TrimSuffix(kind, "s") + " (never a password)",
		Example: fmt.Sprintf("  ward db %s read --env staging %s --format json", strings.TrimSuffix(kind, "s"), example),
		Args:    exactArgs(1, "give its name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := envClient(g, &env)
			if err != nil {
				return err
			}
			var out struct {
				Data map[string]any `json:"data"`
			}
			if err := c.Do(cmd.Context(), http.MethodGet, env+"/database/"+kind+"/"+url.PathEscape(args[0]), nil, &out); err != nil {
				return g.apiError(err)
			}
			return g.show(f, out.Data, func(w io.Writer) error {
				keys := make([]string, 0, len(out.Data))
				for k := range out.Data {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				rows := make([][]string, 0, len(keys))
				for _, k := range keys {
					rows = append(rows, []string{k, fmt.Sprint(out.Data[k])})
				}
				return table(w, rows)
			})
		},
	}
	envFlagVar(cmd, &env)
	formatFlag(cmd, &f)
	return cmd
}

func dbListCmd(g *globals, kind string) *cobra.Command {
	var env string
	var f format
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the names",
		Example: fmt.Sprintf("  ward db %s list --env staging", strings.TrimSuffix(kind, "s")),
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := envClient(g, &env)
			if err != nil {
				return err
			}
			var out struct {
				Data struct {
					Keys []string `json:"keys"`
				} `json:"data"`
			}
			err = c.Do(cmd.Context(), "LIST", env+"/database/"+kind+"/", nil, &out)
			if err != nil && !errors.Is(err, client.ErrNotFound) {
				return g.apiError(err)
			}
			return g.show(f, out.Data.Keys, linesText(out.Data.Keys))
		},
	}
	envFlagVar(cmd, &env)
	formatFlag(cmd, &f)
	return cmd
}

func dbDeleteCmd(g *globals, kind, example string) *cobra.Command {
	var env string
	var f format
	cmd := &cobra.Command{
		Use:     "delete NAME",
		Short:   "Delete one; live users keep their leases until they end",
		Example: fmt.Sprintf("  ward db %s delete --env staging %s", strings.TrimSuffix(kind, "s"), example),
		Args:    exactArgs(1, "give its name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := envClient(g, &env)
			if err != nil {
				return err
			}
			if err := c.Do(cmd.Context(), http.MethodDelete, env+"/database/"+kind+"/"+url.PathEscape(args[0]), nil, nil); err != nil {
				return g.apiError(err)
			}
			return g.show(f, map[string]any{"deleted": args[0]}, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "deleted %s\n", args[0])
				return err
			})
		},
	}
	envFlagVar(cmd, &env)
	formatFlag(cmd, &f)
	return cmd
}

func newDBCredsCmd(g *globals) *cobra.Command {
	var env string
	var f format
	cmd := &cobra.Command{
		Use:   "creds ROLE",
		Short: "Make a new database user of a role, with its lease",
		Long: `Creds asks the engine for a new user of ROLE and prints its name, its
password (shown once, stored nowhere) and its lease. Revoke the lease when
done ('ward lease revoke ID'); otherwise the user is dropped when the lease
expires. In CI, prefer a ward.yaml entry (from: database/creds/ROLE): ward
run then makes, renews and revokes the user for the job.`,
		Example: `  ward db creds --env staging app
  ward db creds --env staging app --format json | jq -r .password`,
		Args: exactArgs(1, "give the role's name, like app"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := envClient(g, &env)
			if err != nil {
				return err
			}
			cr, err := c.DatabaseCreds(cmd.Context(), env, args[0])
			if err != nil {
				return g.apiError(err)
			}
			for _, w := range cr.Warnings {
				fmt.Fprintf(g.stderr, "ward: warning: %s\n", w)
			}
			res := map[string]any{"username": cr.Username, "password": cr.Password, "lease_id": cr.LeaseID,
				"lease_duration": int64(cr.LeaseDuration / time.Second), "renewable": cr.Renewable}
			return g.show(f, res, tableText([][]string{
				{"username", cr.Username}, {"password", cr.Password}, {"lease_id", cr.LeaseID},
				{"lease_duration", cr.LeaseDuration.String()}, {"renewable", fmt.Sprint(cr.Renewable)},
			}))
		},
	}
	envFlagVar(cmd, &env)
	formatFlag(cmd, &f)
	return cmd
}

func newDBRotateCmd(g *globals) *cobra.Command {
	return dbPostCmd(g, "rotate-root CONFIG", "Give a config's admin a new password that only ward knows",
		`  ward db rotate-root --env staging main`, "give the config's name, like main", "rotate-root",
		func(name string) string {
			return "the admin password of config " + name + " is rotated; only ward knows it now"
		})
}

// dbPostCmd is a command that posts to ENV/database/ACTION/NAME and says
// what it did.
func dbPostCmd(g *globals, use, short, example, argHint, action string, done func(name string) string) *cobra.Command {
	var env string
	var f format
	cmd := &cobra.Command{
		Use:     use,
		Short:   short,
		Example: example,
		Args:    exactArgs(1, argHint),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.requireEnv(&env); err != nil {
				return err
			}
			return dbWrite(cmd.Context(), g, env+"/database/"+action+"/"+url.PathEscape(args[0]), nil, f, done(args[0]))
		},
	}
	envFlagVar(cmd, &env)
	formatFlag(cmd, &f)
	return cmd
}

// envClient fills *env (see requireEnv) and returns the client.
func envClient(g *globals, env *string) (*client.Client, error) {
	if err := g.requireEnv(env); err != nil {
		return nil, err
	}
	return g.client()
}
