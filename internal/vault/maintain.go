package vault

import (
	"context"
	"time"
)

// DefaultTidyInterval is how often Maintain removes expired tokens.
const DefaultTidyInterval = 10 * time.Minute

// Maintain removes expired tokens and dangling token index entries every
// interval (0: DefaultTidyInterval) while the vault is unsealed, until ctx
// is done. Expired tokens are refused at lookup whether or not they have
// been tidied; tidying only reclaims their storage.
func (v *Vault) Maintain(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultTidyInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		u, err := v.state()
		if err != nil {
			continue // sealed
		}
		if n, err := u.tokens.Tidy(ctx); err != nil {
			v.cfg.Logger.Warn("tidying expired tokens failed", ErrorLogArgs(err)...)
		} else if n > 0 {
			v.cfg.Logger.Info("tidied expired tokens", "count", n)
		}
	}
}
