package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/wardhq/ward/internal/job"
	"github.com/wardhq/ward/internal/manifest"
	"github.com/wardhq/ward/internal/mask"
)

// exitNotFound is a shell's exit code for a command it cannot start.
const exitNotFound = 127

type runOpts struct {
	env         string
	component   string
	file        string
	replacement string
	format      format // of the report of problems, on stderr
	role        ciRole
	args        []string
	dir         job.Config    // where secret files go; zero: the real tmpfs
	started     func(pid int) // for tests
	isolation   string        // --token-isolation: auto, require or off
	watch       runWatchOpts  // --watch, --watch-interval
}

func newRunCmd(g *globals) *cobra.Command {
	o := &runOpts{}
	cmd := &cobra.Command{
		Use:   "run --env ENV [--component NAME] [-f ward.yaml] -- CMD [ARGS...]",
		Short: "Run a command with the secrets the manifest declares, its output masked",
		Long: `Run fetches the secrets a component of ward.yaml needs, checks them as
ward check does, and refuses to start CMD when a required one fails (the
problems are printed to stderr, never a value). Otherwise it starts CMD with:

  - each env var of the component set to its secret;
  - each file of the component written, with its mode, under a private
    directory (0700) on a tmpfs ($XDG_RUNTIME_DIR, else /dev/shm), named in
    WARD_SECRETS_DIR, and removed when CMD ends, whatever ends it; a later
    ward run removes the directories of a ward that was killed with -9;
  - WARD_MISSING: the optional env vars and files left unset, comma-separated
    (empty when none), so that a step can skip non-critical work;
  - without WARD_TOKEN, WARD_ADDR, WARD_CONFIG_DIR, VAULT_TOKEN, VAULT_ADDR.

CMD's stdout and stderr go through the masker, as two streams: every value it
received, and its encoded forms, shows as [masked:NAME] (or --replacement).
SIGINT, SIGTERM, SIGHUP and SIGQUIT are passed on to CMD's process group; on a
terminal CMD runs in the foreground. ward makes itself non-dumpable with a
core limit of 0 (which CMD inherits), so a crash leaves no core file.

An entry whose from is database/creds/ROLE (JOB_DB_USER: {from:
database/creds/app, field: username}) is a database user made for this job
by the environment's database engine: ward run renews its lease while CMD
runs longer than its TTL and revokes it when CMD ends — normally, by signal
or by crash — so the user is dropped within seconds. If ward itself is
killed, the lease still ends at its TTL.

With --role, ward run first logs in with the CI job's OIDC token, as
'ward login --ci' does, and revokes that ward token as soon as the secrets
are fetched (with database users, when CMD ends, as revoking the token
revokes its leases): no token is stored, and none outlives the job.

When ward's token comes from the token file (~/.ward/token, or
$WARD_CONFIG_DIR/token: no WARD_TOKEN, no --role), or with
--token-isolation require whatever the token's source, the file is hidden
from CMD, which runs as the same user: on Linux CMD runs in private user, mount
and PID namespaces where the file reads as empty and no process outside is
visible, with no capabilities (so setuid programs such as sudo do not gain
privileges inside). Where the kernel forbids unprivileged user namespaces,
or on other systems, --token-isolation auto (the default) warns and runs
CMD anyway, require refuses, off never isolates. In CI prefer --role or
WARD_TOKEN, which leave no file behind.

Reloading (--watch): ward keeps CMD running and asks the server every
--watch-interval (30s, ±10%) for the current version of each secret CMD
received, with the job's token (renewed while it is renewable). When one
has a new version, ward fetches it, checks it as above (a version that
fails keeps the old one, with a warning), teaches the masker the new
values (the old ones stay masked), replaces the changed files in
WARD_SECRETS_DIR atomically (a new 0600 file renamed over the old) and
sends CMD SIGHUP. The component's reload: in ward.yaml changes that:
reload: {signal: SIGUSR1} sends another signal, reload: restart restarts
CMD instead. A secret held in an env var cannot change in a running
process: ward says so and restarts CMD with the new value, or, with
reload: {env: refuse}, refuses to start. A secret that is deleted,
destroyed or retired (404, 410), or a database user whose lease is
revoked, stops CMD and ward fails (reload: {revoked: signal} removes its
files and signals CMD instead, unless an env var holds it).

Problems with the secrets are reported on stderr as ward check reports them
(stdout is CMD's); with --format json, as ward check --format json's report,
one JSON document on stderr before CMD starts (or instead of it).

Exit status: CMD's own, 128+N when signal N ended it; 1 when a required
secret fails or the server cannot be reached (CMD is not started); 2 on a
usage error; 127 when CMD cannot be started.`,
		Example: `  ward run --env staging -- go test ./...
  ward run --env staging --component indexer -- cargo test
  ward run --env prod --replacement '***' -- ./deploy.sh
  ward run --env staging --role ci-staging -- cargo test   # in a CI job: log in with its OIDC token
  ward run --env staging --token-isolation require -- make test   # refuse to run where ~/.ward/token cannot be hidden
  ward run --env prod --component api --watch -- ./api   # SIGHUP with new files when a secret rotates`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return withHint(usagef("ward run needs a command to run"), "ward run --env staging -- go test ./...")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.args = args
			return runRun(cmd.Context(), g, o)
		},
	}
	cmd.Flags().SetInterspersed(false) // flags after CMD are CMD's
	cmd.Flags().StringVar(&o.env, "env", "", "environment (default: 'ward env use')")
	cmd.Flags().StringVar(&o.component, "component", "", "the component to run (required when the manifest has several)")
	manifestFlag(cmd, &o.file)
	cmd.Flags().StringVar(&o.replacement, "replacement", "", "text shown in place of every value (default [masked:NAME])")
	addRoleFlags(cmd, &o.role)
	cmd.Flags().StringVar(&o.isolation, "token-isolation", "auto", "hide the token file from CMD: auto (warn where impossible), require, or off")
	cmd.Flags().BoolVar(&o.watch.on, "watch", false, "keep CMD running and give it each secret's new version (see Reloading above)")
	cmd.Flags().DurationVar(&o.watch.interval, "watch-interval", job.DefaultWatchInterval, "with --watch: how often to ask the server (±10%, at least 1s)")
	formatFlag(cmd, &o.format)
	cmd.Flag("format").Usage = "format of the report of problems on stderr: text or json"
	return cmd
}

