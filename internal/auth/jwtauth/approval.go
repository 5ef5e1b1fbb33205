package jwtauth

import (
	"fmt"
	"slices"
	"strings"
)

// ApprovalMetaKey is the metadata key of a CI login whose token carried
// the role's approval_claims: the claims, "name=value" joined by ", ".
// Such a token's changes to production pass the apply-to-prod step-up as
// approved by the platform's review (a deployment environment with
// required reviewers, a protected branch) instead of a TOTP code. The key
// is reserved (ward_ prefix): only a login writes it.
const ApprovalMetaKey = "ward_approval"

// checkApproval checks a role's approval_claims as Check does bound_claims
// (exact values, one or a list), and requires at least one.
func checkApproval(r *Role) error {
	if r.ApprovalClaims == nil {
		return nil
	}
	if len(r.ApprovalClaims) == 0 {
		return &FieldError{"approval_claims", "empty: name the claims that mean a person approved the run, e.g. {\"environment\": \"production\", \"ref_protected\": \"true\"}, or leave it out"}
	}
	for name, want := range r.ApprovalClaims {
		if name == "" {
			return &FieldError{"approval_claims", "a claim name is empty"}
		}
		if _, err := boundValues(want); err != nil {
			return &FieldError{"approval_claims", fmt.Sprintf("claim %q: %v", name, err)}
		}
	}
	return nil
}

// approval returns the approval a token's claims carry under role: every
// claim of approval_claims present and equal to one of its values, as
// "name=value, ..." sorted by name; "" when the role names none or one
// does not match (the login still succeeds, without the approval).
func approval(claims map[string]any, role *Role) string {
	if len(role.ApprovalClaims) == 0 {
		return ""
	}
	names := make([]string, 0, len(role.ApprovalClaims))
	for name := range role.ApprovalClaims {
		names = append(names, name)
	}
	slices.Sort(names)
	parts := make([]string, 0, len(names))
	for _, name := range names {
		want, err := boundValues(role.ApprovalClaims[name])
		got := lookupClaim(claims, name)
		if err != nil || got == nil || !claimMatches(got, want, false) {
			return ""
		}
		parts = append(parts, fmt.Sprintf("%s=%v", name, got))
	}
	return strings.Join(parts, ", ")
}
