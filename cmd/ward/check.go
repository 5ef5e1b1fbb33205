package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wardhq/ward/client"
	"github.com/wardhq/ward/internal/job"
	"github.com/wardhq/ward/internal/manifest"
	"github.com/wardhq/ward/internal/vault"
)

// maxFetchBatch is the most paths one batched fetch may carry.
const maxFetchBatch = 256

type checkOpts struct {
	env       string
	component string
	format    format
	file      string
	role      ciRole
	prodEnv   string
}

func newCheckCmd(g *globals) *cobra.Command {
	o := &checkOpts{}
	cmd := &cobra.Command{
		Use:   "check --env ENV [--component NAME] [-f ward.yaml]",
		Short: "Check, before a build, that every secret the manifest declares is there and usable",
		Long: `Check, before a build starts, that every secret a component of ward.yaml
needs is in the environment, readable with your token, has the fields the
manifest names with usable values, and is not past its expires_at metadata.

Every problem is reported at once, one line each (ENV/PATH: problem —
hint: fix), then a summary that counts secrets: a failed one has a problem
that a required entry cannot live with; a warning concerns optional entries
only, which ward run would leave unset. Values are fetched to be checked,
never printed. An entry's type: is checked on the server: the secret must
be of that type (or untyped) and its value must conform to it now, so a
type changed since the secret was written shows here.

With --prod-env prod, a value that is a copy of one of prod's is a problem:
ward fetches prod's fingerprint set (sys/ward/fingerprints/prod: keyed
HMACs, never a value; your token needs read on the prod secrets to compare
against) and matches each field's value against it on this machine.

With --role, ward check first logs in with the CI job's OIDC token, as
'ward login --ci' does, and revokes that ward token once it has fetched.

Exit status: 1 when a required secret fails (a problem with an optional one
is a warning), 0 otherwise, 2 on a usage error (no manifest, an invalid
one, an unknown component).`,
		Example: `  ward check --env staging
  ward check --env prod --component indexer --format json
  ward check --env staging -f deploy/ward.yaml
  ward check --env staging --role ci-staging       # in a CI job: log in with its OIDC token
  ward check --env staging --prod-env prod         # also: no value is a copy of prod's`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCheck(cmd.Context(), g, o)
		},
	}
	cmd.Flags().StringVar(&o.env, "env", "", "environment (default: 'ward env use')")
	cmd.Flags().StringVar(&o.prodEnv, "prod-env", "", "also report values that are copies of this (production) environment's, matched by fingerprint")
	cmd.Flags().StringVar(&o.component, "component", "", "the component to check (required when the manifest has several)")
	manifestFlag(cmd, &o.file)
	formatFlag(cmd, &o.format)
	addRoleFlags(cmd, &o.role)
	return cmd
}

// checkProblem is one problem in ward check's JSON report.
type checkProblem struct {
	Secret   string `json:"secret"`
	Field    string `json:"field"`
	Var      string `json:"var"`
	Line     int    `json:"line"`
	Severity string `json:"severity"`
	Problem  string `json:"problem"`
	Hint     string `json:"hint"`
}

// checkReport is ward check's JSON report.
type checkReport struct {
	Env       string         `json:"env"`
	Component string         `json:"component"`
	OK        bool           `json:"ok"`
	Checked   int            `json:"checked"`
	Problems  []checkProblem `json:"problems"`
}

// fetchComponent loads the manifest's component and fetches every secret
// it declares from env, in batches. A failure to reach the server or a
// refusal of the whole request is returned as the client gave it, for the
// caller to wrap.
func fetchComponent(ctx context.Context, g *globals, file, component, env string, role *ciRole) (*manifest.Component, map[string]manifest.Fetched, error) {
	c, fetched, _, _, err := fetchJob(ctx, g, file, component, env, role, false, false, nil)
	return c, fetched, err
}

