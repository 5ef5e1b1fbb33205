package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wardhq/ward/client"
)

// maxValueBytes bounds a secret value read from stdin or a file.
const maxValueBytes = 1 << 20

type kvOpts struct {
	env      string
	path     string
	format   format
	file     string
	version  int
	versions []int
	cas      int
	field    string
	fields   []string // FIELD=... arguments of put and patch
}

func newKVCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kv",
		Short: "Read and write secrets: versioned JSON objects in an environment",
		Long: `Read and write secrets. A secret is a JSON object at a path inside an
environment, kept in versions (10 by default).

Values are read from stdin or a file, never from flags, so they do not land
in shell history or in the process list.`,
		Example: `  ward kv put --env staging payments/db < db.json
  ward kv get --env staging payments/db
  ward kv get --env staging payments/db --field password
  ward kv history --env staging payments/db
  ward kv rollback --env staging --version 1 payments/db
  ward env use staging && ward kv list          # --env from 'ward env use'`,
	}
	cmd.AddCommand(
		newKVPutCmd(g), newKVPatchCmd(g), newKVGetCmd(g), newKVListCmd(g), newKVHistoryCmd(g),
		newKVRollbackCmd(g), newKVVersionsCmd(g, "delete"), newKVVersionsCmd(g, "undelete"),
		newKVVersionsCmd(g, "destroy"), newKVMetadataCmd(g), newKVUsageCmd(g), newKVExpiringCmd(g),
		newKVRotateCmd(g), newKVRetireCmd(g), newKVRotationCmd(g),
	)
	return cmd
}

func kvPathArgs(o *kvOpts) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != 1 {
			return usagef("give exactly one secret path, like payments/db")
		}
		o.path = strings.Trim(args[0], "/")
		if o.path == "" {
			return usagef("the secret path is empty")
		}
		return nil
	}
}

func newKVPutCmd(g *globals) *cobra.Command {
	return newKVWriteCmd(g, false, "put --env ENV PATH [FIELD=@FILE | FIELD=- | FIELD | FIELD=VALUE]... (or < value.json)",
		"Write a new version of a secret from a JSON object on stdin or in a file",
		"check-and-set: write only if the current version is this (0: only if the secret does not exist)",
		`  ward kv put --env staging payments/db < db.json
  ward kv put --env staging payments/db host=db.internal password=@pw.txt
  ward kv put --env staging --cas 0 payments/db -f db.json     # only if it does not exist yet`)
}

func newKVPatchCmd(g *globals) *cobra.Command {
	return newKVWriteCmd(g, true, "patch --env ENV PATH [FIELD=@FILE | FIELD=- | FIELD | FIELD=VALUE]... (or < patch.json)",
		"Merge a JSON object into the current version (null removes a field)",
		"check-and-set: patch only if the current version is this",
		`  ward kv patch --env staging payments/db password      # asks for the new password
  echo '{"replica": null}' | ward kv patch --env staging payments/db`)
}

func newKVWriteCmd(g *globals, patch bool, use, short, casHelp, example string) *cobra.Command {
	o := &kvOpts{cas: -1}
	cmd := &cobra.Command{
		Use:     use,
		Short:   short,
		Long:    short + ".\n\n" + kvFieldsHelp,
		Example: example,
		Args:    kvWriteArgs(o),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runKVWrite(cmd.Context(), g, o, patch)
		},
	}
	cmd.Flags().StringVar(&o.env, "env", "", "environment (default: 'ward env use')")
	cmd.Flags().StringVarP(&o.file, "file", "f", "-", "read the JSON object from this file instead of stdin")
	cmd.Flags().IntVar(&o.cas, "cas", -1, casHelp)
	formatFlag(cmd, &o.format)
	return cmd
}

// readObject reads a JSON object and checks it without ever quoting it.
func readObject(g *globals, file string) (json.RawMessage, error) {
	b, err := readInput(g.stdin, file, maxValueBytes)
	if err != nil {
		return nil, err
	}
	name := "stdin"
	if file != "" && file != "-" {
		name = file
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, withHint(usagef("no value on %s", name), "pipe a JSON object in: ward kv put --env staging payments/db < db.json")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil || obj == nil {
		var se *json.SyntaxError
		if jerr, ok := err.(*json.SyntaxError); ok {
			se = jerr
			return nil, usagef("%s is not valid JSON (syntax error at byte %d)", name, se.Offset)
		}
		return nil, usagef("%s must hold one JSON object, like {\"password\": \"...\"}", name)
	}
	return b, nil
}

func runKVWrite(ctx context.Context, g *globals, o *kvOpts, patch bool) error {
	if err := g.requireEnv(&o.env); err != nil {
		return err
	}
	c, err := g.client()
	if err != nil {
		return err
	}
	data, err := writeData(ctx, g, c, o)
	if err != nil {
		return err
	}
	var opt client.PutOptions
	if o.cas >= 0 {
		opt.CAS = &o.cas
	}
	kv := c.KV(o.env)
	var vm *client.VersionMetadata
	if patch {
		vm, err = kv.Patch(ctx, o.path, data, &opt)
	} else {
		vm, err = kv.Put(ctx, o.path, data, &opt)
	}
	if err != nil {
		return kvWriteError(g, err, o)
	}
	return g.show(o.format, vm, lineText("%s/%s: version %d written", o.env, o.path, vm.Version))
}

func newKVGetCmd(g *globals) *cobra.Command {
	o := &kvOpts{}
	cmd := &cobra.Command{
		Use:   "get --env ENV PATH",
		Short: "Print a secret (a table of fields, or --format json, or one --field)",
		Example: `  ward kv get --env staging payments/db
  ward kv get --env staging --field password payments/db
  ward kv get --env staging --version 2 --format json payments/db`,
		Args: kvPathArgs(o),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runKVGet(cmd.Context(), g, o)
		},
	}
	cmd.Flags().StringVar(&o.env, "env", "", "environment (default: 'ward env use')")
	cmd.Flags().IntVar(&o.version, "version", 0, "version to read (default: the current one)")
	cmd.Flags().StringVar(&o.field, "field", "", "print only this field's value, raw")
	formatFlag(cmd, &o.format)
	return cmd
}

