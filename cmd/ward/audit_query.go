package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// auditQueryOptions are the inputs of ward audit query.
type auditQueryOptions struct {
	log    string // the audit log file; "-" for stdin
	path   string // ENV/PATH, or PATH with env
	env    string
	since  string // a duration back from now, or an RFC 3339 time or date
	alerts bool   // the detectors' view: alert entries (audit_query_alerts.go)
	format format
	now    func() time.Time
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

func newAuditQueryCmd(g *globals) *cobra.Command {
	o := auditQueryOptions{stdin: g.stdin, stdout: g.stdout, stderr: g.stderr, now: g.now}
	cmd := &cobra.Command{
		Use:   "query --log FILE --path [ENV/]PATH [--env ENV] [--since 24h]",
		Short: "Show who touched a secret: which token, and which CI pipeline run",
		Long: `ward audit query reads the vault's audit log and lists every answered request
on one secret (read, write, delete, metadata ...), oldest first, with the
identity that made it and, for tokens born of a CI login, the pipeline:
platform, repository, ref, workflow, run id and CI environment.

The path is the secret's path in its environment, as ward kv takes it:
prod/payments/db, or payments/db with --env prod. A path ending in / lists
everything below it. Reads made in a batch (ward run, ward check) are
logged secret by secret and are found too. Paths are plain in the log;
values are HMACs, so this needs no key.

With --alerts it shows the detectors' view instead: the alerts the server
wrote to the log (each names its detector, rule, identity and paths), on
--path if one is given.`,
		Example: `  ward audit query --log /var/lib/ward/audit.log --path prod/payments/db
  ward audit query --log audit.log --env prod --path payments/ --since 24h --format json
  ward audit query --log audit.log --alerts --since 7d      # every alert the detectors wrote`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.log == "" {
				o.log = g.getenv("WARD_AUDIT_LOG")
			}
			return runAuditQuery(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.log, "log", "", "the audit log file, - for stdin (default: $WARD_AUDIT_LOG)")
	cmd.Flags().StringVar(&o.path, "path", "", "the secret: ENV/PATH, or PATH with --env")
	cmd.Flags().StringVar(&o.env, "env", "", "the environment of --path")
	cmd.Flags().StringVar(&o.since, "since", "", "only entries after this: a duration back from now (24h) or a time (2026-11-25, RFC 3339)")
	cmd.Flags().BoolVar(&o.alerts, "alerts", false, "the detectors' view: the alerts in the log (on --path, if given)")
	formatFlag(cmd, &o.format)
	return cmd
}

// auditHit is one answered request on the path, the JSON output.
type auditHit struct {
	Time        string            `json:"time"`
	RequestID   string            `json:"request_id"`
	Environment string            `json:"environment"`
	Path        string            `json:"path"`
	Operation   string            `json:"operation"`
	Status      int               `json:"status"`
	Error       string            `json:"error,omitempty"`
	Identity    string            `json:"identity"`
	Policies    []string          `json:"policies,omitempty"`
	Meta        map[string]string `json:"meta,omitempty"`
}

// kvKinds are the KV v2 segments between an environment and a secret path.
var kvKinds = []string{"data", "metadata", "delete", "undelete", "destroy"}

func runAuditQuery(ctx context.Context, o auditQueryOptions) error {
	if o.log == "" {
		return withHint(usagef("missing --log"), "give the vault's audit log (ward server --audit-log, default DATA/audit.log), or set WARD_AUDIT_LOG")
	}
	if o.alerts {
		return runAuditQueryAlerts(ctx, o)
	}
	env, secret, err := queryPath(o.env, o.path)
	if err != nil {
		return err
	}
	var since time.Time
	if o.since != "" {
		if since, err = parseSince(o.since, o.now()); err != nil {
			return err
		}
	}
	r, closeLog, err := openAuditLog(o.log, o.stdin)
	if err != nil {
		return err
	}
	defer closeLog()
	sc := bufio.NewScanner(ctxReader{ctx, r})
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	hits := []auditHit{}
	for line := 1; sc.Scan(); line++ {
		var e struct {
			auditHit
			Type string `json:"type"`
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return withHint(fmt.Errorf("%s:%d: not an audit entry (not JSON)", o.log, line), "check the file with 'ward audit verify'")
		}
		if e.Type != "response" || !matchesSecret(e.Path, env, secret) {
			continue
		}
		if !since.IsZero() {
			t, err := time.Parse(time.RFC3339Nano, e.Time)
			if err != nil || t.Before(since) {
				continue
			}
		}
		hits = append(hits, e.auditHit)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading audit log %s: %w", o.log, err)
	}
	if o.format == formatJSON {
		return printJSON(o.stdout, hits)
	}
	if len(hits) == 0 {
		fmt.Fprintf(o.stdout, "no request on %s/%s in %s\n", env, strings.TrimSuffix(secret, "/"), o.log)
		return nil
	}
	rows := [][]string{{"TIME", "OPERATION", "STATUS", "IDENTITY", "PIPELINE"}}
	for _, h := range hits {
		rows = append(rows, []string{h.Time, h.Operation + " " + h.Path, strconv.Itoa(h.Status), h.Identity, pipeline(h.Meta)})
	}
	return table(o.stdout, rows)
}

// queryPath splits --path (and --env) into an environment and a secret path.
func queryPath(env, p string) (string, string, error) {
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return "", "", withHint(usagef("missing --path"), "name the secret, e.g. --path prod/payments/db")
	}
	if env == "" {
		var ok bool
		if env, p, ok = strings.Cut(p, "/"); !ok || p == "" {
			return "", "", withHint(usagef("--path %q names no secret", env), "give ENV/PATH, e.g. prod/payments/db, or PATH with --env")
		}
	}
	if strings.Contains(p, "//") || strings.Contains("/"+p+"/", "/../") {
		return "", "", usagef("--path %q is not a clean path", p)
	}
	return env, p, nil
}

// matchesSecret reports whether an audited API path reaches the secret (or,
// for a path ending in /, anything below it) in env.
func matchesSecret(apiPath, env, secret string) bool {
	rest, ok := strings.CutPrefix(apiPath, env+"/")
	if !ok {
		return false
	}
	for _, k := range kvKinds {
		if sp, ok := strings.CutPrefix(rest, k+"/"); ok {
			if strings.HasSuffix(secret, "/") {
				return strings.HasPrefix(sp, secret)
			}
			return sp == secret
		}
	}
	return false
}

func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, withHint(usagef("--since %q is neither a duration nor a time", s), "e.g. --since 24h, --since 2026-11-25 or --since 2026-11-25T10:00:00Z")
}

// pipeline describes the CI run of a token born of a CI login; "-" for
// other tokens.
func pipeline(m map[string]string) string {
	if m["ci_platform"] == "" && m["role"] == "" {
		return "-"
	}
	var parts []string
	add := func(label, key string) {
		if v := m[key]; v != "" {
			parts = append(parts, label+v)
		}
	}
	add("", "ci_platform")
	add("", "ci_repository")
	add("ref=", "ci_ref")
	add("workflow=", "ci_workflow")
	add("run=", "ci_run_id")
	add("job=", "ci_job_id")
	add("ci-env=", "ci_environment")
	add("role=", "role")
	return strings.Join(parts, " ")
}

// openAuditLog opens the audit log file, or stdin for "-".
func openAuditLog(file string, stdin io.Reader) (io.Reader, func(), error) {
	if file == "-" {
		return stdin, func() {}, nil
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, nil, withHint(fmt.Errorf("reading audit log: %w", err), "give the path of the vault's audit log (ward server --audit-log, default DATA/audit.log)")
	}
	return f, func() { f.Close() }, nil
}
