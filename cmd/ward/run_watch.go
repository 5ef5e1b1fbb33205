package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wardhq/ward/client"
	"github.com/wardhq/ward/internal/job"
	"github.com/wardhq/ward/internal/manifest"
	"github.com/wardhq/ward/internal/mask"
)

// ward run --watch keeps CMD running while the secrets it received change:
// a watcher polls each secret's metadata (current_version; 404 and 410 mean
// revoked) and each database user's lease, and a change goes through
// runWatch.apply: the masker learns the new values first, then the files
// are replaced and CMD is signalled, or CMD is restarted, as the
// component's reload says (manifest.Reload).

// runWatchOpts are ward run's --watch flags.
type runWatchOpts struct {
	on       bool
	interval time.Duration
	// after, when set, is the watcher's clock (tests); nil: time.After.
	after func(time.Duration) <-chan time.Time
	// stopGrace is how long CMD has after SIGTERM; 0: the default.
	stopGrace time.Duration
}

// check refuses a --watch-interval below the minimum.
func (w *runWatchOpts) check() error {
	if w.on && w.interval < job.MinWatchInterval {
		return withHint(usagef("--watch-interval %s is below the minimum of %s", w.interval, job.MinWatchInterval), "ward run --watch --watch-interval 30s -- ./server")
	}
	return nil
}

// runWatch is the state of one watched job: what CMD holds now.
type runWatch struct {
	g       *globals
	o       *runOpts
	c       *manifest.Component
	cl      *client.Client
	fetched map[string]manifest.Fetched // every secret as last applied
	res     *manifest.Resolution        // the values CMD holds
	public  job.PublicFields
	secrets []mask.Secret // every value CMD ever received: all stay masked
	known   map[string]bool
	dir     *job.SecretsDir // nil when the component has no files
	leases  map[string]string
	ctl     chan job.Control
	signal  syscall.Signal
	stopped string // why ward stopped CMD, "" when it did not
}

// signals maps reload.signal's names to signals.
var signals = map[string]syscall.Signal{
	"SIGHUP": syscall.SIGHUP, "SIGUSR1": syscall.SIGUSR1, "SIGUSR2": syscall.SIGUSR2, "SIGWINCH": syscall.SIGWINCH,
	"SIGINT": syscall.SIGINT, "SIGTERM": syscall.SIGTERM, "SIGQUIT": syscall.SIGQUIT,
}

// envReaders returns, for each secret that fills an env var, the env vars
// it fills; database users are left out: they are never rewritten, only
// revoked.
func envReaders(c *manifest.Component) map[string][]string {
	out := map[string][]string{}
	for _, e := range c.Env {
		if !isDynamic(e.From) {
			out[e.From] = append(out[e.From], e.Name)
		}
	}
	return out
}

