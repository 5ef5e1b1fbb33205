package vault

import (
	"context"
	"maps"

	"github.com/wardhq/ward/internal/audit"
	"github.com/wardhq/ward/internal/auth"
	"github.com/wardhq/ward/internal/policy"
)

// Caller is who makes a request, as the domain methods that authorize,
// step up and audit on their own need it. The server makes one per
// request; it is not safe for concurrent use.
type Caller struct {
	Token  *auth.Token // nil before a login
	Secret string      // the raw token; audited only as an HMAC
	ACL    *policy.ACL
	// RequestID and RemoteAddr are public context for audit entries.
	RequestID  string
	RemoteAddr string
	// Codes are the TOTP codes the request carries for step-up MFA (the
	// server reads them from X-Ward-MFA); more than one is refused.
	Codes []string

	// The step-up outcome, for the audit entries: "verified", or
	// "refused: ..." with the refusal, given again if asked twice.
	mfa    string
	mfaErr error
}

// MFAOutcome is the outcome of the request's step-up check, for its
// audit entries: "verified", "refused: REASON", or "" when none was asked.
func (c *Caller) MFAOutcome() string { return c.mfa }

// Entry returns an audit entry of type typ ("request", "response") for
// the caller's operation op on path, in env (nil: none).
func (c *Caller) Entry(typ, path, op string, env *Env) *audit.Entry {
	e := &audit.Entry{
		Type:       typ,
		RequestID:  c.RequestID,
		Path:       path,
		Operation:  op,
		RemoteAddr: c.RemoteAddr,
		Token:      c.Secret,
	}
	if c.Token != nil {
		e.Identity = c.Token.DisplayName
		e.Accessor = c.Token.Accessor
		e.Policies = c.Token.Policies
		e.Meta = c.Token.Meta // public context: a CI login's pipeline
	}
	if env != nil {
		e.Environment = env.Name
	}
	if c.mfa != "" {
		meta := make(map[string]string, len(e.Meta)+1)
		maps.Copy(meta, e.Meta) // a copy: e.Meta may be the token's own
		meta["mfa"] = c.mfa
		e.Meta = meta
	}
	return e
}

// EnvFor returns environment name if c's token may reach it: its own
// environment, or any for a root token. No policy can widen that.
func (v *Vault) EnvFor(c *Caller, name string) (*Env, error) {
	env, err := v.Env(name)
	if err != nil {
		return nil, err
	}
	if !c.Token.IsRoot() && (c.Token.Env != env.Name || c.Token.EnvID != env.ID) {
		return nil, refuse(KindDenied, "permission denied: this token is bound to another environment")
	}
	return env, nil
}

// Authorize checks that c's policy grants t.Cap on t.PolicyPath and then
// asks for step-up MFA where the rule that allowed it, or a shipped
// default, demands it.
func (v *Vault) Authorize(ctx context.Context, c *Caller, t Target) error {
	d := c.ACL.Check(t.PolicyPath, t.Cap)
	if !d.Allowed {
		return refuse(KindDenied, "permission denied: %s on %s", t.Cap, t.PolicyPath)
	}
	return v.StepUp(ctx, c, t, d)
}

// Capabilities lists what c may do on policyPath, in environment envName
// when it is not "": nothing ("deny") in an environment c cannot reach.
func (v *Vault) Capabilities(c *Caller, envName, policyPath string) []string {
	if envName != "" {
		if _, err := v.EnvFor(c, envName); err != nil {
			return []string{"deny"}
		}
	}
	return c.ACL.Capabilities(policyPath)
}
