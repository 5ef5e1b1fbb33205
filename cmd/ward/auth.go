package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardhq/ward/client"
)

// The JWT auth method's set-up, over the server's Vault-shaped API
// (auth/jwt/config, auth/jwt/role/NAME), with presets for the two CI
// platforms ward knows.

// ciPreset is what ward knows of a CI platform's OIDC tokens.
type ciPreset struct {
	issuer, jwks string
	// repoClaim names the repository ("owner/repo", "group/project").
	repoClaim string
	// refPrefix is prepended to a --ref that lacks it (GitHub's refs are
	// full refs; GitLab's are branch or tag names).
	refPrefix string
}

var ciPresets = map[string]ciPreset{
	"github": {
		issuer:    "https://token.actions.githubusercontent.com",
		jwks:      "https://token.actions.githubusercontent.com/.well-known/jwks",
		repoClaim: "repository",
		refPrefix: "refs/heads/",
	},
	"gitlab": {
		issuer:    "https://gitlab.com",
		jwks:      "https://gitlab.com/oauth/discovery/keys",
		repoClaim: "project_path",
	},
}

func newAuthCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "auth",
		Short: "Set up how CI jobs log in (the JWT method: issuer and roles)",
		Long: `A CI job logs in with its own OIDC token ('ward login --ci', or --role on
ward check and ward run). The server must know the issuer whose tokens it
trusts (auth/jwt/config) and, in roles (auth/jwt/role/NAME), which of that
issuer's tokens may log in, into which environment, with which policies.`,
		Example: `  ward auth jwt config write --preset github
  ward auth jwt role write ci-staging --preset github --repo acme/api --ref main --env staging --policy ci-api --dry-run`,
	}
	jwt := &cobra.Command{
		Use:   "jwt",
		Short: "The JWT method: the issuer's configuration and the roles",
		Example: `  ward auth jwt config read
  ward auth jwt role list`,
	}
	config := &cobra.Command{
		Use:   "config",
		Short: "Write or read the issuer whose tokens the server trusts",
		Example: `  ward auth jwt config write --preset gitlab --gitlab-url https://gitlab.example.com
  ward auth jwt config read`,
	}
	config.AddCommand(newJWTConfigWriteCmd(g), newJWTConfigReadCmd(g))
	role := &cobra.Command{
		Use:   "role",
		Short: "Write, read, list and delete the roles CI jobs log in with",
		Example: `  ward auth jwt role write ci-staging --preset github --repo acme/api --ref main --env staging --policy ci-api
  ward auth jwt role read ci-staging`,
	}
	role.AddCommand(newJWTRoleWriteCmd(g), newJWTRoleReadCmd(g), newJWTRoleListCmd(g), newJWTRoleDeleteCmd(g))
	jwt.AddCommand(config, role)
	cmd.AddCommand(jwt)
	return cmd
}

type jwtConfigOpts struct {
	preset    string
	gitlabURL string
	cfg       client.JWTConfig
	dryRun    bool
	format    format
}

func newJWTConfigWriteCmd(g *globals) *cobra.Command {
	o := &jwtConfigOpts{}
	cmd := &cobra.Command{
		Use:   "write (--preset github|gitlab | --oidc-discovery-url URL | --jwks-url URL --bound-issuer ISS) [--dry-run]",
		Short: "Set the issuer whose tokens the server trusts",
		Long: `Set the issuer of the CI tokens the server trusts. The presets:

  github   issuer https://token.actions.githubusercontent.com, its JWKS at
           /.well-known/jwks
  gitlab   issuer https://gitlab.com (or --gitlab-url for a self-managed
           GitLab), its JWKS at /oauth/discovery/keys

Or name the issuer yourself: --oidc-discovery-url (the JWKS is found by
discovery), or --jwks-url with --bound-issuer. The server fetches the keys
before it accepts the configuration, so it must reach the issuer; a failed
write changes nothing. --dry-run prints the configuration and sends nothing.`,
		Example: `  ward auth jwt config write --preset github
  ward auth jwt config write --preset gitlab --gitlab-url https://gitlab.example.com --dry-run
  ward auth jwt config write --oidc-discovery-url https://issuer.example.com`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runJWTConfigWrite(cmd.Context(), g, o) },
	}
	cmd.Flags().StringVar(&o.preset, "preset", "", "github or gitlab")
	cmd.Flags().StringVar(&o.gitlabURL, "gitlab-url", "", "with --preset gitlab: a self-managed GitLab's URL (default https://gitlab.com)")
	cmd.Flags().StringVar(&o.cfg.OIDCDiscoveryURL, "oidc-discovery-url", "", "the issuer's URL; its /.well-known/openid-configuration names the JWKS")
	cmd.Flags().StringVar(&o.cfg.JWKSURL, "jwks-url", "", "the issuer's JSON Web Key Set")
	cmd.Flags().StringVar(&o.cfg.BoundIssuer, "bound-issuer", "", "what every token's iss must be (default with discovery: its URL)")
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "print the configuration; send nothing")
	formatFlag(cmd, &o.format)
	return cmd
}