func runRun(ctx context.Context, g *globals, o *runOpts) error {
	if err := g.requireEnv(&o.env); err != nil {
		return err
	}
	isolation, err := parseIsolation(o.isolation)
	if err != nil {
		return err
	}
	if err := o.watch.check(); err != nil {
		return err
	}
	o.role.keep = o.watch.on
	resumeGC := pauseGC()
	defer resumeGC()
	if err := job.Harden(); err != nil {
		return err
	}
	// With --format json, stderr carries one JSON report: warnings join it.
	var warnings []string
	var warn func(string)
	if o.format == formatJSON {
		warn = func(msg string) { warnings = append(warnings, msg) }
	}
	c, fetched, public, jc, err := fetchJob(ctx, g, o.file, o.component, o.env, &o.role, true, true, warn)
	var fe *fetchError
	if errors.As(err, &fe) {
		return withHint(fmt.Errorf("%s not started: %w", o.args[0], hintless(g.apiError(fe.err))), hintOf(g.apiError(fe.err)))
	}
	if err != nil {
		return err
	}
	defer jc.revoke(ctx, g) // however CMD ends, its database users go
	res := c.Resolve(fetched, g.now())
	defer func() { res.Wipe() }()
	if err := reportIssues(g, o, c, res, warnings); err != nil {
		return err
	}
	if o.watch.on {
		if err := refuseEnv(g, o, c); err != nil {
			return err
		}
	}
	secrets, err := job.MaskSecrets(o.env, fetched, res, public)
	if err != nil {
		return err
	}
	warnMask := maskWarning(g)
	var matcher *mask.Matcher
	var maskLater func() (*mask.Matcher, error)
	if o.watch.on {
		// The watch builds its maskers from secrets while the child runs:
		// this one is built before, on this goroutine.
		if matcher, err = runMatcher(o, secrets, warnMask); err != nil {
			return err
		}
		resumeGC()
	} else {
		later := matcherLater(func(warn func(string)) (*mask.Matcher, error) { return runMatcher(o, secrets, warn) }, warnMask)
		maskLater = func() (*mask.Matcher, error) {
			defer resumeGC()
			return later()
		}
		defer later() // a child that does not start leaves no build running
	}
	dir, err := writeSecretFiles(g, o, c, res)
	if err != nil {
		return err
	}
	dirPath := ""
	if dir != nil {
		dirPath = dir.Path
		defer dir.Remove()
	}
	child := job.Child{
		Args: o.args, Env: job.ChildEnv(g.environ(), res, dirPath),
		Stdin: g.stdin, Stdout: g.stdout, Stderr: g.stderr,
		Mask: matcher, MaskLater: maskLater, Started: o.started,
		Isolation: isolation, Hide: g.hiddenFiles(o, isolation),
		Warn: func(err error) {
			fmt.Fprintf(g.stderr, "ward: warning: %s can read the token file: %v\nhint: in CI use --role or WARD_TOKEN instead of a token file; --token-isolation require refuses to run like this\n", o.args[0], err)
		},
	}
	var watch *runWatch
	if o.watch.on {
		// The watch keeps the values: a new version of one secret is
		// resolved with the others.
		watch = newRunWatch(g, o, c, jc, fetched, res, public, secrets, dir)
		child.Control, child.StopGrace = watch.ctl, o.watch.stopGrace
		defer func() {
			watch.res.Wipe()
			for _, f := range watch.fetched {
				clear(f.Data)
			}
		}()
	} else {
		res.Wipe() // the child has its values; the masker has copies
		for _, f := range fetched {
			clear(f.Data)
		}
	}
	stopRenewing := jc.keepAlive(ctx, g)
	stopWatching := watch.start(ctx, g)
	code, err := job.Supervise(child)
	stopWatching()
	stopRenewing()
	if watch != nil && watch.stopped != "" {
		return &exitError{Code: exitFailure, Msg: fmt.Sprintf("%s stopped: %s", o.args[0], watch.stopped)}
	}
	var se *job.StartError
	if errors.As(err, &se) {
		return &exitError{Code: exitNotFound, Msg: se.Error()}
	}
	if err != nil {
		return err
	}
	if code != 0 {
		return &exitError{Code: code}
	}
	return nil
}

