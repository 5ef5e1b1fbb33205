package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wardhq/ward/client"
	"github.com/wardhq/ward/internal/types"
)

func newTypeCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "type",
		Short: "Write, read, list and delete types: JSON Schemas that secrets must satisfy",
		Long: `A type is a JSON Schema (draft 2020-12) registered by name. A secret names its
type in its metadata (ward kv metadata put --env ENV PATH type=NAME), and
every write of it is then checked against the schema: a value that breaks a
rule is refused with the environment, path, field and rule, never the value.

ward ships these types: password, api-token, postgres, url-with-credentials,
tls, ssh-private-key, aws-access-key and jwt-signing-key (ward type read NAME
prints each). They cannot be replaced or deleted; write your own under
another name.

Every field is sensitive unless its property says "x-ward-sensitive": false;
only non-sensitive fields may be given as FIELD=VALUE on a command line.`,
		Example: `  ward type write payments-db -f payments-db.schema.json --dry-run
  ward type write payments-db -f payments-db.schema.json
  ward type read postgres
  ward kv metadata put --env prod payments/db type=payments-db`,
	}
	cmd.AddCommand(newTypeWriteCmd(g), newTypeReadCmd(g), newTypeListCmd(g), newTypeDeleteCmd(g))
	return cmd
}

type typeWriteOpts struct {
	file   string
	dryRun bool
	format format
}

func newTypeWriteCmd(g *globals) *cobra.Command {
	o := &typeWriteOpts{}
	cmd := &cobra.Command{
		Use:   "write NAME -f FILE [--dry-run]",
		Short: "Create or replace a type from a JSON Schema file (- for stdin)",
		Long: `Create or replace a type. The schema is checked before anything is sent:
an error names its line. Replacing a type lists every secret of that type,
in every environment, that does not conform to the new schema; --dry-run
lists them and changes nothing. A secret that does not conform is refused
at its next write until it is fixed.`,
		Example: `  ward type write payments-db -f payments-db.schema.json --dry-run
  ward type write payments-db -f payments-db.schema.json`,
		Args: exactArgs(1, "give the type's name, like payments-db"),
		RunE: func(cmd *cobra.Command, args []string) error { return runTypeWrite(cmd.Context(), g, args[0], o) },
	}
	cmd.Flags().StringVarP(&o.file, "file", "f", "", "the schema's JSON file (- for stdin)")
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "change nothing; list the secrets that would no longer conform")
	formatFlag(cmd, &o.format)
	return cmd
}

func runTypeWrite(ctx context.Context, g *globals, name string, o *typeWriteOpts) error {
	if o.file == "" {
		return usagef("-f FILE is required (- reads stdin)")
	}
	src, err := readInput(g.stdin, o.file, types.MaxSchemaBytes)
	if err != nil {
		return err
	}
	if _, err := types.Compile(name, src); err != nil {
		return withHint(fmt.Errorf("%s: %w", o.file, err), "a type is a JSON Schema (draft 2020-12) object; see 'ward type read postgres' for an example")
	}
	c, err := g.client()
	if err != nil {
		return err
	}
	res, err := c.PutType(ctx, name, src, o.dryRun)
	if err != nil {
		return g.apiError(err)
	}
	return g.show(o.format, res, func(w io.Writer) error {
		verb := "written"
		if o.dryRun {
			verb = "not written (dry run)"
		}
		fmt.Fprintf(w, "type %s %s\n", name, verb)
		printConflicts(w, res.Conflicts, o.dryRun)
		return nil
	})
}

func printConflicts(w io.Writer, cs []client.TypeConflict, dryRun bool) {
	if len(cs) == 0 {
		fmt.Fprintln(w, "every secret of this type conforms")
		return
	}
	what := "do not conform"
	if len(cs) == 1 {
		what = "does not conform"
	}
	if dryRun {
		what = "would no longer conform"
	}
	fmt.Fprintf(w, "%s %s:\n", plural(len(cs), "secret"), what)
	for _, c := range cs {
		for _, p := range c.Problems {
			fmt.Fprintf(w, "  %s/%s: field %q: %s\n", c.Env, c.Path, p.Field, p.Message)
		}
	}
}

func newTypeReadCmd(g *globals) *cobra.Command {
	var f format
	cmd := &cobra.Command{
		Use:   "read NAME",
		Short: "Print a type's JSON Schema",
		Example: `  ward type read postgres
  ward type read postgres > my-db.schema.json`,
		Args: exactArgs(1, "give the type's name, like postgres"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			t, err := c.Type(cmd.Context(), args[0])
			if err != nil {
				return g.apiError(err)
			}
			return g.show(f, t, func(w io.Writer) error {
				_, err := fmt.Fprintln(w, strings.TrimRight(t.Schema, "\n"))
				return err
			})
		},
	}
	formatFlag(cmd, &f)
	return cmd
}

func newTypeListCmd(g *globals) *cobra.Command {
	var f format
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the types, built-in and written",
		Example: `  ward type list`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			list, err := c.Types(cmd.Context())
			if err != nil {
				return g.apiError(err)
			}
			rows := [][]string{{"NAME", "KIND"}}
			for _, t := range list {
				kind := "written"
				if t.Builtin {
					kind = "built-in"
				}
				rows = append(rows, []string{t.Name, kind})
			}
			return g.show(f, list, tableText(rows))
		},
	}
	formatFlag(cmd, &f)
	return cmd
}

func newTypeDeleteCmd(g *globals) *cobra.Command {
	var f format
	cmd := &cobra.Command{
		Use:     "delete NAME",
		Short:   "Delete a written type that no secret names",
		Example: `  ward type delete payments-db`,
		Args:    exactArgs(1, "give the type's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.DeleteType(cmd.Context(), args[0]); err != nil {
				return g.apiError(err)
			}
			return g.show(f, map[string]any{"name": args[0], "deleted": true}, lineText("type %s deleted", args[0]))
		},
	}
	formatFlag(cmd, &f)
	return cmd
}