func runJWTConfigWrite(ctx context.Context, g *globals, o *jwtConfigOpts) error {
	custom := o.cfg.OIDCDiscoveryURL != "" || o.cfg.JWKSURL != "" || o.cfg.BoundIssuer != ""
	switch {
	case o.preset != "" && custom:
		return usagef("give --preset or the issuer's URLs, not both")
	case o.gitlabURL != "" && o.preset != "gitlab":
		return usagef("--gitlab-url goes with --preset gitlab")
	case o.preset != "":
		p, ok := ciPresets[o.preset]
		if !ok {
			return withHint(usagef("unknown --preset %q", o.preset), "give github or gitlab, or the issuer's URLs")
		}
		if o.gitlabURL != "" {
			base := strings.TrimRight(o.gitlabURL, "/")
			p.issuer, p.jwks = base, base+"/oauth/discovery/keys"
		}
		o.cfg = client.JWTConfig{JWKSURL: p.jwks, BoundIssuer: p.issuer}
	case o.cfg.OIDCDiscoveryURL != "" && o.cfg.JWKSURL != "":
		return usagef("give --oidc-discovery-url or --jwks-url, not both")
	case o.cfg.JWKSURL != "" && o.cfg.BoundIssuer == "":
		return withHint(usagef("--jwks-url needs --bound-issuer"), "the issuer every token's iss must equal, e.g. https://token.actions.githubusercontent.com")
	case !custom || o.cfg.OIDCDiscoveryURL == "" && o.cfg.JWKSURL == "":
		return withHint(usagef("name the issuer"), "--preset github, --preset gitlab, --oidc-discovery-url URL, or --jwks-url URL --bound-issuer ISS")
	}
	text := func(verb string) func(io.Writer) error {
		return func(w io.Writer) error {
			rows := [][]string{{"issuer", cmp.Or(o.cfg.BoundIssuer, o.cfg.OIDCDiscoveryURL)}}
			if o.cfg.JWKSURL != "" {
				rows = append(rows, []string{"keys", o.cfg.JWKSURL})
			} else {
				rows = append(rows, []string{"keys", "found by discovery at " + strings.TrimRight(o.cfg.OIDCDiscoveryURL, "/") + "/.well-known/openid-configuration"})
			}
			fmt.Fprintf(w, "auth/jwt/config %s:\n", verb)
			return table(w, indent(rows))
		}
	}
	if o.dryRun {
		return g.show(o.format, o.cfg, text("not written (dry run)"))
	}
	c, err := g.client()
	if err != nil {
		return err
	}
	if err := c.PutJWTConfig(ctx, o.cfg); err != nil {
		return g.apiError(err)
	}
	return g.show(o.format, o.cfg, text("written"))
}

