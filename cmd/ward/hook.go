package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
)

// hookMarker is in every pre-commit hook ward writes: a hook without it is
// someone else's, and ward neither overwrites nor removes it on its own.
const hookMarker = "# ward pre-commit hook"

// chainedSuffix names where install --force keeps a foreign hook; ward's
// hook runs it first, and uninstall puts it back.
const chainedSuffix = ".ward-chained"

// hookScript is the pre-commit hook: the hook kept by --force first, then a
// scan of the staged lines. git runs it at the top of the work tree.
const hookScript = hookMarker + ` (written by "ward hook install"; "ward hook uninstall" removes it)
# It scans the lines staged for the commit; a finding stops the commit.
# Accept a reviewed line with a "ward:allow" comment on it.
if [ -x "$0` + chainedSuffix + `" ]; then
	"$0` + chainedSuffix + `" "$@" || exit $?
fi
if ! command -v ward >/dev/null 2>&1; then
	echo "ward: the pre-commit hook needs ward on PATH" >&2
	echo "hint: install ward, or remove the hook: ward hook uninstall" >&2
	exit 1
fi
exec ward scan --staged --progress=false .
`

type hookOpts struct {
	force  bool
	format format
}

func newHookCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "hook",
		Short: "Install or remove a git pre-commit hook that scans staged changes",
		Long: `A git pre-commit hook that runs "ward scan --staged": a commit that would
record a credential stops, with the finding, before it exists.

install writes .git/hooks/pre-commit (or the core.hooksPath directory). It
never overwrites a hook that is not ward's: it refuses, and with --force it
chains it: the other hook is kept as pre-commit.ward-chained and runs first,
and uninstall puts it back.`,
		Example: `  ward hook install
  ward hook install --force     # keep the existing hook, running it first
  ward hook uninstall`,
	}
	cmd.AddCommand(newHookInstallCmd(g), newHookUninstallCmd(g))
	return cmd
}

func newHookInstallCmd(g *globals) *cobra.Command {
	o := &hookOpts{}
	cmd := &cobra.Command{
		Use:   "install",
		Short: "Write the pre-commit hook of the git repository you are in",
		Example: `  ward hook install
  ward hook install --force     # chain an existing pre-commit hook
  ward hook install --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runHookInstall(cmd.Context(), g, o) },
	}
	cmd.Flags().BoolVar(&o.force, "force", false, "chain an existing pre-commit hook that is not ward's (it runs first)")
	formatFlag(cmd, &o.format)
	return cmd
}

func newHookUninstallCmd(g *globals) *cobra.Command {
	o := &hookOpts{}
	cmd := &cobra.Command{
		Use:     "uninstall",
		Short:   "Remove ward's pre-commit hook, putting back a hook it chained",
		Example: `  ward hook uninstall`,
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return runHookUninstall(cmd.Context(), g, o) },
	}
	formatFlag(cmd, &o.format)
	return cmd
}

// hookResult is what install and uninstall print.
type hookResult struct {
	Hook    string `json:"hook"`
	Action  string `json:"action"`            // installed, updated, removed
	Chained string `json:"chained,omitempty"` // the foreign hook kept or put back
}

// hookPath is the pre-commit hook of the repository at dir.
func hookPath(ctx context.Context, dir string) (string, error) {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "--path-format=absolute", "--git-path", "hooks")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return "", withHint(errors.New("git not found"), "ward hook needs git on PATH")
		}
		return "", withHint(fmt.Errorf("%s is not in a git repository: %s", dir, firstLine(stderr.String())),
			"run it inside a clone: cd REPO && ward hook install")
	}
	return filepath.Join(strings.TrimSpace(string(out)), "pre-commit"), nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// currentHook finds the pre-commit hook of the repository at dir and
// whether it exists and is one ward wrote.
func currentHook(ctx context.Context, dir string) (path string, exists, ours bool, err error) {
	if path, err = hookPath(ctx, dir); err != nil {
		return "", false, false, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return path, false, false, nil
	}
	if err != nil {
		return "", false, false, err
	}
	return path, true, bytes.Contains(b, []byte(hookMarker)), nil
}

func runHookInstall(ctx context.Context, g *globals, o *hookOpts) error {
	path, exists, ours, err := currentHook(ctx, g.wd)
	if err != nil {
		return err
	}
	res := hookResult{Hook: path, Action: "installed"}
	switch {
	case ours:
		res.Action = "updated"
	case exists && !o.force:
		return withHint(fmt.Errorf("%s is another pre-commit hook: not overwritten", path),
			"ward hook install --force keeps it as pre-commit"+chainedSuffix+" and runs it before the scan")
	case exists:
		chained := path + chainedSuffix
		if _, err := os.Lstat(chained); err == nil {
			return withHint(fmt.Errorf("%s already exists: not overwritten", chained), "move it away, then install again")
		}
		if err := os.Rename(path, chained); err != nil {
			return fmt.Errorf("keep the existing hook: %w", err)
		}
		res.Chained = chained
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path+".ward-tmp", []byte("#!/bin/sh\n"+hookScript), 0o755); err != nil {
		return err
	}
	if err := os.Rename(path+".ward-tmp", path); err != nil {
		return err
	}
	text := lineText("ward: pre-commit hook %s: %s", res.Action, path)
	if res.Chained != "" {
		text = linesText([]string{"ward: pre-commit hook installed: " + path, "ward: the existing hook runs first: " + res.Chained})
	}
	return g.show(o.format, res, text)
}

func runHookUninstall(ctx context.Context, g *globals, o *hookOpts) error {
	path, exists, ours, err := currentHook(ctx, g.wd)
	if err != nil {
		return err
	}
	switch {
	case !exists:
		return withHint(fmt.Errorf("no pre-commit hook at %s", path), "nothing to remove")
	case !ours:
		return withHint(fmt.Errorf("%s is not ward's pre-commit hook: left alone", path), "remove it yourself if you mean to")
	}
	if err := os.Remove(path); err != nil {
		return err
	}
	res := hookResult{Hook: path, Action: "removed"}
	chained := path + chainedSuffix
	if _, err := os.Lstat(chained); err == nil {
		if err := os.Rename(chained, path); err != nil {
			return fmt.Errorf("put back the chained hook: %w", err)
		}
		res.Chained = path
	}
	text := lineText("ward: pre-commit hook removed: %s", path)
	if res.Chained != "" {
		text = lineText("ward: pre-commit hook removed; the hook it chained is back at %s", path)
	}
	return g.show(o.format, res, text)
}
