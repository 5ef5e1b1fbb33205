package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardhq/ward/client"
	"github.com/wardhq/ward/internal/auth/jwtauth"
)

// DefaultCIAudience is the audience ward login --ci asks GitHub Actions
// for when --audience is not given. A role's bound_audiences must hold it.
const DefaultCIAudience = "ward"

// loginCIOptions are the inputs of a CI login.
type loginCIOptions struct {
	Role     string // the JWT role on the server; required
	Audience string // "": DefaultCIAudience (GitHub Actions only)
	JWTFile  string // a file holding the JWT ("-": stdin), instead of detection
	Stdin    io.Reader
	// Getenv reads the CI platform's variables; nil: the globals' getenv.
	Getenv func(string) string
	// HTTPClient asks GitHub Actions for the token; nil: a 30 s timeout.
	HTTPClient *http.Client
	// Client reaches the ward server; nil: the globals' client, as for
	// every command.
	Client *client.Client
}

// loginCI finds the CI job's OIDC token (--jwt-file, GitLab's
// WARD_ID_TOKEN, or GitHub Actions' token service), exchanges it at the
// ward server for a ward token under opts.Role, and returns that token.
// It writes nothing: ward login --ci stores the token, ward run and ward
// check --role keep it in memory.
func loginCI(ctx context.Context, g *globals, o loginCIOptions) (token string, err error) {
	a, _, err := loginCIAuth(ctx, g, o)
	if err != nil {
		return "", err
	}
	return a.ClientToken, nil
}

// loginCIAuth is loginCI with the whole auth block and the token's source.
func loginCIAuth(ctx context.Context, g *globals, o loginCIOptions) (*client.Auth, string, error) {
	if o.Role == "" {
		return nil, "", withHint(usagef("missing --role"), "name the server's JWT role for this pipeline, e.g. --role ci-staging")
	}
	if o.Getenv == nil {
		o.Getenv = g.getenv
	}
	if o.Audience == "" {
		o.Audience = DefaultCIAudience
	}
	jwt, source, err := ciToken(ctx, o)
	if err != nil {
		return nil, "", err
	}
	c := o.Client
	if c == nil {
		if c, err = g.client(); err != nil {
			return nil, "", err
		}
	}
	a, err := c.LoginJWT(ctx, o.Role, jwt)
	if err != nil {
		var re *client.ResponseError
		if errors.As(err, &re) && re.StatusCode == http.StatusBadRequest {
			return nil, "", withHint(err, fmt.Sprintf("the server refused the %s token for role %q; compare the role (GET auth/jwt/role/%s) with the token's claims: audience, repository, ref, environment", source, o.Role, o.Role))
		}
		return nil, "", g.apiError(err)
	}
	return a, source, nil
}

// ciToken returns the job's OIDC token and where it came from.
func ciToken(ctx context.Context, o loginCIOptions) (jwt, source string, err error) {
	switch {
	case o.JWTFile != "":
		b, err := readInput(o.Stdin, o.JWTFile, jwtauth.MaxTokenBytes)
		if err != nil {
			return "", "", withHint(err, "--jwt-file names a file that holds the CI job's OIDC token")
		}
		jwt, source = strings.TrimSpace(string(b)), "--jwt-file"
	case o.Getenv("WARD_ID_TOKEN") != "":
		jwt, source = strings.TrimSpace(o.Getenv("WARD_ID_TOKEN")), "GitLab CI (WARD_ID_TOKEN)"
	case o.Getenv("ACTIONS_ID_TOKEN_REQUEST_URL") != "":
		jwt, err = githubToken(ctx, o)
		if err != nil {
			return "", "", err
		}
		source = "GitHub Actions"
	case o.Getenv("GITHUB_ACTIONS") == "true":
		return "", "", withHint(errors.New("GitHub Actions gives this job no OIDC token"),
			"give the workflow or job `permissions: id-token: write`")
	case o.Getenv("GITLAB_CI") == "true":
		return "", "", withHint(errors.New("GitLab CI gives this job no WARD_ID_TOKEN"),
			"add to the job: id_tokens: {WARD_ID_TOKEN: {aud: <the role's audience>}}")
	default:
		return "", "", withHint(errors.New("no CI identity found: not in GitHub Actions or GitLab CI, and no --jwt-file"),
			"in GitHub Actions grant `permissions: id-token: write`; in GitLab CI set id_tokens: WARD_ID_TOKEN; elsewhere give --jwt-file FILE")
	}
	if jwt == "" {
		return "", "", fmt.Errorf("the OIDC token from %s is empty", source)
	}
	if len(jwt) > jwtauth.MaxTokenBytes {
		return "", "", fmt.Errorf("the OIDC token from %s is larger than %d bytes", source, jwtauth.MaxTokenBytes)
	}
	return jwt, source, nil
}

