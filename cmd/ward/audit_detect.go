package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/spf13/cobra"

	"github.com/wardhq/ward/internal/detect"
	"github.com/wardhq/ward/internal/plan"
)

// auditDetectOptions are the inputs of ward audit detect.
type auditDetectOptions struct {
	log    string // the audit log file; "-" for stdin
	dir    string // the policy-as-code directory holding alerts.yaml; "" for the defaults
	state  string // a snapshot of the detectors' baselines to start from and save to
	format string
	stdin  io.Reader
	stdout io.Writer
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

Lines that are not audit entries are counted and reported, not fatal.`,
		Example: `  ward audit detect --log /var/lib/ward/audit.log --dir ward
  ward audit detect --log audit.log.1 --state detect.json && ward audit detect --log audit.log --state detect.json
  ward audit detect --log audit.log --format json | jq '.alerts[].summary'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.log == "" {
				o.log = os.Getenv("WARD_AUDIT_LOG")
			}
			return runAuditDetect(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.log, "log", "", "the audit log file, - for stdin (default: $WARD_AUDIT_LOG)")
	cmd.Flags().StringVar(&o.dir, "dir", "", "policy-as-code directory whose alerts.yaml sets the thresholds (default: ward's defaults)")
	cmd.Flags().StringVar(&o.state, "state", "", "file of the detectors' baselines, read first if it exists and written after")
	formatFlag(cmd, &o.format)
	return cmd
}

func runAuditDetect(ctx context.Context, o auditDetectOptions) error {
	if err := checkFormat(o.format); err != nil {
		return err
	}
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
	svc := detect.NewService(detect.ServiceConfig{Config: cfg, Store: detect.NewStore(1<<20, nil)})
	if o.state != "" {
		if err := svc.Engine().LoadFile(o.state); err != nil {
			return withHint(err, "move the file aside to start learning afresh")
		}
	}
	r, closeLog, err := openAuditLog(o.log, o.stdin)
	if err != nil {
		return err
	}
	defer closeLog()
	if err := svc.Replay(ctx, r); err != nil {
		return fmt.Errorf("reading audit log %s: %w", o.log, err)
	}
	if o.state != "" {
		if err := svc.Engine().SaveFile(o.state); err != nil {
			return fmt.Errorf("saving the detectors' state: %w", err)
		}
	}
	alerts := svc.Alerts(detect.Filter{})
	slices.Reverse(alerts) // oldest first
	st := svc.Stats()
	if o.format == "json" {
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
