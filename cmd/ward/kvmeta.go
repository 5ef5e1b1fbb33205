package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wardhq/ward/client"
)

func newKVMetadataCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "metadata",
		Aliases: []string{"meta"},
		Short:   "Read and change a secret's metadata: type, owner, recipients, expiry",
		Long: `A secret's custom metadata is public (visible to list and read) and never
secret. ward reads these keys:

  type          the type every write must conform to (ward type list)
  owner         who answers for the secret
  recipients    the components that use it, comma-separated
  expires_at    when it stops being valid, RFC 3339 (2027-01-31T00:00:00Z)
  rotate_every  how often it must be rewritten: 90d, 2w, 36h

An environment may require some of them (ward env rules show ENV); a write
that lacks one is refused.`,
		Example: `  ward kv metadata put --env prod payments/db type=postgres owner=payments recipients=api,indexer rotate_every=90d
  ward kv metadata get --env prod payments/db`,
	}
	cmd.AddCommand(newKVMetadataPutCmd(g), newKVMetadataGetCmd(g))
	return cmd
}

func newKVMetadataPutCmd(g *globals) *cobra.Command {
	o := &kvOpts{}
	cmd := &cobra.Command{
		Use:   "put --env ENV PATH KEY=VALUE...",
		Short: "Set custom metadata keys (KEY= removes one); other keys are kept",
		Example: `  ward kv metadata put --env prod payments/db owner=payments rotate_every=90d
  ward kv metadata put --env prod payments/db expires_at=     # removes expires_at`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return usagef("give the secret path and at least one KEY=VALUE, like payments/db owner=payments")
			}
			o.fields = args[1:]
			return kvPathArgs(o)(cmd, args[:1])
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runKVMetadataPut(cmd.Context(), g, o)
		},
	}
	cmd.Flags().StringVar(&o.env, "env", "", "environment (default: 'ward env use')")
	formatFlag(cmd, &o.format)
	return cmd
}

func runKVMetadataPut(ctx context.Context, g *globals, o *kvOpts) error {
	kv, err := kvAPI(g, o)
	if err != nil {
		return err
	}
	set := map[string]string{}
	for _, a := range o.fields {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return usagef("%q is not KEY=VALUE", a)
		}
		set[k] = v
	}
	md, err := kv.Metadata(ctx, o.path)
	if err != nil && !errors.Is(err, client.ErrNotFound) {
		return g.apiError(err)
	}
	custom := map[string]string{}
	if md != nil {
		maps.Copy(custom, md.CustomMetadata)
	}
	for k, v := range set {
		if v == "" {
			delete(custom, k)
		} else {
			custom[k] = v
		}
	}
	if err := kv.SetMetadata(ctx, o.path, client.MetadataUpdate{CustomMetadata: custom}); err != nil {
		return g.apiError(err)
	}
	return g.show(o.format, map[string]any{"env": o.env, "path": o.path, "custom_metadata": custom},
		lineText("%s/%s: metadata written", o.env, o.path))
}

func newKVMetadataGetCmd(g *globals) *cobra.Command {
	o := &kvOpts{}
	cmd := &cobra.Command{
		Use:   "get --env ENV PATH",
		Short: "Print a secret's custom metadata",
		Example: `  ward kv metadata get --env prod payments/db
  ward kv metadata get --env prod payments/db --format json`,
		Args: kvPathArgs(o),
		RunE: func(cmd *cobra.Command, _ []string) error { return runKVMetadataGet(cmd.Context(), g, o) },
	}
	cmd.Flags().StringVar(&o.env, "env", "", "environment (default: 'ward env use')")
	formatFlag(cmd, &o.format)
	return cmd
}

func runKVMetadataGet(ctx context.Context, g *globals, o *kvOpts) error {
	kv, err := kvAPI(g, o)
	if err != nil {
		return err
	}
	md, err := kv.Metadata(ctx, o.path)
	if err != nil {
		return g.apiError(err)
	}
	rows := [][]string{{"KEY", "VALUE"}}
	for _, k := range slices.Sorted(maps.Keys(md.CustomMetadata)) {
		rows = append(rows, []string{k, md.CustomMetadata[k]})
	}
	return g.show(o.format, md, tableText(rows))
}

func newKVUsageCmd(g *globals) *cobra.Command {
	o := &kvOpts{}
	cmd := &cobra.Command{
		Use:     "usage --env ENV PATH",
		Short:   "Show who read a secret last, and which version each identity read",
		Example: `  ward kv usage --env prod payments/db`,
		Args:    kvPathArgs(o),
		RunE:    func(cmd *cobra.Command, _ []string) error { return runKVUsage(cmd.Context(), g, o) },
	}
	cmd.Flags().StringVar(&o.env, "env", "", "environment (default: 'ward env use')")
	formatFlag(cmd, &o.format)
	return cmd
}

func runKVUsage(ctx context.Context, g *globals, o *kvOpts) error {
	if err := g.requireEnv(&o.env); err != nil {
		return err
	}
	c, err := g.client()
	if err != nil {
		return err
	}
	u, err := c.Usage(ctx, o.env, o.path)
	if err != nil {
		return g.apiError(err)
	}
	return g.show(o.format, u, func(w io.Writer) error {
		if u.LastReadTime == "" {
			_, err := fmt.Fprintf(w, "%s/%s has not been read\n", o.env, o.path)
			return err
		}
		fmt.Fprintf(w, "%s/%s: last read %s by %s\n", o.env, o.path, u.LastReadTime, u.LastReader)
		rows := [][]string{{"IDENTITY", "VERSION", "READ"}}
		ids := slices.SortedFunc(maps.Keys(u.Readers), func(a, b string) int {
			return strings.Compare(u.Readers[b].ReadTime, u.Readers[a].ReadTime)
		})
		for _, id := range ids {
			r := u.Readers[id]
			rows = append(rows, []string{id, fmt.Sprint(r.Version), r.ReadTime})
		}
		return table(w, rows)
	})
}

type kvExpiringOpts struct {
	within string
	format format
}

func newKVExpiringCmd(g *globals) *cobra.Command {
	o := &kvExpiringOpts{}
	cmd := &cobra.Command{
		Use:   "expiring [--within 14d]",
		Short: "List secrets past or near expires_at, or due for rotation by rotate_every",
		Long: `List the secrets, across the environments your token may list, whose
expires_at falls within the window (or has passed), and those whose last
write plus rotate_every does. Soonest first.`,
		Example: `  ward kv expiring
  ward kv expiring --within 30d --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runKVExpiring(cmd.Context(), g, o) },
	}
	cmd.Flags().StringVar(&o.within, "within", "14d", "the window: 14d, 2w, 36h")
	formatFlag(cmd, &o.format)
	return cmd
}

func runKVExpiring(ctx context.Context, g *globals, o *kvExpiringOpts) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	list, err := c.Expiring(ctx, o.within)
	if err != nil {
		return g.apiError(err)
	}
	if len(list) == 0 {
		return g.show(o.format, list, lineText("nothing expires or is due for rotation within %s", o.within))
	}
	rows := [][]string{{"SECRET", "RULE", "DUE", "STATE", "OWNER"}}
	for _, e := range list {
		state := "due soon"
		if e.Overdue {
			state = "OVERDUE"
		}
		if e.Rotation != "" {
			state += "; rotation " + e.Rotation
		}
		rows = append(rows, []string{e.Env + "/" + e.Path, e.Reason, e.DueTime, state, e.Owner})
	}
	return g.show(o.format, list, tableText(rows))
}
