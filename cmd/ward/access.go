package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wardhq/ward/client"
	"github.com/wardhq/ward/internal/plan"
	"github.com/wardhq/ward/internal/policy"
)

// exitDenied is `ward access explain`'s answer when the operation is denied.
const exitDenied = 3

type accessOpts struct {
	dir      string
	policies []string
	env      string
	path     string
	op       string
	format   format
}

func newAccessCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "access",
		Short: "Simulate access: what a set of policies allows in an environment",
		Long: `access answers what a token with the given policies could do, without a
token: explain decides one operation and names the rule that decided it;
list shows every path pattern the policies grant or deny in an environment.

Both read the server's current policies, or, with -f DIR, the policies of a
ward/ directory (see 'ward plan --help'), so a pull request can show what a
pipeline could read once the change is applied.`,
		Example: `  ward access explain --policy ci-api --env prod --path payments/db --op read
  ward access list -f ward --policy ci-api --env staging`,
	}
	cmd.AddCommand(newAccessExplainCmd(g), newAccessListCmd(g))
	return cmd
}

func accessFlags(cmd *cobra.Command, o *accessOpts) {
	cmd.Flags().StringSliceVar(&o.policies, "policy", nil, "the policies, comma-separated: ci-api,shared-read")
	cmd.Flags().StringVar(&o.env, "env", "", "the environment (default: 'ward env use')")
	cmd.Flags().StringVarP(&o.dir, "file", "f", "", "read the policies from this ward/ directory instead of the server")
	formatFlag(cmd, &o.format)
}

func newAccessExplainCmd(g *globals) *cobra.Command {
	o := &accessOpts{}
	cmd := &cobra.Command{
		Use:   "explain --policy A,B --env ENV --path PATH --op OP",
		Short: "Say whether the policies allow an operation, and which rule decided",
		Long: `explain decides, as the server would for a token of ENV with the policies,
whether OP (read, list, create, update, patch, delete, undelete, destroy or
admin) is allowed on the secret PATH, and prints the rule that decided: its
policy, path, capabilities and file:line. A deny rule wins over every allow;
with no matching rule the answer is denied. Name a folder with a trailing /
to ask about list.

Exit status: 0 allowed (also when the rule requires MFA, which the output
says), 3 denied, 1 on errors, 2 on usage errors.`,
		Example: `  ward access explain --policy ci-api --env prod --path payments/db --op read
  ward access explain -f ward --policy ci-api,ci-worker --env staging --path payments/ --op list`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runAccessExplain(cmd.Context(), g, o) },
	}
	accessFlags(cmd, o)
	cmd.Flags().StringVar(&o.path, "path", "", "the secret's path in the environment, like payments/db")
	cmd.Flags().StringVar(&o.op, "op", "read", "the operation: read, list, create, update, patch, delete, undelete, destroy or admin")
	return cmd
}