func runKVGet(ctx context.Context, g *globals, o *kvOpts) error {
	kv, err := kvAPI(g, o)
	if err != nil {
		return err
	}
	s, err := kv.Get(ctx, o.path, o.version)
	if errors.Is(err, client.ErrNotFound) {
		what := "no secret"
		if o.version > 0 {
			what = fmt.Sprintf("no live version %d", o.version)
		}
		return withHint(fmt.Errorf("%s at %s/%s (or it is deleted)", what, o.env, o.path),
			fmt.Sprintf("'ward kv list --env %s' shows the paths; 'ward kv history --env %s %s' the versions", o.env, o.env, o.path))
	}
	if err != nil {
		return g.apiError(err)
	}
	fields, err := s.Fields()
	if err != nil {
		return err
	}
	if o.field != "" {
		v, ok := fields[o.field]
		if !ok {
			return fmt.Errorf("%s/%s has no field %q", o.env, o.path, o.field)
		}
		if str, ok := v.(string); ok {
			_, err = fmt.Fprintln(g.stdout, str)
			return err
		}
		b, _ := json.Marshal(v)
		_, err = fmt.Fprintln(g.stdout, string(b))
		return err
	}
	if o.format == formatJSON {
		return printJSON(g.stdout, map[string]any{"data": s.Data, "metadata": s.Metadata})
	}
	rows := [][]string{
		{"== metadata", ""},
		{"version", strconv.Itoa(s.Metadata.Version)},
		{"created", s.Metadata.CreatedTime},
		{"== data", ""},
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := fields[k]
		str, ok := v.(string)
		if !ok {
			b, _ := json.Marshal(v)
			str = string(b)
		}
		rows = append(rows, []string{k, str})
	}
	return table(g.stdout, rows)
}

