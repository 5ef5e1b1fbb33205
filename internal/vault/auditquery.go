package vault

import (
	"context"
	"strconv"
	"strings"

	"github.com/wardhq/ward/internal/audit"
	"github.com/wardhq/ward/internal/policy"
)

// QueryAudit reads the vault's audit log back for c, newest first (see
// audit.Query). A token bound to an environment sees only that
// environment's entries, whatever its policy and whatever f asks:
// environments are hard boundaries. A root token sees every entry, or one
// environment's with f.Environment. The route checks c's policy first.
func (v *Vault) QueryAudit(ctx context.Context, c *Caller, f audit.Filter) (*audit.Result, error) {
	if _, err := v.state(); err != nil {
		return nil, err
	}
	if !c.Token.IsRoot() {
		if f.Environment != "" && f.Environment != c.Token.Env {
			return nil, refuse(KindDenied, "permission denied: this token is bound to environment %s", strconv.Quote(c.Token.Env))
		}
		f.Environment = c.Token.Env
	}
	return audit.Query(ctx, v.cfg.AuditPath, f)
}

// VisibleSecrets calls fn for every secret of env that c may see (list on
// its folder, or read on it, as for ExpiringFor), in path order, with
// whether c may read it. env must be one c reaches (EnvFor).
func (v *Vault) VisibleSecrets(ctx context.Context, c *Caller, env *Env, fn func(s SecretInfo, readable bool) error) error {
	return v.WalkEnvMetadata(ctx, env, func(s SecretInfo) error {
		folder := env.Name + "/"
		if i := strings.LastIndex(s.Path, "/"); i >= 0 {
			folder += s.Path[:i+1]
		}
		readable := c.ACL.Check(env.Name+"/"+s.Path, policy.CapRead).Allowed
		if !readable && !c.ACL.Check(folder, policy.CapList).Allowed {
			return nil
		}
		return fn(s, readable)
	})
}
