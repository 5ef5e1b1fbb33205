package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"github.com/wardhq/ward/client"
)

func newAlertsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "alerts",
		Short: "List and acknowledge the alerts of the server's detectors",
		Long: `The server watches its own audit log for unusual access: a first read of a
path by an identity, a CI role from a new repository, ref or workflow, a
token trying another environment, bursts of denials, enumeration, read
volume far above an identity's baseline, unusual hours, one token from two
addresses, reads of retired or break-glass secrets. Each alert names
identities, paths and rules, never values. Thresholds are the ward/
directory's alerts.yaml ('ward plan', 'ward apply').

Listing needs list on sys/ward/alerts/; acknowledging, update on
sys/ward/alerts/ID/ack.`,
		Example: `  ward alerts list --unacked
  ward alerts ack alert-181618ee27c4c5f30001`,
	}
	cmd.AddCommand(newAlertsListCmd(g), newAlertsAckCmd(g))
	return cmd
}

// alertsListOpts are the inputs of ward alerts list.
type alertsListOpts struct {
	unacked  bool
	detector string
	since    string
	limit    int
	format   format
}

func newAlertsListCmd(g *globals) *cobra.Command {
	o := &alertsListOpts{}
	cmd := &cobra.Command{
		Use:   "list [--unacked] [--detector NAME] [--since 24h] [--limit N]",
		Short: "List alerts, newest first",
		Example: `  ward alerts list
  ward alerts list --unacked --detector sensitive_path --since 24h
  ward alerts list --format json | jq -r '.[].id'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runAlertsList(cmd.Context(), g, o) },
	}
	cmd.Flags().BoolVar(&o.unacked, "unacked", false, "only alerts nobody acknowledged")
	cmd.Flags().StringVar(&o.detector, "detector", "", "only this detector's alerts (first_read, sensitive_path, ...)")
	cmd.Flags().StringVar(&o.since, "since", "", "only alerts after this: a duration back from now (24h) or a time")
	cmd.Flags().IntVar(&o.limit, "limit", 0, "at most this many (0: all the server holds)")
	formatFlag(cmd, &o.format)
	return cmd
}

func runAlertsList(ctx context.Context, g *globals, o *alertsListOpts) error {
	f := client.AlertFilter{Unacked: o.unacked, Detector: o.detector, Limit: o.limit}
	if o.limit < 0 {
		return usagef("--limit must be 0 or more, not %d", o.limit)
	}
	if o.since != "" {
		t, err := parseSince(o.since, g.now())
		if err != nil {
			return err
		}
		f.Since = t
	}
	c, err := g.client()
	if err != nil {
		return err
	}
	alerts, err := c.Alerts(ctx, f)
	if err != nil {
		return g.apiError(err)
	}
	if alerts == nil {
		alerts = []client.Alert{}
	}
	rows := [][]string{{"ID", "TIME", "DETECTOR", "IDENTITY", "ACKED", "SUMMARY"}}
	for _, a := range alerts {
		acked := "-"
		if a.AckedBy != "" {
			acked = a.AckedBy
		}
		rows = append(rows, []string{a.ID, a.Time.UTC().Format(time.RFC3339), a.Detector, a.Identity, acked, a.Summary})
	}
	if len(alerts) == 0 {
		return g.show(o.format, alerts, lineText("no alerts"))
	}
	return g.show(o.format, alerts, tableText(rows))
}

func newAlertsAckCmd(g *globals) *cobra.Command {
	var f format
	cmd := &cobra.Command{
		Use:   "ack ID...",
		Short: "Acknowledge alerts, in your token's name",
		Example: `  ward alerts ack alert-181618ee27c4c5f30001
  ward alerts list --unacked --format json | jq -r '.[].id' | xargs ward alerts ack`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return withHint(usagef("give the id of an alert"), "'ward alerts list' shows them")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return runAlertsAck(cmd.Context(), g, args, f) },
	}
	formatFlag(cmd, &f)
	return cmd
}

func runAlertsAck(ctx context.Context, g *globals, ids []string, f format) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	acked := []client.Alert{}
	for _, id := range ids {
		a, err := c.AckAlert(ctx, id)
		if err != nil {
			return g.apiError(err)
		}
		acked = append(acked, *a)
	}
	return g.show(f, acked, func(w io.Writer) error {
		for _, a := range acked {
			fmt.Fprintf(w, "%s acknowledged by %s\n", a.ID, a.AckedBy)
		}
		return nil
	})
}