func newKVListCmd(g *globals) *cobra.Command {
	o := &kvOpts{}
	cmd := &cobra.Command{
		Use:   "list --env ENV [PREFIX]",
		Short: "List secret paths below a prefix; folders end in /",
		Example: `  ward kv list --env staging
  ward kv list --env staging payments/ --format json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.path = args[0]
			}
			return runKVList(cmd.Context(), g, o)
		},
	}
	cmd.Flags().StringVar(&o.env, "env", "", "environment (default: 'ward env use')")
	formatFlag(cmd, &o.format)
	return cmd
}

func runKVList(ctx context.Context, g *globals, o *kvOpts) error {
	kv, err := kvAPI(g, o)
	if err != nil {
		return err
	}
	keys, err := kv.List(ctx, o.path)
	if err != nil {
		return g.apiError(err)
	}
	return g.show(o.format, keys, linesText(keys))
}

func newKVHistoryCmd(g *globals) *cobra.Command {
	o := &kvOpts{}
	cmd := &cobra.Command{
		Use:   "history --env ENV PATH",
		Short: "List a secret's versions: when each was made, deleted or destroyed",
		Example: `  ward kv history --env staging payments/db
  ward kv history --env staging --format json payments/db`,
		Args: kvPathArgs(o),
		RunE: func(cmd *cobra.Command, _ []string) error { return runKVHistory(cmd.Context(), g, o) },
	}
	cmd.Flags().StringVar(&o.env, "env", "", "environment (default: 'ward env use')")
	formatFlag(cmd, &o.format)
	return cmd
}

func runKVHistory(ctx context.Context, g *globals, o *kvOpts) error {
	kv, err := kvAPI(g, o)
	if err != nil {
		return err
	}
	md, err := kv.Metadata(ctx, o.path)
	if err != nil {
		return g.apiError(err)
	}
	nums := make([]int, 0, len(md.Versions))
	for k := range md.Versions {
		n, _ := strconv.Atoi(k)
		nums = append(nums, n)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(nums)))
	rows := [][]string{{"VERSION", "CREATED", "STATE"}}
	for _, n := range nums {
		v := md.Versions[strconv.Itoa(n)]
		state := "live"
		switch {
		case v.Destroyed:
			state = "destroyed"
		case v.DeletionTime != "":
			state = "deleted " + v.DeletionTime
		}
		if n == md.CurrentVersion {
			state += " (current)"
		}
		rows = append(rows, []string{strconv.Itoa(n), v.CreatedTime, state})
	}
	return g.show(o.format, md, tableText(rows))
}

func newKVRollbackCmd(g *globals) *cobra.Command {
	o := &kvOpts{}
	cmd := &cobra.Command{
		Use:     "rollback --env ENV --version N PATH",
		Short:   "Make an older version's data the current version (a new version)",
		Example: `  ward kv rollback --env staging --version 1 payments/db`,
		Args:    kvPathArgs(o),
		RunE:    func(cmd *cobra.Command, _ []string) error { return runKVRollback(cmd.Context(), g, o) },
	}
	cmd.Flags().StringVar(&o.env, "env", "", "environment (default: 'ward env use')")
	cmd.Flags().IntVar(&o.version, "version", 0, "the version to roll back to")
	formatFlag(cmd, &o.format)
	return cmd
}

func runKVRollback(ctx context.Context, g *globals, o *kvOpts) error {
	if o.version <= 0 {
		return usagef("--version N is required: the version whose data becomes current")
	}
	kv, err := kvAPI(g, o)
	if err != nil {
		return err
	}
	vm, err := kv.Rollback(ctx, o.path, o.version)
	if err != nil {
		return g.apiError(err)
	}
	return g.show(o.format, map[string]any{"env": o.env, "path": o.path, "version": vm.Version, "rolled_back_to": o.version, "metadata": vm},
		lineText("%s/%s: version %d now holds the data of version %d", o.env, o.path, vm.Version, o.version))
}

// kvVersionsKinds are the commands that act on versions, with the past
// tense of their verb and their help.
var kvVersionsKinds = map[string]struct{ done, short, example string }{
	"delete": {"deleted", "Soft-delete the current version, or --versions (undelete brings them back)",
		`  ward kv delete --env staging payments/db
  ward kv delete --env staging --versions 1,2 payments/db`},
	"undelete": {"undeleted", "Restore soft-deleted --versions",
		`  ward kv undelete --env staging --versions 3 payments/db`},
	"destroy": {"destroyed", "Remove --versions' data for good",
		`  ward kv destroy --env prod --versions 1 payments/db     # needs a TOTP code`},
}

func newKVVersionsCmd(g *globals, kind string) *cobra.Command {
	o := &kvOpts{}
	k := kvVersionsKinds[kind]
	cmd := &cobra.Command{
		Use:     kind + " --env ENV [--versions N,M] PATH",
		Short:   k.short,
		Example: k.example,
		Args:    kvPathArgs(o),
		RunE:    func(cmd *cobra.Command, _ []string) error { return runKVVersions(cmd.Context(), g, o, kind) },
	}
	cmd.Flags().StringVar(&o.env, "env", "", "environment (default: 'ward env use')")
	cmd.Flags().IntSliceVar(&o.versions, "versions", nil, "versions, comma-separated")
	formatFlag(cmd, &o.format)
	return cmd
}

// kvVersionsResult is what delete, undelete and destroy print as JSON.
type kvVersionsResult struct {
	Env      string `json:"env"`
	Path     string `json:"path"`
	Action   string `json:"action"`
	Versions []int  `json:"versions"` // empty: the current version
}

func runKVVersions(ctx context.Context, g *globals, o *kvOpts, kind string) error {
	if kind != "delete" && len(o.versions) == 0 {
		return usagef("--versions is required for %s", kind)
	}
	kv, err := kvAPI(g, o)
	if err != nil {
		return err
	}
	switch {
	case kind == "delete" && len(o.versions) == 0:
		err = kv.Delete(ctx, o.path)
	case kind == "delete":
		err = kv.DeleteVersions(ctx, o.path, o.versions)
	case kind == "undelete":
		err = kv.Undelete(ctx, o.path, o.versions)
	default:
		err = kv.Destroy(ctx, o.path, o.versions)
	}
	if err != nil {
		return g.apiError(err)
	}
	done := kvVersionsKinds[kind].done
	what := "current version"
	if len(o.versions) > 0 {
		what = plural(len(o.versions), "version") + " (" + joinInts(o.versions) + ")"
	}
	return g.show(o.format, kvVersionsResult{Env: o.env, Path: o.path, Action: done, Versions: o.versions},
		lineText("%s/%s: %s %s", o.env, o.path, what, done))
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

// kvAPI checks the options every kv command shares and returns the KV API
// of the chosen environment.
func kvAPI(g *globals, o *kvOpts) (*client.KV, error) {
	if err := g.requireEnv(&o.env); err != nil {
		return nil, err
	}
	c, err := g.client()
	if err != nil {
		return nil, err
	}
	return c.KV(o.env), nil
}