// fetchJob is fetchComponent that, with issue, also gets the dynamic
// credentials (database/creds/ROLE) the component declares; the caller
// must revoke them (jobCreds.revoke), which also ends a CI login token.
// Without issue they are reported as not fetched. With typed, it also
// returns which fields the secrets' types mark public (publicFields), read
// while the token is alive; warn receives its warnings (nil: stderr).
func fetchJob(ctx context.Context, g *globals, file, component, env string, role *ciRole, issue, typed bool, warn func(string)) (*manifest.Component, map[string]manifest.Fetched, job.PublicFields, *jobCreds, error) {
	c, err := manifestComponent(g, file, component)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	cl, done, err := roleClient(ctx, g, role)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	static, dynamic := splitDynamic(c.Secrets())
	declared := c.SecretTypes()
	fetched, production, err := fetchSecrets(ctx, cl, env, static, declared)
	if err != nil {
		done()
		return nil, nil, nil, nil, &fetchError{err}
	}
	var public job.PublicFields
	if typed {
		if warn == nil {
			warn = func(msg string) { fmt.Fprintf(g.stderr, "ward: warning: %s\n", msg) }
		}
		public = publicFields(ctx, warn, cl, fetched, declared)
	}
	jc := &jobCreds{cl: cl, done: done, production: production}
	for _, p := range dynamic {
		fetched[p] = manifest.Fetched{Status: manifest.StatusError, Error: "a dynamic credential, made for each ward run and ward check only"}
	}
	if issue {
		issueCreds(ctx, cl, env, dynamic, fetched, jc)
	}
	if len(jc.leases) == 0 && (role == nil || !role.keep) {
		done() // no lease needs the token: end a CI login now
		jc.done = nil
	}
	return c, fetched, public, jc, nil
}

// fetchError marks an error of the fetch itself, as opposed to the manifest.
type fetchError struct{ err error }

func (e *fetchError) Error() string { return e.err.Error() }
func (e *fetchError) Unwrap() error { return e.err }

