package vault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/wardhq/ward/internal/detect"
	"github.com/wardhq/ward/internal/plan"
	"github.com/wardhq/ward/internal/storage"
)

// ErrNoDetectors is returned by the alert methods of a vault opened without
// a detect.Service (Config.Detect).
var ErrNoDetectors = errors.New("this server runs no detectors")

// keyAlerts holds the thresholds `ward apply` stored from alerts.yaml, as
// detect.Config's JSON, inside the barrier.
const keyAlerts = "sys/alerts-config"

// loadAlerts gives the detectors the stored thresholds, at unseal. With
// none stored they keep the ones they run with (detect.DefaultConfig).
func (v *Vault) loadAlerts(ctx context.Context) error {
	if v.cfg.Detect == nil {
		return nil
	}
	cfg, err := v.storedAlerts(ctx)
	if err != nil || cfg == nil {
		return err
	}
	v.cfg.Detect.SetConfig(*cfg)
	return nil
}

// storedAlerts returns the stored thresholds, or nil when apply stored none.
func (v *Vault) storedAlerts(ctx context.Context) (*detect.Config, error) {
	e, err := v.barrier.Get(ctx, keyAlerts)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the alert thresholds: %w", err)
	}
	var cfg detect.Config
	if err := json.Unmarshal(e.Value, &cfg); err != nil {
		return nil, fmt.Errorf("reading the alert thresholds: %w", err)
	}
	return &cfg, nil
}

// currentAlerts fills cur's alerts for a plan: the vault speaks for
// alerts.yaml only when it runs detectors.
func (v *Vault) currentAlerts(ctx context.Context, cur *plan.State) error {
	if v.cfg.Detect == nil {
		return nil
	}
	cur.Manages.Alerts = true
	cfg, err := v.storedAlerts(ctx)
	if err != nil || cfg == nil {
		return err
	}
	cur.Alerts = &plan.Alerts{Config: *cfg, Source: plan.Source{File: plan.AlertsFile}}
	return nil
}

// alertsChange stores the desired thresholds in the apply's transaction,
// and gives them to the detectors once it commits.
func (tx *applyTx) alertsChange() error {
	if tx.desired.Alerts == nil || tx.v.cfg.Detect == nil {
		return nil
	}
	cfg := tx.desired.Alerts.Config
	b, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	tx.ops = append(tx.ops, storage.Op{Kind: storage.OpPut, Key: keyAlerts, Value: b})
	tx.install = append(tx.install, func() { tx.v.cfg.Detect.SetConfig(cfg) })
	return nil
}

// Alerts lists the detectors' alerts f selects, newest first. The route
// that calls it checks the caller's policy.
func (v *Vault) Alerts(f detect.Filter) ([]detect.Alert, error) {
	if v.cfg.Detect == nil {
		return nil, ErrNoDetectors
	}
	if _, err := v.state(); err != nil {
		return nil, err
	}
	return v.cfg.Detect.Alerts(f), nil
}

// AckAlert acknowledges alert id on behalf of the caller's token (its
// display name and accessor), and returns it.
func (v *Vault) AckAlert(ctx context.Context, c *Caller, id string) (detect.Alert, error) {
	if v.cfg.Detect == nil {
		return detect.Alert{}, ErrNoDetectors
	}
	if _, err := v.state(); err != nil {
		return detect.Alert{}, err
	}
	who := "unknown"
	if c != nil && c.Token != nil {
		who = c.Token.DisplayName + " (" + c.Token.Accessor + ")"
	}
	return v.cfg.Detect.Ack(id, who)
}

// TokenCount is how many tokens are stored, for the metrics: live ones,
// and expired ones until the next tidy (Maintain). ErrSealed while sealed.
func (v *Vault) TokenCount(ctx context.Context) (int, error) {
	u, err := v.state()
	if err != nil {
		return 0, err
	}
	return u.tokens.Count(ctx)
}

// ReloadAlerts gives the detectors the stored thresholds again: a server
// sharing its store with others (PostgreSQL) calls it now and then to pick
// up an apply made through another. ErrSealed while sealed.
func (v *Vault) ReloadAlerts(ctx context.Context) error {
	if _, err := v.state(); err != nil {
		return err
	}
	return v.loadAlerts(ctx)
}
