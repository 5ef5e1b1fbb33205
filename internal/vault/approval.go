package vault

import "github.com/wardhq/ward/internal/auth/jwtauth"

// requireProdApproval passes a change to production (the apply-to-prod
// step-up) for a CI login whose JWT carried its role's approval_claims:
// the platform's review (a deployment environment with required
// reviewers, a protected branch) is the approval a person would give with
// a TOTP code. The request's audit entries say so, with mfa
// "ci-approval: CLAIMS". Every other caller needs step-up MFA; TOTP stays
// the way for people, and approval claims answer no other step-up
// (break-glass reads, destroying versions).
func (v *Vault) requireProdApproval(c *Caller, why string) error {
	if a := c.Token.Meta[jwtauth.ApprovalMetaKey]; a != "" && !c.Token.IsRoot() {
		c.mfa = "ci-approval: " + a
		return nil
	}
	return v.RequireMFA(c, why)
}