// refuseEnv fails when the component's reload.env is refuse and a watched
// secret fills an env var; otherwise it says which changes will restart
// CMD.
func refuseEnv(g *globals, o *runOpts, c *manifest.Component) error {
	readers := envReaders(c)
	paths := make([]string, 0, len(readers))
	for p := range readers {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	if len(paths) == 0 {
		return nil
	}
	var list []string
	for _, p := range paths {
		list = append(list, p+" (env "+strings.Join(readers[p], ", ")+")")
	}
	if c.Reload.RefusesEnv() {
		return withHint(fmt.Errorf("--watch: component %s reads %s through env vars, which cannot change in a running process, and its reload.env is refuse; %s not started", c.Name, strings.Join(list, "; "), o.args[0]),
			"deliver them as files (files: in ward.yaml, read from $WARD_SECRETS_DIR), or set reload: {env: restart}")
	}
	fmt.Fprintf(g.stderr, "ward: note: env vars cannot change in a running process: a new version of %s restarts %s\n", strings.Join(list, "; "), o.args[0])
	return nil
}

// newRunWatch prepares the watch of a job whose child is about to start.
func newRunWatch(g *globals, o *runOpts, c *manifest.Component, jc *jobCreds, fetched map[string]manifest.Fetched, res *manifest.Resolution, public job.PublicFields, secrets []mask.Secret, dir *job.SecretsDir) *runWatch {
	w := &runWatch{g: g, o: o, c: c, cl: jc.cl, fetched: fetched, res: res, public: public, dir: dir,
		ctl: make(chan job.Control), signal: signals[c.Reload.SignalName()], leases: map[string]string{}, known: map[string]bool{}}
	w.remember(secrets)
	for _, l := range jc.leases {
		w.leases[l.path] = l.id
	}
	return w
}

// remember adds values to the masker's list, each once.
func (w *runWatch) remember(secrets []mask.Secret) {
	for _, s := range secrets {
		k := s.Name + "\x00" + string(s.Value)
		if !w.known[k] {
			w.known[k] = true
			w.secrets = append(w.secrets, s)
		}
	}
}

// versions are the versions CMD holds, by path: each secret fetched, and 0
// for each database user.
func (w *runWatch) versions() map[string]int {
	out := map[string]int{}
	for p, f := range w.fetched {
		if f.Status == manifest.StatusOK {
			out[p] = f.Version
		}
	}
	return out
}

// run watches until ctx is done.
func (w *runWatch) run(ctx context.Context) {
	wt := &job.Watcher{Poll: w.poll, Interval: w.o.watch.interval, After: w.o.watch.after,
		Warn: func(path string, err error) {
			fmt.Fprintf(w.g.stderr, "ward: warning: --watch: checking %s failed (tried again in %s): %v\n", path, w.o.watch.interval, hintless(w.g.apiError(err)))
		}}
	wt.Run(ctx, w.versions(), w.apply)
}

// poll returns the current version of the secret at path; a database
// user's is 0 while its lease lives.
func (w *runWatch) poll(ctx context.Context, path string) (int, error) {
	if id, ok := w.leases[path]; ok {
		l, err := w.cl.LookupLease(ctx, id)
		if err != nil && isGone(err, http.StatusBadRequest) {
			return 0, fmt.Errorf("%w: its lease is revoked or expired (%s)", job.ErrRevoked, statusOf(err))
		}
		if err == nil && l.Failure != nil {
			return 0, fmt.Errorf("%w: its lease is being revoked", job.ErrRevoked)
		}
		return 0, err
	}
	md, err := w.cl.KV(w.o.env).Metadata(ctx, path)
	if err != nil {
		if isGone(err) {
			return 0, fmt.Errorf("%w: %s", job.ErrRevoked, statusOf(err))
		}
		return 0, err
	}
	if v, ok := md.Versions[strconv.Itoa(md.CurrentVersion)]; ok && (v.Destroyed || v.DeletionTime != "") {
		return 0, fmt.Errorf("%w: its current version %d is deleted or destroyed", job.ErrRevoked, md.CurrentVersion)
	}
	return md.CurrentVersion, nil
}

// isGone reports an answer that means the secret is gone for good: 404,
// 410 (retired), and any of also.
func isGone(err error, also ...int) bool {
	var re *client.ResponseError
	if !errors.As(err, &re) {
		return false
	}
	return re.StatusCode == http.StatusNotFound || re.StatusCode == http.StatusGone || slices.Contains(also, re.StatusCode)
}

func statusOf(err error) string {
	var re *client.ResponseError
	if errors.As(err, &re) {
		msg := strings.Join(re.Errors, "; ")
		if msg == "" {
			msg = strings.ToLower(http.StatusText(re.StatusCode))
		}
		return fmt.Sprintf("%d %s", re.StatusCode, msg)
	}
	return err.Error()
}

// apply handles what the watcher noticed: revocations first, then new
// versions.
func (w *runWatch) apply(ctx context.Context, changes []job.Change) {
	var revoked []job.Change
	var updated []string
	versions := map[string]int{}
	for _, ch := range changes {
		if ch.Revoked {
			revoked = append(revoked, ch)
		} else {
			updated = append(updated, ch.Path)
			versions[ch.Path] = ch.Version
		}
	}
	if len(revoked) > 0 && !w.revoke(ctx, revoked) {
		return // CMD is stopped
	}
	if len(updated) > 0 {
		w.update(ctx, updated, versions)
	}
}

// send hands a request to the supervisor and waits for it to be done.
func (w *runWatch) send(ctx context.Context, ctl job.Control) error {
	done := make(chan error, 1)
	ctl.Done = done
	select {
	case w.ctl <- ctl:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *runWatch) warn(format string, args ...any) {
	fmt.Fprintf(w.g.stderr, "ward: "+format+"\n", args...)
}

// update fetches the new versions of paths and gives them to CMD.
func (w *runWatch) update(ctx context.Context, paths []string, versions map[string]int) {
	types := w.c.SecretTypes()
	got, _, err := fetchSecrets(ctx, w.cl, w.o.env, paths, types)
	if err != nil {
		w.warn("warning: --watch: fetching the new version of %s failed; %s keeps the one it has: %v", strings.Join(paths, ", "), w.o.args[0], hintless(w.g.apiError(err)))
		return
	}
	merged := make(map[string]manifest.Fetched, len(w.fetched))
	for p, f := range w.fetched {
		merged[p] = f
	}
	var gone []job.Change
	var fresh []string
	for _, p := range paths {
		f := got[p]
		switch f.Status {
		case manifest.StatusOK:
			merged[p] = f
			fresh = append(fresh, p)
		case manifest.StatusNotFound, manifest.StatusDeleted:
			gone = append(gone, job.Change{Path: p, Revoked: true, Err: fmt.Errorf("%w: %s", job.ErrRevoked, f.Status)})
		default:
			w.warn("warning: --watch: reading version %d of %s failed (%s); %s keeps the one it has", versions[p], p, f.Status, w.o.args[0])
		}
	}
	if len(gone) > 0 && !w.revoke(ctx, gone) {
		return
	}
	if len(fresh) == 0 {
		return
	}
	res := w.c.Resolve(merged, w.g.now())
	if bad := requiredIssues(res, fresh); len(bad) > 0 {
		for _, is := range bad {
			w.warn("warning: --watch: the new version of %s is refused: %s; %s keeps the one it has\nhint: %s", is.Secret, is.Problem(), w.o.args[0], checkHint(w.o.env, is))
		}
		res.Wipe()
		return
	}
	if err := w.give(ctx, res, merged, fresh, versions); err != nil {
		res.Wipe()
		if !errors.Is(err, context.Canceled) {
			w.warn("warning: --watch: %v", err)
		}
		return
	}
	w.res.Wipe()
	for _, p := range fresh {
		clear(w.fetched[p].Data) // merged holds the new version
	}
	w.res, w.fetched = res, merged
}

// requiredIssues are the issues of res, about paths, that a required
// consumer has.
func requiredIssues(res *manifest.Resolution, paths []string) []manifest.Issue {
	var out []manifest.Issue
	for _, is := range res.Issues {
		if !is.Optional && slices.Contains(paths, is.Secret) {
			out = append(out, is)
		}
	}
	return out
}

// give makes CMD hold res: the masker learns the new values, then the files
// are replaced and CMD signalled, or CMD restarts.
func (w *runWatch) give(ctx context.Context, res *manifest.Resolution, merged map[string]manifest.Fetched, paths []string, versions map[string]int) error {
	secrets, err := job.MaskSecrets(w.o.env, merged, res, w.public)
	if err != nil {
		return err
	}
	w.remember(secrets)
	m, err := runMatcher(w.o, w.secrets, maskWarning(w.g))
	if err != nil {
		return err
	}
	if err := w.send(ctx, job.Control{Mask: m}); err != nil {
		return err
	}
	envs, files := changedEnv(w.res.Env, res.Env), changedFiles(w.res.Files, res.Files)
	var what []string
	for _, p := range paths {
		what = append(what, fmt.Sprintf("%s version %d", p, versions[p]))
	}
	head := fmt.Sprintf("--watch: %s is current", strings.Join(what, ", "))
	if len(files) > 0 {
		if err := w.dir.Replace(files); err != nil {
			return err
		}
		head += "; replaced " + strings.Join(filePaths(files), ", ")
	}
	cmd := w.o.args[0]
	switch {
	case len(envs) > 0:
		w.warn("%s; env %s cannot change in a running process: restarting %s", head, strings.Join(envs, ", "), cmd)
		return w.send(ctx, job.Control{Restart: true, Env: job.ChildEnv(w.g.environ(), res, w.dirPath())})
	case len(files) > 0 && w.c.Reload.Restarts():
		w.warn("%s; restarting %s (reload: restart)", head, cmd)
		return w.send(ctx, job.Control{Restart: true})
	case len(files) > 0:
		w.warn("%s; sent %s to %s", head, w.c.Reload.SignalName(), cmd)
		return w.send(ctx, job.Control{Signal: w.signal})
	}
	w.warn("%s; nothing %s receives changed", head, cmd)
	return nil
}

func (w *runWatch) dirPath() string {
	if w.dir == nil {
		return ""
	}
	return w.dir.Path
}

// changedEnv returns the names of env vars whose value differs.
func changedEnv(old, new []manifest.EnvValue) []string {
	was := map[string][]byte{}
	for _, e := range old {
		was[e.Name] = e.Value
	}
	var out []string
	for _, e := range new {
		if v, ok := was[e.Name]; !ok || !bytes.Equal(v, e.Value) {
			out = append(out, e.Name)
		}
	}
	return out
}

// changedFiles returns the files whose content differs.
func changedFiles(old, new []manifest.FileValue) []manifest.FileValue {
	was := map[string][]byte{}
	for _, f := range old {
		was[f.Path] = f.Value
	}
	var out []manifest.FileValue
	for _, f := range new {
		if v, ok := was[f.Path]; !ok || !bytes.Equal(v, f.Value) {
			out = append(out, f)
		}
	}
	return out
}

func filePaths(files []manifest.FileValue) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.Path
	}
	return out
}