func newAccessListCmd(g *globals) *cobra.Command {
	o := &accessOpts{}
	cmd := &cobra.Command{
		Use:   "list --policy A,B --env ENV",
		Short: "List every path pattern and capability the policies grant or deny in an environment",
		Long: `list prints one row per rule of the policies that reaches ENV: the path
pattern (a first segment glob such as "*" is shown as ENV), the capabilities
it grants or "deny", whether it requires MFA, and where the rule is written.
Use --env sys to list system paths.`,
		Example: `  ward access list --policy ci-api --env prod
  ward access list -f ward --policy ci-api,ci-worker --env staging --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runAccessList(cmd.Context(), g, o) },
	}
	accessFlags(cmd, o)
	return cmd
}

func runAccessExplain(ctx context.Context, g *globals, o *accessOpts) error {
	if err := checkAccessOpts(g, o, true); err != nil {
		return err
	}
	named, err := accessPolicies(ctx, g, o)
	if err != nil {
		return err
	}
	ex, err := plan.Explain(named, o.env, o.path, o.op)
	if err != nil {
		return usagef("%v", err)
	}
	if err := printExplanation(g.stdout, o.format, ex); err != nil {
		return err
	}
	if !ex.Allowed {
		return &exitError{Code: exitDenied}
	}
	return nil
}

func runAccessList(ctx context.Context, g *globals, o *accessOpts) error {
	if err := checkAccessOpts(g, o, false); err != nil {
		return err
	}
	named, err := accessPolicies(ctx, g, o)
	if err != nil {
		return err
	}
	return printAccess(g.stdout, o.format, ruleRows(plan.Access(named, o.env)))
}

func checkAccessOpts(g *globals, o *accessOpts, explain bool) error {
	if len(o.policies) == 0 {
		return withHint(usagef("missing --policy"), "name the policies a token would carry, like --policy ci-api,shared-read")
	}
	if err := g.requireEnv(&o.env); err != nil {
		return err
	}
	if explain && o.path == "" {
		return withHint(usagef("missing --path"), "name the secret, like --path payments/db")
	}
	for _, p := range o.policies {
		if p == policy.RootName {
			return usagef("the root policy allows everything; name the policies to simulate")
		}
	}
	return nil
}

// accessPolicies reads the policies named, from the directory or the server.
func accessPolicies(ctx context.Context, g *globals, o *accessOpts) ([]plan.Named, error) {
	var out []plan.Named
	if o.dir != "" {
		st, err := plan.Load(o.dir)
		if err != nil {
			return nil, loadError(o.dir, err)
		}
		var names []string
		for _, p := range st.Policies {
			names = append(names, p.Name)
		}
		for _, name := range o.policies {
			p := st.Policy(name)
			if p == nil {
				return nil, withHint(fmt.Errorf("%s declares no policy %q", o.dir, name), "its policies: "+strings.Join(names, ", "))
			}
			parsed, err := policy.Parse(name, []byte(p.Text))
			if err != nil {
				return nil, err // Load has parsed it already
			}
			out = append(out, plan.Named{Policy: parsed, File: filepath.ToSlash(filepath.Join(o.dir, p.Source.File))})
		}
		return out, nil
	}
	c, err := g.client()
	if err != nil {
		return nil, err
	}
	for _, name := range o.policies {
		src, err := c.Policy(ctx, name)
		if errors.Is(err, client.ErrNotFound) {
			return nil, withHint(fmt.Errorf("the server has no policy %q", name), "'ward policy list' shows them")
		}
		if err != nil {
			return nil, g.apiError(err)
		}
		parsed, err := policy.Parse(name, []byte(src))
		if err != nil {
			return nil, fmt.Errorf("the server's policy %q: %w", name, err)
		}
		out = append(out, plan.Named{Policy: parsed, File: "sys/policies/acl/" + name})
	}
	return out, nil
}

func printExplanation(w io.Writer, f format, ex *plan.Explanation) error {
	if f == formatJSON {
		return printJSON(w, ex)
	}
	verdict := "denied"
	if ex.Allowed {
		verdict = "allowed"
	}
	if ex.MFA {
		verdict += " with MFA"
	}
	fmt.Fprintf(w, "%s: %s on %s/%s\n", verdict, ex.Capability, ex.Env, ex.Path)
	if ex.RulePath == "" {
		_, err := fmt.Fprintf(w, "  %s\n", ex.Reason)
		return err
	}
	_, err := fmt.Fprintf(w, "  rule %s [%s] of policy %s, at %s\n", ex.RulePath, strings.Join(ex.Capabilities, ", "), ex.Policy, ex.Source)
	return err
}

// ruleRow is one rule's grants in an environment.
type ruleRow struct {
	Policy       string      `json:"policy"`
	Path         string      `json:"path"`
	RulePath     string      `json:"rule_path"`
	Capabilities []string    `json:"capabilities"`
	MFA          bool        `json:"mfa,omitempty"`
	Source       plan.Source `json:"source"`
}

// ruleRows gathers grants into one row per rule and path.
func ruleRows(grants []plan.Grant) []ruleRow {
	rows := []ruleRow{}
	for _, g := range grants {
		i := slices.IndexFunc(rows, func(r ruleRow) bool {
			return r.Policy == g.Policy && r.Path == g.Path && r.Source == g.Source
		})
		if i < 0 {
			rows = append(rows, ruleRow{Policy: g.Policy, Path: g.Path, RulePath: g.RulePath, MFA: g.MFA, Source: g.Source})
			i = len(rows) - 1
		}
		rows[i].Capabilities = append(rows[i].Capabilities, g.Capability)
	}
	return rows
}

func printAccess(w io.Writer, f format, rows []ruleRow) error {
	if f == formatJSON {
		return printJSON(w, rows)
	}
	if len(rows) == 0 {
		_, err := fmt.Fprintln(w, "no rule of these policies reaches the environment: every operation is denied")
		return err
	}
	out := [][]string{{"PATH", "CAPABILITIES", "MFA", "POLICY", "RULE"}}
	for _, r := range rows {
		mfa := ""
		if r.MFA {
			mfa = "required"
		}
		out = append(out, []string{r.Path, strings.Join(r.Capabilities, ","), mfa, r.Policy, r.Source.String()})
	}
	return table(w, out)
}
