package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wardhq/ward/client"
	"github.com/wardhq/ward/internal/plan"
)

// exitChanges is `ward plan --exit-code`'s answer when there are changes.
const exitChanges = 3

// defaultPlanDir is the directory plan and apply read by default.
const defaultPlanDir = "ward"

type planOpts struct {
	dir      string
	format   format
	exitCode bool
	prune    bool
	yes      bool
}

const planLong = `ward keeps environments, policies, types and secret metadata as code, in a
directory of the team's repository (ward/ by default):

  ward/environments.yaml        environments and the metadata their secrets must carry
  ward/policies/NAME.yaml       one policy each (see 'ward policy --help')
  ward/types/NAME.schema.json   one JSON Schema each
  ward/secrets/*.yaml           secret metadata by environment and path; never values

A part that is absent is not managed: without environments.yaml, plan and
apply leave the server's environments alone, even with --prune.

For each object that differs plan prints whether it is created, updated or
deleted, a unified diff for policies and types, and for every changed policy
the capabilities it gains or loses per environment ("ci-api: +read
prod/payments/*"). Problems in the directory are listed as file:line.`

func newPlanCmd(g *globals) *cobra.Command {
	o := &planOpts{}
	cmd := &cobra.Command{
		Use:   "plan [-f DIR]",
		Short: "Show what applying a ward/ directory would change on the server",
		Long: planLong + `

With --exit-code, plan exits 3 when there are changes and 0 when there are
none, for a CI step that gates on drift. --format markdown writes the plan,
access changes first ("ci-api gains read on prod/payments/*"), for a pull or
merge request comment. plan needs read on sys/ward/plan.`,
		Example: `  ward plan                         # reads ./ward
  ward plan -f deploy/ward --prune --exit-code
  ward plan --format json | jq '.changes[] | select(.kind == "policy")'
  ward plan --format markdown > plan.md   # the comment a CI job posts on the pull request`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runPlan(cmd.Context(), g, o) },
	}
	planFlags(cmd, o)
	fl := cmd.Flags().Lookup("format")
	fl.Value, fl.Usage = planFormat{&o.format}, "output format: text, json or markdown (a pull/merge request comment)"
	cmd.Flags().BoolVar(&o.exitCode, "exit-code", false, "exit 3 when there are changes, 0 when there are none")
	return cmd
}