// githubToken asks GitHub Actions' token service for a token with the
// audience: GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=AUD with
// Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN.
func githubToken(ctx context.Context, o loginCIOptions) (string, error) {
	u, err := url.Parse(o.Getenv("ACTIONS_ID_TOKEN_REQUEST_URL"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return "", errors.New("ACTIONS_ID_TOKEN_REQUEST_URL is not a URL")
	}
	q := u.Query()
	q.Set("audience", o.Audience)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", err
	}
	bearer := o.Getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
	if bearer == "" {
		return "", withHint(errors.New("ACTIONS_ID_TOKEN_REQUEST_TOKEN is empty"), "give the job `permissions: id-token: write`")
	}
	req.Header.Set("Authorization", "bearer "+bearer)
	req.Header.Set("Accept", "application/json")
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("asking GitHub Actions for an OIDC token at %s: %v", u.Host, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4*jwtauth.MaxTokenBytes))
	if err != nil {
		return "", fmt.Errorf("reading GitHub Actions' OIDC token: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", withHint(fmt.Errorf("GitHub Actions refused the OIDC token request: HTTP %d", resp.StatusCode), "give the job `permissions: id-token: write`")
	}
	var out struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(b, &out); err != nil || out.Value == "" {
		return "", errors.New("GitHub Actions' answer holds no OIDC token (want JSON {\"value\": ...})")
	}
	return out.Value, nil
}

// loginOpts are the inputs of ward login.
type loginOpts struct {
	ci     bool
	name   string // the user, without --ci
	env    string // the user's environment, without --ci
	force  bool   // replace a root token in the token file
	format format
	ciOpts loginCIOptions
}

