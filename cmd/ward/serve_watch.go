package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/spf13/pflag"
	"github.com/wardhq/ward/internal/audit"
	"github.com/wardhq/ward/internal/detect"
	"github.com/wardhq/ward/internal/metrics"
	"github.com/wardhq/ward/internal/vault"
)

// watchOpts are the server's live detectors, alert webhook and metrics.
type watchOpts struct {
	noDetect   bool
	webhook    string
	pathLabels bool
	getenv     func(string) string

	// Made by configure.
	svc  *detect.Service
	hook *detect.Webhook
	m    *metrics.Metrics
	fwd  *vaultAuditWriter
	dir  string
	halt context.CancelFunc // stops what run started
}

// watchStateEvery is how often the detectors' state is saved while the
// server runs (and once more when it stops), and how often the thresholds
// are read again from the store (an apply through another server sharing
// it reaches this one within that time).
const watchStateEvery = time.Minute

const watchHelp = `Watching access:
  The server runs the detectors over its own audit log as it is written
  (see 'ward alerts list'); their thresholds are the ward/ directory's
  alerts.yaml, managed by 'ward plan' and 'ward apply'. Their baselines
  and alerts are kept in DATA/detect-state.json and DATA/detect-alerts.json.
  --alerts-webhook POSTs each alert, signed with HMAC-SHA256 in
  X-Ward-Signature, with the secret in $WARD_ALERT_WEBHOOK_SECRET (never a
  flag). Metrics are at /v1/sys/metrics (read on sys/metrics).`

func (o *watchOpts) flags(fs *pflag.FlagSet, getenv func(string) string) {
	o.getenv = getenv
	fs.BoolVar(&o.noDetect, "no-detect", false, "run no detectors over the audit log")
	fs.StringVar(&o.webhook, "alerts-webhook", "", "POST each alert to this URL, signed with $WARD_ALERT_WEBHOOK_SECRET")
	fs.BoolVar(&o.pathLabels, "metrics-path-labels", false, "label request metrics with the secret's path (off: route patterns only)")
}

// vaultAuditWriter writes alerts to the vault's audit log once it is open.
type vaultAuditWriter struct{ v *vault.Vault }

func (w *vaultAuditWriter) Write(ctx context.Context, e *audit.Entry) error {
	return w.v.WriteAudit(ctx, e)
}

// configure makes the metrics and the detectors, restores their state from
// dir, and sets their hooks in cfg.
func (o *watchOpts) configure(dir string, cfg *vault.Config) error {
	o.dir = dir
	var detectStats func() detect.ServiceStats
	if !o.noDetect {
		detectStats = func() detect.ServiceStats { return o.svc.Stats() }
	}
	o.m = metrics.New(metrics.Options{Detect: detectStats, PathLabels: o.pathLabels})
	cfg.AuditOnBatch = o.m.AuditBatch
	cfg.OnRotation = o.m.Rotation
	if o.noDetect {
		if o.webhook != "" {
			return usagef("--alerts-webhook needs the detectors; drop --no-detect")
		}
		return nil
	}
	o.fwd = &vaultAuditWriter{}
	scfg := detect.ServiceConfig{Config: detect.DefaultConfig(), Audit: o.fwd,
		OnAlert: func(a detect.Alert) { o.m.Alert(a.Detector) }}
	if o.webhook != "" {
		secret := o.getenv("WARD_ALERT_WEBHOOK_SECRET")
		if secret == "" {
			return withHint(usagef("--alerts-webhook needs a secret to sign with"), "set WARD_ALERT_WEBHOOK_SECRET; the receiver checks X-Ward-Signature with it")
		}
		hook, err := detect.NewWebhook(detect.WebhookConfig{URL: o.webhook, Secret: []byte(secret)})
		if err != nil {
			return withHint(err, "give the full URL of the receiver, like https://hooks.example.com/ward")
		}
		o.hook, scfg.Webhook = hook, hook
	}
	o.svc = detect.NewService(scfg)
	if err := o.svc.LoadState(dir); err != nil {
		o.close()
		return withHint(err, "move the file aside to start learning afresh")
	}
	cfg.Detect, cfg.AuditOnEntries = o.svc, o.svc.OfferEntries
	return nil
}

// run feeds the detectors and saves their state every watchStateEvery
// until stop; v is the vault whose audit log takes the alerts. They
// outlive ctx so that stop can save what the last requests taught them.
func (o *watchOpts) run(ctx context.Context, v *vault.Vault, logger *slog.Logger) {
	o.m.SetSealed(v.Sealed)
	o.m.SetTokens(func() (int, error) { return v.TokenCount(ctx) })
	o.m.SetLeases(func() (metrics.LeaseCounts, error) {
		live, failing, err := v.LeaseCounts()
		return metrics.LeaseCounts{Live: live, Failing: failing}, err
	})
	o.m.SetDue(func() (metrics.DueCounts, error) { return countDue(ctx, v) })
	if o.svc == nil {
		return
	}
	o.fwd.v = v
	ctx, o.halt = context.WithCancel(context.WithoutCancel(ctx))
	o.svc.Start(ctx)
	go func() {
		t := time.NewTicker(watchStateEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				o.save(ctx, logger)
				if err := v.ReloadAlerts(ctx); err != nil && !v.Sealed() {
					logger.Warn("reading the alert thresholds failed", "error", err.Error())
				}
			}
		}
	}()
}

// countDue counts the secrets due for rotation or expiry, as 'ward kv
// expiring' finds them, for ward_secrets_due.
func countDue(ctx context.Context, v *vault.Vault) (metrics.DueCounts, error) {
	var d metrics.DueCounts
	envs, err := v.Envs()
	if err != nil {
		return d, err
	}
	due, err := v.ExpiringSecrets(ctx, envs, metrics.DueWindow)
	if err != nil {
		return d, err
	}
	for _, e := range due {
		switch {
		case e.Reason == vault.MetaRotateEvery && e.Overdue:
			d.RotateOverdue++
		case e.Reason == vault.MetaRotateEvery:
			d.RotateSoon++
		case e.Overdue:
			d.ExpireOverdue++
		default:
			d.ExpireSoon++
		}
	}
	return d, nil
}

// save writes the detectors' state once every line offered is processed.
func (o *watchOpts) save(ctx context.Context, logger *slog.Logger) {
	fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := o.svc.Flush(fctx); err != nil {
		logger.Warn("the detectors are behind; their state is saved as it stands")
	}
	if err := o.svc.SaveState(o.dir); err != nil {
		logger.Warn("saving the detectors' state failed", "error", err.Error())
	}
}

// stop saves the detectors' state at shutdown (call it while the detectors
// still run) and stops the webhook.
func (o *watchOpts) stop(logger *slog.Logger) {
	if o.halt != nil {
		o.save(context.Background(), logger)
		o.halt()
	}
	o.close()
}

func (o *watchOpts) close() {
	if o.hook != nil {
		o.hook.Close()
	}
}