// writeSecretFiles writes the component's files into a new secrets
// directory, when it declares any, and returns it (nil for none).
func writeSecretFiles(g *globals, o *runOpts, c *manifest.Component, res *manifest.Resolution) (*job.SecretsDir, error) {
	if len(c.Files) == 0 {
		return nil, nil
	}
	dir, err := job.NewSecretsDir(o.dir)
	if err != nil {
		return nil, withHint(err, "set XDG_RUNTIME_DIR to a directory on a tmpfs")
	}
	for _, s := range dir.Stale {
		fmt.Fprintf(g.stderr, "ward: removed %s, left by a ward run that was killed\n", s)
	}
	if err := dir.Write(res.Files); err != nil {
		dir.Remove()
		return nil, err
	}
	return dir, nil
}

// reportIssues prints the problems ward check would, to stderr (stdout is
// the child's), and refuses to go on when a required secret failed.
func reportIssues(g *globals, o *runOpts, c *manifest.Component, res *manifest.Resolution, warnings []string) error {
	if len(res.Issues) == 0 && len(warnings) == 0 {
		return nil
	}
	rep := newCheckReport(o.env, c, res)
	for _, w := range warnings {
		rep.Problems = append(rep.Problems, checkProblem{Severity: "warning", Problem: w})
	}
	if o.format == formatJSON {
		if err := printJSON(g.stderr, rep); err != nil {
			return err
		}
	}
	switch {
	case o.format == formatJSON && rep.OK:
		return nil
	case o.format == formatJSON:
		return &exitError{Code: exitFailure}
	case rep.OK:
		for _, p := range rep.Problems {
			fmt.Fprintf(g.stderr, "ward: warning: %s/%s: %s — hint: %s\n", o.env, p.Secret, p.Problem, p.Hint)
		}
		return nil
	}
	printCheckText(g.stderr, rep, res.Issues)
	return &exitError{Code: exitFailure, Msg: o.args[0] + " not started: a required secret failed (see above)"}
}

// runMatcher compiles the masker for the job's values, telling warn what
// it cannot mask; nil when there is nothing to mask.
func runMatcher(o *runOpts, secrets []mask.Secret, warn func(string)) (*mask.Matcher, error) {
	if len(secrets) == 0 {
		return nil, nil
	}
	mopt := mask.Options{
		Warn:    warn,
		Workers: max(1, runtime.GOMAXPROCS(0)/2), // two streams share the cores with the child
	}
	if o.replacement != "" {
		mopt.Replacement = mask.Fixed(o.replacement)
	}
	m, _, err := mask.NewMatcher(secrets, mopt)
	return m, err
}

// maskWarning prints what the masker cannot mask as a warning on stderr.
func maskWarning(g *globals) func(string) {
	return func(msg string) { fmt.Fprintf(g.stderr, "ward: warning: %s\n", msg) }
}

// hintless and hintOf split a hintError so that a message can be put in
// front of the error while keeping the hint.
func hintless(err error) error {
	var he *hintError
	if errors.As(err, &he) {
		return he.err
	}
	return err
}

func hintOf(err error) string {
	var he *hintError
	if errors.As(err, &he) {
		return he.hint
	}
	return "check WARD_ADDR and that the server is up"
}