func newLoginCmd(g *globals) *cobra.Command {
	o := &loginOpts{ciOpts: loginCIOptions{Stdin: g.stdin}}
	cmd := &cobra.Command{
		Use:   "login NAME [--env ENV] | login --ci --role ROLE [--audience AUD] [--jwt-file FILE]",
		Short: "Log in as a user with a password, or a CI job with its OIDC token; stores the ward token",
		Long: passwordLoginHelp + `ward login --ci exchanges the CI job's own OIDC token for a ward token that
lives for minutes and reaches one environment, and writes it 0600 to
` + "~/.ward/token" + ` (or $WARD_CONFIG_DIR/token) for the job's later ward commands.
No long-lived secret needs to be stored in the CI platform.

Where the OIDC token comes from, in this order:
  --jwt-file FILE   a file holding it (- for stdin)
  WARD_ID_TOKEN     GitLab CI: set it with id_tokens: in .gitlab-ci.yml
  GitHub Actions    asked of ACTIONS_ID_TOKEN_REQUEST_URL with the audience
                    --audience (default "` + DefaultCIAudience + `"); the job needs
                    permissions: id-token: write

The token is never taken from argv and never printed. The server's role
(auth/jwt/role/ROLE) decides which repositories, refs and environments may
use it, and what the ward token may do.

The token file holds one token. ward login replaces the one there and says
what it replaced, but it refuses to replace a root token (the one 'ward dev'
writes) without --force: once replaced, a root token cannot be shown again.
'ward dev' also keeps its root token in DATA/dev-root-token. To keep both,
give each its own directory: WARD_CONFIG_DIR=~/.ward-alice ward login alice,
then run commands as alice with the same WARD_CONFIG_DIR.`,
		Example: `  # a person
  ward login alice --env staging
  printf '%s\n' "$PW" | ward login ci-bot
  WARD_CONFIG_DIR=~/.ward-alice ward login alice    # keep ~/.ward/token as it is
  ward login alice --force                          # replace even a root token
  # GitHub Actions (permissions: id-token: write)
  ward login --ci --role ci-staging --audience https://ward.example.com
  # GitLab CI (id_tokens: WARD_ID_TOKEN: aud: https://ward.example.com)
  ward login --ci --role ci-staging
  # anywhere else
  ward login --ci --role ci-staging --jwt-file /run/secrets/oidc-token`,
		Args: func(cmd *cobra.Command, args []string) error {
			switch {
			case o.ci && len(args) > 0:
				return usagef("ward login --ci takes no user name; the CI job's OIDC token says who it is")
			case !o.ci && len(args) != 1:
				return withHint(usagef("give your user name: ward login NAME"), "a CI job logs in with ward login --ci --role ROLE")
			}
			if len(args) == 1 {
				o.name = args[0]
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return runLogin(cmd.Context(), g, o) },
	}
	cmd.Flags().BoolVar(&o.ci, "ci", false, "log in as a CI job with its OIDC token")
	cmd.Flags().StringVar(&o.env, "env", "", "with NAME: the environment the token is bound to (default: the user's own)")
	cmd.Flags().BoolVar(&o.force, "force", false, "replace the token file even when it holds a root token")
	cmd.Flags().StringVar(&o.ciOpts.Role, "role", "", "the server's JWT role (auth/jwt/role/ROLE)")
	cmd.Flags().StringVar(&o.ciOpts.Audience, "audience", DefaultCIAudience, "audience to ask GitHub Actions for; a bound_audiences value of the role")
	cmd.Flags().StringVar(&o.ciOpts.JWTFile, "jwt-file", "", "read the OIDC token from FILE (- for stdin) instead of detecting the CI platform")
	formatFlag(cmd, &o.format)
	return cmd
}

func runLogin(ctx context.Context, g *globals, o *loginOpts) error {
	replaced, err := g.checkTokenFile(ctx, o.force)
	if err != nil {
		return err
	}
	if !o.ci {
		return runPasswordLogin(ctx, g, o, replaced)
	}
	a, source, err := loginCIAuth(ctx, g, o.ciOpts)
	if err != nil {
		return err
	}
	if err := g.storeLoginToken(a.ClientToken, replaced); err != nil {
		return err
	}
	if o.format == formatJSON {
		return printJSON(g.stdout, map[string]any{
			"role": o.ciOpts.Role, "source": source, "accessor": a.Accessor, "env": a.Env,
			"policies": a.Policies, "ttl_seconds": a.LeaseDuration, "metadata": a.Metadata,
			"token_file": g.tokenFile(), "replaced": replaced,
		})
	}
	rows := [][]string{
		{"logged in", "role " + o.ciOpts.Role + " with the " + source + " token"},
		{"env", a.Env},
		{"policies", strings.Join(a.Policies, ",")},
		{"ttl", (time.Duration(a.LeaseDuration) * time.Second).String()},
		{"accessor", a.Accessor},
		{"token file", g.displayPath(g.tokenFile()) + " (0600)"},
	}
	for _, k := range slices.Sorted(maps.Keys(a.Metadata)) {
		rows = append(rows, []string{"meta." + k, a.Metadata[k]})
	}
	return table(g.stdout, rows)
}