func newJWTConfigReadCmd(g *globals) *cobra.Command {
	var f format
	cmd := &cobra.Command{
		Use:     "read",
		Short:   "Print the issuer the server trusts",
		Example: `  ward auth jwt config read --format json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			cfg, err := c.JWTConfig(cmd.Context())
			if err != nil {
				return g.apiError(err)
			}
			keys := cmp.Or(cfg.JWKSURL, cfg.OIDCDiscoveryURL)
			if len(cfg.JWTValidationPubkeys) > 0 {
				keys = plural(len(cfg.JWTValidationPubkeys), "PEM public key")
			}
			return g.show(f, cfg, tableText([][]string{{"issuer", cfg.BoundIssuer}, {"keys", keys}}))
		},
	}
	formatFlag(cmd, &f)
	return cmd
}

type jwtRoleOpts struct {
	name      string
	preset    string
	repo      string
	repoID    string
	ref       string
	ciEnv     string // the CI platform's deployment environment claim
	protected bool
	claims    []string // CLAIM=VALUE
	glob      bool
	role      client.JWTRole
	ttl       time.Duration
	maxTTL    time.Duration
	maxAge    time.Duration
	dryRun    bool
	format    format
}

func newJWTRoleWriteCmd(g *globals) *cobra.Command {
	o := &jwtRoleOpts{}
	cmd := &cobra.Command{
		Use:   "write NAME --env ENV --policy P[,P] (--preset github|gitlab --repo REPO [--ref REF] [--ci-environment E] | --claim CLAIM=VALUE...) [--dry-run]",
		Short: "Create or replace a role: which CI tokens may log in, and what ward token they get",
		Long: `Create or replace a role. A token logs in with it only when its audience is
one of --audience (default "` + DefaultCIAudience + `", what 'ward login --ci' asks GitHub for)
and every bound claim matches; it then gets a ward token for --env with the
--policy policies, for --ttl (renewable up to --max-ttl).

The presets bind the claims the platform puts in a job's token:

  github   --repo OWNER/REPO   repository        (--repo-id: repository_id,
                                                  which survives a rename)
           --ref main          ref = refs/heads/main (a full ref is kept)
           --ci-environment E  environment: the job's deployment environment
  gitlab   --repo GROUP/PROJ   project_path
           --ref main          ref
           --protected         ref_protected = true: protected branches only
           --ci-environment E  environment

--claim CLAIM=VALUE binds any other claim (repeatable; with --glob, VALUE
may hold * and ?). Without a preset, give the claims yourself: a role that
binds no claim would let every job of the issuer in.

--dry-run prints what the role would accept and grant, and sends nothing.`,
		Example: `  ward auth jwt role write ci-staging --preset github --repo acme/api --ref main --env staging --policy ci-api --dry-run
  ward auth jwt role write deploy-prod --preset github --repo acme/api --ci-environment production --env prod --policy deploy --ttl 10m
  ward auth jwt role write ci-gitlab --preset gitlab --repo acme/api --protected --env staging --policy ci-api --audience https://ward.example.com
  ward auth jwt role write nightly --claim sub=repo:acme/api:ref:refs/heads/main --env staging --policy ci-api`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("give the role's name, like ci-staging")
			}
			o.name = args[0]
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return runJWTRoleWrite(cmd.Context(), g, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.preset, "preset", "", "github or gitlab: bind the platform's claims with --repo, --ref, --ci-environment")
	f.StringVar(&o.repo, "repo", "", "with a preset: the repository, OWNER/REPO or GROUP/PROJECT")
	f.StringVar(&o.repoID, "repo-id", "", "with --preset github: the repository's numeric id")
	f.StringVar(&o.ref, "ref", "", "with a preset: the branch (or full ref) the job must run on")
	f.StringVar(&o.ciEnv, "ci-environment", "", "with a preset: the deployment environment the job must run in")
	f.BoolVar(&o.protected, "protected", false, "with --preset gitlab: protected refs only")
	f.StringArrayVar(&o.claims, "claim", nil, "CLAIM=VALUE: a claim the token must carry (repeatable)")
	f.BoolVar(&o.glob, "glob", false, "claim values may hold * and ?")
	f.StringSliceVar(&o.role.BoundAudiences, "audience", []string{DefaultCIAudience}, "audiences, one of which the token must carry")
	f.StringVar(&o.role.Environment, "env", "", "the environment the ward token reaches (required)")
	f.StringSliceVar(&o.role.TokenPolicies, "policy", nil, "the ward token's policies (required)")
	f.DurationVar(&o.ttl, "ttl", 0, "the ward token's life (default: the server's, 15m)")
	f.DurationVar(&o.maxTTL, "max-ttl", 0, "no renewal goes past this (default: the server's, 1h)")
	f.DurationVar(&o.maxAge, "max-age", 0, "the oldest CI token accepted, by its iat (default: the server's, 1h)")
	f.BoolVar(&o.dryRun, "dry-run", false, "print what the role would accept; send nothing")
	formatFlag(cmd, &o.format)
	return cmd
}

// buildRole turns the flags into the role to write.
func (o *jwtRoleOpts) buildRole() (client.JWTRole, error) {
	r := o.role
	r.BoundClaims = map[string]any{}
	if o.glob {
		r.BoundClaimsType = "glob"
	}
	if r.Environment == "" {
		return r, withHint(usagef("missing --env"), "the environment the ward token reaches, e.g. --env staging")
	}
	if len(r.TokenPolicies) == 0 {
		return r, withHint(usagef("missing --policy"), "the ward token's policies, e.g. --policy ci-api")
	}
	presetFlags := o.repo != "" || o.repoID != "" || o.ref != "" || o.ciEnv != "" || o.protected
	switch p, ok := ciPresets[o.preset]; {
	case o.preset == "" && presetFlags:
		return r, withHint(usagef("--repo, --repo-id, --ref, --ci-environment and --protected go with --preset"), "add --preset github or --preset gitlab, or bind claims with --claim CLAIM=VALUE")
	case o.preset != "" && !ok:
		return r, withHint(usagef("unknown --preset %q", o.preset), "give github or gitlab")
	case ok:
		if o.repo == "" {
			return r, withHint(usagef("--preset %s needs --repo", o.preset), "the repository whose jobs may log in, e.g. --repo acme/api")
		}
		r.BoundClaims[p.repoClaim] = o.repo
		if o.repoID != "" {
			if o.preset != "github" {
				return r, usagef("--repo-id goes with --preset github")
			}
			r.BoundClaims["repository_id"] = o.repoID
		}
		if o.ref != "" {
			ref := o.ref
			if p.refPrefix != "" && !strings.HasPrefix(ref, "refs/") {
				ref = p.refPrefix + ref
			}
			r.BoundClaims["ref"] = ref
		}
		if o.ciEnv != "" {
			r.BoundClaims["environment"] = o.ciEnv
		}
		if o.protected {
			if o.preset != "gitlab" {
				return r, withHint(usagef("--protected goes with --preset gitlab"), "on GitHub, bind a deployment environment with required reviewers: --ci-environment")
			}
			r.BoundClaims["ref_protected"] = "true"
		}
	}
	for _, c := range o.claims {
		k, v, found := strings.Cut(c, "=")
		if !found || k == "" {
			return r, usagef("--claim %q is not CLAIM=VALUE", c)
		}
		r.BoundClaims[k] = v
	}
	if len(r.BoundClaims) == 0 {
		return r, withHint(usagef("the role binds no claim: every job of the issuer could log in with it"), "use --preset github|gitlab --repo REPO, or --claim CLAIM=VALUE")
	}
	r.TokenTTL, r.TokenMaxTTL, r.MaxAge = int64(o.ttl/time.Second), int64(o.maxTTL/time.Second), int64(o.maxAge/time.Second)
	return r, nil
}

func runJWTRoleWrite(ctx context.Context, g *globals, o *jwtRoleOpts) error {
	r, err := o.buildRole()
	if err != nil {
		return err
	}
	verb := "written"
	var c *client.Client
	if !o.dryRun {
		if c, err = g.client(); err != nil {
			return err
		}
		if err := c.PutJWTRole(ctx, o.name, r); err != nil {
			return g.apiError(err)
		}
	} else {
		verb = "not written (dry run)"
		c, _ = g.client() // for the issuer's name, if the server tells it
	}
	issuer := roleIssuer(ctx, c)
	return g.show(o.format, map[string]any{"name": o.name, "role": r, "issuer": issuer, "written": !o.dryRun},
		func(w io.Writer) error {
			fmt.Fprintf(w, "role %s %s\n", o.name, verb)
			return describeRole(w, r, issuer)
		})
}

// roleIssuer is the issuer the server trusts, for a role's description;
// "" when it cannot be read.
func roleIssuer(ctx context.Context, c *client.Client) string {
	if c == nil {
		return ""
	}
	cfg, err := c.JWTConfig(ctx)
	if err != nil {
		return ""
	}
	return cmp.Or(cfg.BoundIssuer, cfg.OIDCDiscoveryURL)
}

// describeRole says, in words, which tokens a role accepts and what it
// grants.
func describeRole(w io.Writer, r client.JWTRole, issuer string) error {
	if issuer == "" {
		issuer = "the issuer of auth/jwt/config (not readable here)"
	}
	op := "="
	if r.BoundClaimsType == "glob" {
		op = "matches"
	}
	rows := [][]string{
		{"accepts a CI token"},
		{"  issued by", issuer},
		{"  for audience", strings.Join(r.BoundAudiences, " or ")},
	}
	if r.BoundSubject != "" {
		rows = append(rows, []string{"  with sub", "= " + r.BoundSubject})
	}
	label := "  whose claim"
	for _, k := range slices.Sorted(maps.Keys(r.BoundClaims)) {
		rows = append(rows, []string{label, fmt.Sprintf("%s %s %s", k, op, claimText(r.BoundClaims[k]))})
		label = "  and"
	}
	rows = append(rows,
		[]string{"  not older than", durText(r.MaxAge, "1h (the server's default)")},
		[]string{"and gives it a ward token"},
		[]string{"  for environment", r.Environment},
		[]string{"  with policies", strings.Join(r.TokenPolicies, ", ")},
		[]string{"  for", durText(r.TokenTTL, "15m (the server's default)") + ", renewable up to " + durText(r.TokenMaxTTL, "1h (the server's default)")},
	)
	return table(w, rows)
}

// claimText shows a bound value: a string, or a list any of which matches.
func claimText(v any) string {
	if list, ok := v.([]any); ok {
		parts := make([]string, len(list))
		for i, x := range list {
			parts[i] = fmt.Sprint(x)
		}
		return strings.Join(parts, " or ")
	}
	return fmt.Sprint(v)
}

func durText(sec int64, zero string) string {
	if sec == 0 {
		return zero
	}
	return (time.Duration(sec) * time.Second).String()
}

func newJWTRoleReadCmd(g *globals) *cobra.Command {
	var f format
	cmd := &cobra.Command{
		Use:   "read NAME",
		Short: "Print a role, and what it accepts and grants",
		Example: `  ward auth jwt role read ci-staging
  ward auth jwt role read ci-staging --format json`,
		Args: exactArgs(1, "give the role's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			r, err := c.JWTRole(cmd.Context(), args[0])
			if errors.Is(err, client.ErrNotFound) {
				return withHint(fmt.Errorf("no role %q", args[0]), "'ward auth jwt role list' shows the roles")
			}
			if err != nil {
				return g.apiError(err)
			}
			issuer := roleIssuer(cmd.Context(), c)
			return g.show(f, r, func(w io.Writer) error {
				fmt.Fprintf(w, "role %s\n", args[0])
				return describeRole(w, *r, issuer)
			})
		},
	}
	formatFlag(cmd, &f)
	return cmd
}

func newJWTRoleListCmd(g *globals) *cobra.Command {
	var f format
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the roles",
		Example: `  ward auth jwt role list`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			names, err := c.JWTRoles(cmd.Context())
			if err != nil {
				return g.apiError(err)
			}
			return g.show(f, names, linesText(names))
		},
	}
	formatFlag(cmd, &f)
	return cmd
}

func newJWTRoleDeleteCmd(g *globals) *cobra.Command {
	var f format
	cmd := &cobra.Command{
		Use:     "delete NAME",
		Short:   "Delete a role; tokens it gave live on until they expire",
		Example: `  ward auth jwt role delete ci-staging`,
		Args:    exactArgs(1, "give the role's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.DeleteJWTRole(cmd.Context(), args[0]); err != nil {
				return g.apiError(err)
			}
			return g.show(f, map[string]any{"name": args[0], "deleted": true}, lineText("role %s deleted", args[0]))
		},
	}
	formatFlag(cmd, &f)
	return cmd
}

// indent indents the first column of rows by two spaces.
func indent(rows [][]string) [][]string {
	for _, r := range rows {
		r[0] = "  " + r[0]
	}
	return rows
}