func runCheck(ctx context.Context, g *globals, o *checkOpts) error {
	if err := g.requireEnv(&o.env); err != nil {
		return err
	}
	c, fetched, _, jc, err := fetchJob(ctx, g, o.file, o.component, o.env, &o.role, true, false, nil)
	var fe *fetchError
	if errors.As(err, &fe) {
		return g.apiError(fe.err)
	}
	if err != nil {
		return err
	}
	jc.revoke(ctx, g) // the users were made to prove they can be; none is left
	res := c.Resolve(fetched, g.now())
	res.Wipe() // check needs the issues only
	withSyntheticIssues(res, vault.ProdOf(o.env, jc.production), c, fetched)
	if err := withProdCopyIssues(ctx, g, res, o.env, o.prodEnv, c, fetched); err != nil {
		return err
	}
	rep := newCheckReport(o.env, c, res)
	if o.format == formatJSON {
		// Hints hold "<": keep them readable rather than HTML-safe.
		enc := json.NewEncoder(g.stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = printCheckText(g.stdout, rep, res.Issues)
	}
	if err != nil {
		return err
	}
	if !rep.OK {
		return &exitError{Code: exitFailure}
	}
	return nil
}

// newCheckReport is the report of ward check (and of ward run before it
// starts CMD) on a component's resolution.
func newCheckReport(env string, c *manifest.Component, res *manifest.Resolution) checkReport {
	rep := checkReport{Env: env, Component: c.Name, OK: !res.Failed(), Checked: len(c.Secrets()), Problems: []checkProblem{}}
	for _, is := range res.Issues {
		rep.Problems = append(rep.Problems, checkProblem{
			Secret: is.Secret, Field: is.Field, Var: is.Var, Line: is.Line,
			Severity: is.Severity(), Problem: is.Problem(), Hint: checkHint(env, is),
		})
	}
	return rep
}

// manifestComponent loads the manifest and picks a component, turning every
// failure into a usage error that says what to do.
func manifestComponent(g *globals, file, name string) (*manifest.Component, error) {
	m, err := loadManifest(file)
	var me *manifest.Error
	if errors.As(err, &me) {
		printManifestProblems(g.stderr, me)
		fmt.Fprintf(g.stderr, "hint: fix %s; 'ward manifest validate -f %s' checks it without a server\n", me.Name, file)
		return nil, &exitError{Code: exitUsage}
	}
	if err != nil {
		return nil, err
	}
	c, err := m.Component(name)
	var ce *manifest.ComponentError
	if errors.As(err, &ce) {
		return nil, withHint(&usageError{err}, "name one with --component "+ce.Known[0]+" (known: "+strings.Join(ce.Known, ", ")+")")
	}
	return c, err
}

// fetchSecrets reads paths from env in as few batched fetches as the
// server allows, and has the server check the secrets named in types
// against those types.
func fetchSecrets(ctx context.Context, cl *client.Client, env string, paths []string, types map[string]string) (map[string]manifest.Fetched, *bool, error) {
	out := make(map[string]manifest.Fetched, len(paths))
	var production *bool
	for len(paths) > 0 {
		batch := paths[:min(len(paths), maxFetchBatch)]
		paths = paths[len(batch):]
		reply, err := cl.FetchIn(ctx, env, batch, types)
		if err != nil {
			return nil, nil, err
		}
		res := reply.Secrets
		production = reply.Production
		if len(res) != len(batch) {
			return nil, nil, fmt.Errorf("the server answered %d of %d secrets", len(res), len(batch))
		}
		for i, r := range res {
			f := manifest.Fetched{Status: manifest.FetchStatus(r.Status), Error: r.Error, Data: r.Data, Version: r.Metadata.Version, CustomMetadata: r.CustomMetadata, MFARequired: r.MFARequired}
			for _, p := range r.TypeProblems {
				f.TypeProblems = append(f.TypeProblems, manifest.TypeProblem{Field: p.Field, Message: p.Message})
			}
			out[batch[i]] = f
		}
	}
	return out, production, nil
}

// checkHint is the fix for an issue, as a command where there is one.
func checkHint(env string, is manifest.Issue) string {
	p := is.Secret
	if isDynamic(p) {
		return dynamicHint(env, is)
	}
	switch is.Kind {
	case manifest.IssueNotFound:
		return fmt.Sprintf("ward kv put --env %s %s < value.json", env, p)
	case manifest.IssueRetired:
		return fmt.Sprintf("%s/%s was retired and will never come back: remove it from ward.yaml, or point the entry at its replacement", env, p)
	case manifest.IssueDeleted:
		return fmt.Sprintf("ward kv history --env %s %s, then ward kv undelete --env %s --versions N %s, or write it anew: ward kv put --env %s %s < value.json", env, p, env, p, env, p)
	case manifest.IssueDenied:
		return fmt.Sprintf("your token's policy needs read on %s/%s: ask an admin to grant it, or use a token that has it ('ward token lookup' shows yours)", env, p)
	case manifest.IssueMFARequired:
		return "set WARD_MFA to the code your authenticator app shows, or run on a terminal to be asked for one (ward mfa status shows your enrolment)"
	case manifest.IssueFetchError, manifest.IssueNotFetched:
		return fmt.Sprintf("check from: on line %d of the manifest, and try again", is.Line)
	case manifest.IssueExpired:
		return fmt.Sprintf("rotate it: ward kv put --env %s %s < new.json, then move expires_at in its metadata", env, p)
	case manifest.IssueBadExpiry:
		return "set expires_at in its custom metadata to an RFC 3339 time, like 2027-01-31T00:00:00Z"
	case manifest.IssueNotObject:
		return fmt.Sprintf("write it as a JSON object: ward kv put --env %s %s < value.json", env, p)
	case manifest.IssueFieldMissing, manifest.IssueFieldNull:
		return fmt.Sprintf("ward kv patch --env %s %s %s=@FILE", env, p, is.Field)
	case manifest.IssueTypeMismatch:
		return fmt.Sprintf("if the manifest is right (line %d), retype it: ward kv metadata put --env %s %s type=%s; else change type: in the manifest", is.Line, env, p, is.Type)
	case manifest.IssueTypeInvalid:
		field := is.Field
		if field == "" {
			field = "FIELD"
		}
		return fmt.Sprintf("ward kv patch --env %s %s %s=@FILE ('ward type read %s' shows the rules)", env, p, field, is.Type)
	case manifest.IssueSynthetic:
		return fmt.Sprintf("write the real value (ward kv put --env %s %s < value.json), then clear the mark: ward kv metadata put --env %s %s synthetic=", env, p, env, p)
	case manifest.IssueProdCopy:
		return fmt.Sprintf("write a value of %s's own: ward kv patch --env %s %s %s=@FILE; if the copy left production's control, rotate the production secret", env, env, p, is.Field)
	case manifest.IssueNotUsable:
		return fmt.Sprintf("deliver it as a file (files: in the manifest), or remove the NUL byte: ward kv patch --env %s %s < patch.json", env, p)
	}
	return ""
}

// printCheckText writes one line per problem, a summary and the notes.
func printCheckText(w io.Writer, rep checkReport, issues []manifest.Issue) error {
	failed, warned := map[string]bool{}, map[string]bool{}
	for i, p := range rep.Problems {
		fmt.Fprintf(w, "%s/%s: %s — hint: %s\n", rep.Env, p.Secret, p.Problem, p.Hint)
		if issues[i].Optional {
			warned[p.Secret] = true
		} else {
			failed[p.Secret] = true
		}
	}
	for s := range failed {
		delete(warned, s)
	}
	secrets := "secrets"
	if rep.Checked == 1 {
		secrets = "secret"
	}
	fmt.Fprintf(w, "%d %s checked for component %s in %s: %d failed, %s\n",
		rep.Checked, secrets, rep.Component, rep.Env, len(failed), plural(len(warned), "warning"))
	return nil
}
