package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardhq/ward/internal/detect"
	"github.com/wardhq/ward/internal/plan"
)

// auditDetectOptions are the inputs of ward audit detect.
type auditDetectOptions struct {
	log     string // the audit log file; "-" for stdin
	dir     string // the policy-as-code directory holding alerts.yaml; "" for the defaults
	state   string // a snapshot of the detectors' baselines to start from and save to
	follow  bool   // go on as the log grows
	webhook string // URL alerts are POSTed to; the secret comes from the environment
	secret  string // $WARD_ALERT_WEBHOOK_SECRET
	format  format
	stdin   io.Reader
	stdout  io.Writer
	// tick paces -f (nil: every 250ms); tests drive it.
	tick func() <-chan time.Time
}

func newAuditDetectCmd(g *globals) *cobra.Command {
	o := auditDetectOptions{stdin: g.stdin, stdout: g.stdout}
	cmd := &cobra.Command{
		Use:   "detect --log FILE [--dir ward] [--state FILE]",
		Short: "Run the access detectors over an audit log and list their alerts",
		Long: `ward audit detect replays an audit log through the detectors that watch
access to secrets (first read of a path, a CI role from a new repository,
ref or workflow, a token trying another environment, bursts of denials,
enumeration, read volume, unusual hours, one token from two addresses,
break-glass and retired secrets) and lists the alerts they raise, oldest
first. Each alert names identities, paths and the rule that fired, never
a value.

Thresholds come from alerts.yaml in the policy-as-code directory given
with --dir (ward's defaults without it). The detectors learn each
identity's habits first (learn_for, 7 days by default) and stay quiet
about it meanwhile. --state keeps what they learned in a file: it is
read first if it exists and written back after, so the next log (after
a rotation) is judged against the same baselines; give each log once.

With -f it goes on as the vault writes the log, printing each alert as it
is raised, until interrupted (then --state is saved). --webhook POSTs each
alert as JSON to a URL, signed with X-Ward-Signature: sha256=HMAC(secret,
X-Ward-Timestamp + "." + body) under the secret in
$WARD_ALERT_WEBHOOK_SECRET (never a flag: argv is visible to every user of
the machine); deliveries are retried with backoff and never hold up the
detectors.

Lines that are not audit entries are counted and reported, not fatal.`,
		Example: `  ward audit detect --log /var/lib/ward/audit.log --dir ward
  ward audit detect --log audit.log.1 --state detect.json && ward audit detect --log audit.log --state detect.json
  ward audit detect --log audit.log --format json | jq '.alerts[].summary'
  WARD_ALERT_WEBHOOK_SECRET=... ward audit detect -f --log /var/lib/ward/audit.log --dir ward --webhook https://hooks.example.com/ward`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.log == "" {
				o.log = g.getenv("WARD_AUDIT_LOG")
			}
			o.secret = g.getenv("WARD_ALERT_WEBHOOK_SECRET")
			return runAuditDetect(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.log, "log", "", "the audit log file, - for stdin (default: $WARD_AUDIT_LOG)")
	cmd.Flags().StringVar(&o.dir, "dir", "", "policy-as-code directory whose alerts.yaml sets the thresholds (default: ward's defaults)")
	cmd.Flags().StringVar(&o.state, "state", "", "file of the detectors' baselines, read first if it exists and written after")
	cmd.Flags().BoolVarP(&o.follow, "follow", "f", false, "go on as the log grows, printing alerts as they are raised, until interrupted")
	cmd.Flags().StringVar(&o.webhook, "webhook", "", "POST each alert to this URL, signed with $WARD_ALERT_WEBHOOK_SECRET")
	formatFlag(cmd, &o.format)
	return cmd
}

func runAuditDetect(ctx context.Context, o auditDetectOptions) error {
	if o.log == "" {
		return withHint(usagef("missing --log"), "give the vault's audit log (ward server --audit-log, default DATA/audit.log), or set WARD_AUDIT_LOG")
	}
	cfg := detect.DefaultConfig()
	if o.dir != "" {
		var err error
		if cfg, err = plan.LoadAlerts(o.dir); err != nil {
			return withHint(err, "fix "+plan.AlertsFile+" and run again; 'ward plan' shows the same problems")
		}
	}
	scfg := detect.ServiceConfig{Config: cfg, Store: detect.NewStore(1<<20, nil)}
	if o.webhook != "" {
		if o.secret == "" {
			return withHint(usagef("--webhook needs a secret to sign with"), "set WARD_ALERT_WEBHOOK_SECRET; the receiver checks X-Ward-Signature with it")
		}
		hook, err := detect.NewWebhook(detect.WebhookConfig{URL: o.webhook, Secret: []byte(o.secret)})
		if err != nil {
			return withHint(err, "give the full URL of the receiver, like https://hooks.example.com/ward")
		}
		defer hook.Close()
		scfg.Webhook = hook
	}
	if o.follow {
		if o.log == "-" {
			return usagef("-f follows a file; give --log FILE")
		}
		scfg.OnAlert = func(a detect.Alert) { printAlertLine(o.stdout, o.format, &a) }
	}
	svc := detect.NewService(scfg)
	if o.state != "" {
		if err := svc.Engine().LoadFile(o.state); err != nil {
			return withHint(err, "move the file aside to start learning afresh")
		}
	}
	if o.follow {
		err := svc.Follow(ctx, o.log, o.tick)
		if err != nil {
			return withHint(fmt.Errorf("reading audit log: %w", err), "give the path of the vault's audit log (ward server --audit-log, default DATA/audit.log)")
		}
		return saveState(svc, o.state)
	}
	r, closeLog, err := openAuditLog(o.log, o.stdin)
	if err != nil {
		return err
	}
	defer closeLog()
	if err := svc.Replay(ctx, r); err != nil {
		return fmt.Errorf("reading audit log %s: %w", o.log, err)
	}
	if err := saveState(svc, o.state); err != nil {
		return err
	}
	alerts := svc.Alerts(detect.Filter{})
	slices.Reverse(alerts) // oldest first
	st := svc.Stats()
	if o.format == formatJSON {
		return printJSON(o.stdout, struct {
			Alerts []detect.Alert      `json:"alerts"`
			Stats  detect.ServiceStats `json:"stats"`
		}{alerts, st})
	}
	if len(alerts) > 0 {
		rows := [][]string{{"TIME", "DETECTOR", "IDENTITY", "SUMMARY"}}
		for _, a := range alerts {
			rows = append(rows, []string{a.Time.UTC().Format("2006-01-02T15:04:05Z"), a.Detector, a.Identity, a.Summary})
		}
		if err := table(o.stdout, rows); err != nil {
			return err
		}
	}
	e := st.Engine
	fmt.Fprintf(o.stdout, "%d alerts (%d duplicates and %d over the rate limit left out) from %d lines: %d responses read", len(alerts), st.Duplicates, st.RateLimited, e.Lines, e.Events)
	if e.Unparsable > 0 {
		fmt.Fprintf(o.stdout, ", %d lines not audit entries (the last is line %d)", e.Unparsable, e.LastUnparsable)
	}
	fmt.Fprintln(o.stdout)
	return nil
}

// printAlertLine prints one alert as -f raises it: a line of text, or a
// JSON object on one line.
func printAlertLine(w io.Writer, f format, a *detect.Alert) {
	if f == formatJSON {
		if b, err := json.Marshal(a); err == nil {
			fmt.Fprintf(w, "%s\n", b)
		}
		return
	}
	fmt.Fprintf(w, "%s  %s  %s  %s\n", a.Time.UTC().Format("2006-01-02T15:04:05Z"), a.Detector, a.Identity, a.Summary)
}

// saveState writes the detectors' baselines to file, if one was given.
func saveState(svc *detect.Service, file string) error {
	if file == "" {
		return nil
	}
	if err := svc.Engine().SaveFile(file); err != nil {
		return fmt.Errorf("saving the detectors' state: %w", err)
	}
	return nil
}
