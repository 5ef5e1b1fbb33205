package vault

import (
	"context"

	"github.com/wardhq/ward/internal/audit"
)

// QueryAudit reads the vault's audit log back, newest first (see
// audit.Query). Like every other read, it needs the vault unsealed.
func (v *Vault) QueryAudit(ctx context.Context, f audit.Filter) (*audit.Result, error) {
	if _, err := v.state(); err != nil {
		return nil, err
	}
	return audit.Query(ctx, v.cfg.AuditPath, f)
}
