package vault

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/wardhq/ward/internal/audit"
	"github.com/wardhq/ward/internal/auth"
)

// Tokens: the token store stays inside the vault; these are its
// operations as the API reaches them, with the rules of package auth and
// the environment boundary.

// LookupToken returns the token secret stands for, or an error wrapping
// auth.ErrInvalidToken whatever the reason.
func (v *Vault) LookupToken(ctx context.Context, secret string) (*auth.Token, error) {
	u, err := v.state()
	if err != nil {
		return nil, err
	}
	return u.tokens.Lookup(ctx, secret)
}

// TokenOf returns the token that secret (or, when secret is "", accessor)
// names, for an operation of c on it: a token c cannot reach (in another
// environment, for a non-root caller) is refused as denied, an unknown
// one as invalid.
func (v *Vault) TokenOf(ctx context.Context, c *Caller, secret, accessor string) (*auth.Token, error) {
	u, err := v.state()
	if err != nil {
		return nil, err
	}
	var t *auth.Token
	if secret != "" {
		t, err = u.tokens.Lookup(ctx, secret)
	} else {
		t, err = u.tokens.LookupAccessor(ctx, accessor)
	}
	if err != nil {
		return nil, refuse(KindInvalid, "bad token: it is unknown, expired or revoked")
	}
	if !c.Token.IsRoot() && t.EnvID != c.Token.EnvID {
		return nil, refuse(KindDenied, "permission denied")
	}
	return t, nil
}

// CreateToken makes a token for c under the rules of auth.Store.Create
// (policies and environment no wider than the parent's; only logins write
// identity metadata). envName, when not "", names the new token's
// environment, which a non-root caller may only name as its own; none
// named means the caller's. Every token but a root one is bound to
// exactly one environment.
func (v *Vault) CreateToken(ctx context.Context, c *Caller, envName string, req auth.CreateRequest) (string, *auth.Token, error) {
	u, err := v.state()
	if err != nil {
		return "", nil, err
	}
	req.Env, req.EnvID = c.Token.Env, c.Token.EnvID
	if envName != "" {
		env, err := v.Env(envName)
		if err != nil {
			return "", nil, err
		}
		if !c.Token.IsRoot() && c.Token.EnvID != env.ID {
			return "", nil, refuse(KindDenied, "permission denied: a token can only create tokens for its own environment")
		}
		req.Env, req.EnvID = env.Name, env.ID
	}
	if req.EnvID == "" && !slices.Contains(req.Policies, auth.RootPolicy) && len(req.Policies) > 0 {
		env, err := v.rootChildEnv(req.Policies)
		if err != nil {
			return "", nil, err
		}
		req.Env, req.EnvID = env.Name, env.ID
	}
	if req.EnvID == "" && !slices.Contains(req.Policies, auth.RootPolicy) {
		return "", nil, refuse(KindInvalid, `missing "env": every token is bound to exactly one environment; send "env": "staging" (ward token create --env staging)`)
	}
	return u.tokens.Create(ctx, c.Token, req)
}

// RenewToken extends t's life by increment (0: its TTL), within its caps.
func (v *Vault) RenewToken(ctx context.Context, t *auth.Token, increment time.Duration) (*auth.Token, error) {
	u, err := v.state()
	if err != nil {
		return nil, err
	}
	return u.tokens.Renew(ctx, t, increment)
}

// RevokeToken revokes t and every token made from it, and first the
// leases they got.
func (v *Vault) RevokeToken(ctx context.Context, t *auth.Token) error {
	u, err := v.state()
	if err != nil {
		return err
	}
	if err := v.revokeTokenLeases(ctx, u, t); err != nil {
		return err
	}
	return u.tokens.Revoke(ctx, t)
}

// RevokeTokenOrphan revokes t alone, and first the leases t got; the
// tokens made from it become orphans and keep working, with their leases
// (Vault's auth/token/revoke-orphan).
func (v *Vault) RevokeTokenOrphan(ctx context.Context, t *auth.Token) error {
	u, err := v.state()
	if err != nil {
		return err
	}
	if u.leases != nil {
		if _, err := u.leases.m.RevokeToken(ctx, t.Accessor, nil); err != nil && !isRetriedRevocation(err, v) {
			return err
		}
	}
	return u.tokens.RevokeOrphan(ctx, t)
}

// WriteAudit appends entries to the audit log in one write; an error
// wraps ErrAudit, and the caller must not answer.
func (v *Vault) WriteAudit(ctx context.Context, entries ...*audit.Entry) error {
	u, err := v.state()
	if err != nil {
		return err
	}
	if err := u.audit.WriteAll(ctx, entries...); err != nil {
		return fmt.Errorf("%w: %w", ErrAudit, err)
	}
	return nil
}

// AuditHMAC is the audit log's HMAC of s, as its entries record values.
func (v *Vault) AuditHMAC(s string) (string, error) {
	u, err := v.state()
	if err != nil {
		return "", err
	}
	return u.audit.HMAC(s), nil
}
