package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wardhq/ward/client"
)

// passwordLoginHelp is ward login's help for humans; the --ci help
// follows it.
const passwordLoginHelp = `ward login NAME logs a user in with a password (asked for on the terminal,
or the first line of stdin; never a flag). The token is bound to one
environment: the user's own if an admin set one ('ward user create --env'),
else the one given with --env. It is written 0600 to ~/.ward/token (or
$WARD_CONFIG_DIR/token), where ward's other commands find it.

`

// runPasswordLogin is ward login NAME: a user's password for a token,
// stored where ward's other commands find it.
func runPasswordLogin(ctx context.Context, g *globals, o *loginOpts, replaced string) error {
	cfg := g.clientConfig()
	cfg.Token = "" // a login sends no token
	c, err := g.newClient(cfg)
	if err != nil {
		return err
	}
	pw, err := readPasswordInput(g, "password for "+o.name+": ", false)
	if err != nil {
		return err
	}
	a, err := c.Login(ctx, o.name, pw, o.env)
	if err != nil {
		return passwordLoginHint(g, err)
	}
	if err := g.storeLoginToken(a.ClientToken, replaced); err != nil {
		return err
	}
	if o.format == formatJSON {
		return printJSON(g.stdout, map[string]any{
			"username": a.Metadata["username"], "accessor": a.Accessor, "env": a.Env,
			"policies": a.Policies, "ttl_seconds": a.LeaseDuration, "token_file": g.tokenFile(), "replaced": replaced,
		})
	}
	ttl := (time.Duration(a.LeaseDuration) * time.Second).String()
	fmt.Fprintf(g.stdout, "logged in as %s to %s for %s; token written to %s\n", a.Metadata["username"], a.Env, ttl, g.displayPath(g.tokenFile()))
	return nil
}

// checkTokenFile looks at the token a login would replace, before the
// login is made. It refuses to replace a live root token without force
// (a root token cannot be shown again), and returns what it would
// replace: "" (nothing), "a root token", "the token of IDENTITY in ENV",
// or "a token that is no longer valid".
func (g *globals) checkTokenFile(ctx context.Context, force bool) (string, error) {
	path := g.tokenFile()
	if path == "" {
		return "", nil
	}
	b, err := readInput(nil, path, 4096)
	old := strings.TrimSpace(string(b))
	if err != nil || old == "" {
		return "", nil
	}
	cfg := g.clientConfig()
	cfg.Token, cfg.MFAPrompt, cfg.MaxRetries = old, nil, -1
	c, err := client.New(cfg)
	if err != nil {
		return "", nil // the login reports a bad address
	}
	info, err := c.LookupSelf(ctx)
	if err != nil {
		return "a token that is no longer valid (or of another server)", nil
	}
	if !slices.Contains(info.Policies, "root") {
		who := info.DisplayName
		if who == "" {
			who = "accessor " + info.Accessor
		}
		return fmt.Sprintf("the token of %s in %s", who, info.Env), nil
	}
	if !force {
		return "", withHint(fmt.Errorf("%s holds a root token, which ward login would replace; a root token cannot be shown again", g.displayPath(path)),
			"keep it: log in with a directory of your own, WARD_CONFIG_DIR=~/.ward-NAME ward login NAME; or replace it with --force ('ward dev' keeps its root token in DATA/dev-root-token too)")
	}
	return "a root token (--force)", nil
}

// storeLoginToken writes the token of a login and says what it replaced.
func (g *globals) storeLoginToken(token, replaced string) error {
	if err := g.writeTokenFile(token); err != nil {
		return fmt.Errorf("writing the token to %s: %w", g.tokenFile(), err)
	}
	if replaced != "" {
		fmt.Fprintf(g.stderr, "ward: %s held %s; it is replaced\n", g.displayPath(g.tokenFile()), replaced)
	}
	if g.getenv("WARD_TOKEN") != "" {
		fmt.Fprintln(g.stderr, "ward: note: WARD_TOKEN is set and wins over the token file for later commands; unset it to use this login")
	}
	return nil
}

func passwordLoginHint(g *globals, err error) error {
	var re *client.ResponseError
	if errors.As(err, &re) {
		switch re.StatusCode {
		case 400:
			return withHint(err, "check the name and password (5 failures in 15 minutes lock the name for a while), and give --env unless an admin bound your user to one")
		case 429:
			return withHint(err, "wait until the time given, or ask an admin to check the account")
		}
	}
	return g.apiError(err)
}