// revoke handles revoked secrets as reload.revoked says, and reports
// whether CMD still runs.
func (w *runWatch) revoke(ctx context.Context, revoked []job.Change) bool {
	var paths, why, inEnv, files []string
	for _, ch := range revoked {
		paths = append(paths, ch.Path)
		why = append(why, fmt.Sprintf("%s: %v", ch.Path, ch.Err))
		for _, e := range w.c.Env {
			if e.From == ch.Path {
				inEnv = append(inEnv, e.Name)
			}
		}
		for _, f := range w.c.Files {
			if f.From == ch.Path {
				files = append(files, f.Path)
			}
		}
	}
	cmd := w.o.args[0]
	w.warn("--watch: revoked: %s", strings.Join(why, "; "))
	if w.c.Reload.StopsOnRevoke() || len(inEnv) > 0 {
		reason := strings.Join(paths, ", ") + " was revoked"
		if !w.c.Reload.StopsOnRevoke() {
			reason += "; env " + strings.Join(inEnv, ", ") + " cannot be withdrawn from a running process"
		}
		w.warn("--watch: stopping %s: %s", cmd, reason)
		w.stopped = reason
		w.send(ctx, job.Control{Stop: true})
		return false
	}
	for _, p := range paths {
		f := w.fetched[p]
		clear(f.Data)
		w.fetched[p] = manifest.Fetched{Status: manifest.StatusNotFound}
		delete(w.leases, p)
	}
	if w.dir != nil && len(files) > 0 {
		if err := w.dir.RemoveFiles(files); err != nil {
			w.warn("warning: --watch: %v", err)
		}
	}
	w.warn("--watch: removed %s; sent %s to %s (reload.revoked: signal)", strings.Join(files, ", "), w.c.Reload.SignalName(), cmd)
	w.send(ctx, job.Control{Signal: w.signal})
	return true
}

// start watches in the background, and renews the job's token when it is
// renewable, until the returned function is called (when CMD has ended).
// A nil watch does nothing.
func (w *runWatch) start(ctx context.Context, g *globals) (stop func()) {
	if w == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{}, 2)
	go func() {
		defer func() { done <- struct{}{} }()
		w.run(ctx)
	}()
	go func() {
		defer func() { done <- struct{}{} }()
		if err := w.cl.KeepTokenAlive(ctx); err != nil && ctx.Err() == nil {
			fmt.Fprintf(g.stderr, "ward: warning: --watch: renewing ward's token failed; the watch ends with it: %v\n", hintless(g.apiError(err)))
		}
	}()
	return func() { cancel(); <-done; <-done }
}