func newApplyCmd(g *globals) *cobra.Command {
	o := &planOpts{}
	cmd := &cobra.Command{
		Use:   "apply [-f DIR] [--yes]",
		Short: "Make the server match a ward/ directory, in one transaction",
		Long: planLong + `

apply prints the plan, asks for "yes" (or takes --yes, as CI must), and makes
exactly the changes shown, all in one transaction: if anything is invalid or
the server changed since the plan, nothing is applied. The directory's git
commit (and whether its work tree was dirty), or else a hash of its content,
goes into the audit log. apply needs update on sys/ward/apply.

--prune also deletes the environments, policies and types the directory no
longer declares. It never destroys secrets: an environment that still holds
secrets is refused (delete it with 'ward env delete'), and a secret whose
declaration is removed keeps its metadata.`,
		Example: `  ward apply                         # reads ./ward, asks before applying
  ward apply -f deploy/ward --prune --yes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runApply(cmd.Context(), g, o) },
	}
	planFlags(cmd, o)
	cmd.Flags().BoolVar(&o.yes, "yes", false, "apply without asking")
	return cmd
}

func planFlags(cmd *cobra.Command, o *planOpts) {
	cmd.Flags().StringVarP(&o.dir, "file", "f", defaultPlanDir, "the directory to read")
	cmd.Flags().BoolVar(&o.prune, "prune", false, "also delete what the directory no longer declares (never secrets)")
	formatFlag(cmd, &o.format)
}

func runPlan(ctx context.Context, g *globals, o *planOpts) error {
	res, _, err := planDir(ctx, g, o)
	if err != nil {
		return err
	}
	if err := printPlan(g.stdout, o, res); err != nil {
		return err
	}
	if o.exitCode && len(res.Changes) > 0 {
		return &exitError{Code: exitChanges}
	}
	return nil
}

func runApply(ctx context.Context, g *globals, o *planOpts) error {
	res, req, err := planDir(ctx, g, o)
	if err != nil {
		return err
	}
	if len(res.Changes) == 0 {
		return printPlan(g.stdout, o, res)
	}
	if o.format == formatText {
		if err := printPlan(g.stdout, o, res); err != nil {
			return err
		}
	}
	if !o.yes {
		fmt.Fprintf(g.stderr, "apply %s? type yes: ", pluralThese(len(res.Changes), "change"))
		line, err := bufio.NewReader(g.stdin).ReadString('\n')
		if strings.TrimSpace(line) != "yes" {
			if err != nil && strings.TrimSpace(line) == "" {
				return withHint(errors.New("apply needs a yes; stdin gave none"), "add --yes to apply without asking, as CI jobs must")
			}
			return errors.New("apply cancelled; nothing was changed")
		}
	}
	c, err := g.client()
	if err != nil {
		return err
	}
	req.Expect = res.Digest
	done, err := c.Apply(ctx, req)
	if err != nil {
		return planAPIError(g, o.dir, err)
	}
	if o.format == formatJSON {
		return printJSON(g.stdout, planJSON{Changes: done.Changes, Digest: done.Digest, Applied: true, Revision: req.Revision})
	}
	fmt.Fprintf(g.stdout, "applied %s from %s (%s)\n", plural(len(done.Changes), "change"), o.dir, revisionText(req.Revision))
	return nil
}

// planDir loads the directory and asks the server for its plan.
func planDir(ctx context.Context, g *globals, o *planOpts) (*client.PlanResult, client.PlanRequest, error) {
	var req client.PlanRequest
	st, err := plan.Load(o.dir)
	if err != nil {
		return nil, req, loadError(o.dir, err)
	}
	req.State, _ = json.Marshal(st)
	req.Prune = o.prune
	req.Revision = dirRevision(ctx, o.dir, req.State)
	c, err := g.client()
	if err != nil {
		return nil, req, err
	}
	res, err := c.Plan(ctx, req)
	if err != nil {
		return nil, req, planAPIError(g, o.dir, err)
	}
	return res, req, nil
}

// loadError presents a directory's problems, each as DIR/FILE:LINE.
func loadError(dir string, err error) error {
	var pe *plan.Error
	if errors.As(err, &pe) {
		lines := make([]string, len(pe.Problems))
		for i, p := range pe.Problems {
			p.File = filepath.ToSlash(filepath.Join(dir, p.File))
			lines[i] = "  " + p.String()
		}
		return withHint(fmt.Errorf("%s has %s; nothing was sent to the server:\n%s", dir, plural(len(lines), "problem"), strings.Join(lines, "\n")),
			"fix them and run the command again")
	}
	if errors.Is(err, plan.ErrNothingDeclared) {
		return withHint(err, "see 'ward plan --help' for the directory's layout, or point -f at it")
	}
	return withHint(err, "point -f at the directory that holds environments.yaml, policies/, types/ or secrets/")
}

// planAPIError presents the problems the server found, each at its file.
func planAPIError(g *globals, dir string, err error) error {
	var re *client.ResponseError
	if errors.As(err, &re) && re.StatusCode == 400 {
		lines := make([]string, len(re.Errors))
		for i, m := range re.Errors {
			lines[i] = "  " + m
			if inDir(m) {
				lines[i] = "  " + filepath.ToSlash(filepath.Join(dir, m))
			}
		}
		return withHint(fmt.Errorf("the server refused %s; nothing was applied:\n%s", dir, strings.Join(lines, "\n")), "fix the files named and run the command again")
	}
	if errors.As(err, &re) && re.StatusCode == 409 {
		return withHint(err, "the server changed after the plan was made; run 'ward plan' and review it again")
	}
	return g.apiError(err)
}

// inDir reports whether a server's message starts with a file of the
// directory.
func inDir(msg string) bool {
	for _, p := range []string{plan.EnvironmentsFile, plan.PoliciesDir + "/", plan.TypesDir + "/", plan.SecretsDir + "/"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// dirRevision names the directory's version: its git commit, and whether
// its work tree differs from it, when it is in a git repository; and
// always the hash of the state sent.
func dirRevision(ctx context.Context, dir string, state []byte) client.Revision {
	sum := sha256.Sum256(state)
	rev := client.Revision{ContentSHA256: hex.EncodeToString(sum[:])}
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		return rev // not a git repository, no commit yet, or no git
	}
	rev.Commit = strings.TrimSpace(string(out))
	status, err := exec.CommandContext(ctx, "git", "-C", dir, "status", "--porcelain", "--", ".").Output()
	rev.Dirty = err != nil || len(strings.TrimSpace(string(status))) > 0
	return rev
}

func revisionText(r client.Revision) string {
	if r.Commit == "" {
		return "content sha256 " + r.ContentSHA256[:12] + ", not a git commit"
	}
	s := "commit " + r.Commit[:min(12, len(r.Commit))]
	if r.Dirty {
		s += ", with uncommitted changes"
	}
	return s
}

type planJSON struct {
	Changes  []client.Change `json:"changes"`
	Digest   string          `json:"digest"`
	Applied  bool            `json:"applied"`
	Revision client.Revision `json:"revision"`
}

func printPlan(w io.Writer, o *planOpts, res *client.PlanResult) error {
	if o.format == formatMarkdown {
		return printPlanMarkdown(w, o, res)
	}
	if o.format == formatJSON {
		changes := res.Changes
		if changes == nil {
			changes = []client.Change{}
		}
		return printJSON(w, planJSON{Changes: changes, Digest: res.Digest})
	}
	if len(res.Changes) == 0 {
		_, err := fmt.Fprintf(w, "no changes: the server matches %s\n", o.dir)
		return err
	}
	counts := map[string]int{}
	for _, c := range res.Changes {
		counts[c.Action]++
		printChange(w, c)
	}
	_, err := fmt.Fprintf(w, "\n%s: %d to create, %d to update, %d to delete\n",
		plural(len(res.Changes), "change"), counts[plan.Create], counts[plan.Update], counts[plan.Delete])
	return err
}

var actionMark = map[string]string{plan.Create: "+", plan.Update: "~", plan.Delete: "-"}

func printChange(w io.Writer, c client.Change) {
	head := fmt.Sprintf("%s %s %s", actionMark[c.Action], c.Kind, c.Name)
	if src := (plan.Source{File: c.Source.File, Line: c.Source.Line}).String(); src != "" {
		head += "   (" + src + ")"
	}
	fmt.Fprintf(w, "%s\n", head)
	for _, f := range c.Fields {
		switch {
		case f.Old == "":
			fmt.Fprintf(w, "    + %s: %s\n", f.Field, f.New)
		case f.New == "":
			fmt.Fprintf(w, "    - %s: %s\n", f.Field, f.Old)
		default:
			fmt.Fprintf(w, "    ~ %s: %s -> %s\n", f.Field, f.Old, f.New)
		}
	}
	if c.Diff != "" {
		for _, line := range strings.SplitAfter(strings.TrimSuffix(c.Diff, "\n"), "\n") {
			fmt.Fprintf(w, "    %s", line)
		}
		fmt.Fprintln(w)
	}
	if len(c.Access) > 0 {
		fmt.Fprintln(w, "    access:")
		for _, line := range accessLines(c.Access) {
			fmt.Fprintf(w, "      %s\n", line)
		}
	}
}

// accessLines prints access changes one path and sign a line, the
// capabilities joined: "ci-api: +read,list prod/api/*".
func accessLines(changes []client.AccessChange) []string {
	var out []string
	for i := 0; i < len(changes); {
		a := changes[i]
		caps := []string{a.Capability}
		j := i + 1
		for ; j < len(changes); j++ {
			b := changes[j]
			if b.Policy != a.Policy || b.Env != a.Env || b.Path != a.Path || b.Sign != a.Sign || b.MFA != a.MFA {
				break
			}
			caps = append(caps, b.Capability)
		}
		line := fmt.Sprintf("%s: %s%s %s", a.Policy, a.Sign, strings.Join(caps, ","), a.Path)
		if a.MFA {
			line += " (mfa)"
		}
		out = append(out, line)
		i = j
	}
	return out
}
