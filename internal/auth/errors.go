package auth

import (
	"errors"
	"fmt"
)

// ErrInvalidToken is the one answer for a token that is malformed, unknown,
// expired or revoked, so that a caller cannot tell which (a 403).
var ErrInvalidToken = errors.New("auth: permission denied: the token is invalid, expired or revoked")

// ErrNotRenewable is returned by Renew for a token made with Renewable
// false, and for root tokens made by CreateRoot (they never expire).
var ErrNotRenewable = errors.New("auth: the token is not renewable; create a new one")

// Rule names a rule that Create enforces.
type Rule string

const (
	// RulePolicySubset: a non-root parent gives only policies it holds.
	RulePolicySubset Rule = "policy-subset"
	// RuleRootPolicy: only a root parent gives the root policy.
	RuleRootPolicy Rule = "root-policy"
	// RuleEnv: a non-root parent gives only its own environment.
	RuleEnv Rule = "env"
	// RuleNoParent: only a root parent makes orphans.
	RuleNoParent Rule = "no-parent"
)

// DeniedError is Create's refusal of a request that breaks a rule (a 403).
type DeniedError struct {
	Rule Rule
	// Policy is the policy the parent does not hold, for RulePolicySubset.
	Policy string
}

func (e *DeniedError) Error() string {
	switch e.Rule {
	case RulePolicySubset:
		return fmt.Sprintf("auth: permission denied: the parent token does not hold policy %q; a token can only give policies it holds", e.Policy)
	case RuleRootPolicy:
		return "auth: permission denied: only a root token can give the root policy"
	case RuleEnv:
		return "auth: permission denied: a token can only create tokens for its own environment"
	case RuleNoParent:
		return "auth: permission denied: only a root token can create orphan tokens (no_parent)"
	}
	return "auth: permission denied: rule " + string(e.Rule)
}

// RequestError is a CreateRequest or a Renew increment that is malformed,
// whoever asks (a 400). Field names the field, as in Vault's API.
type RequestError struct {
	Field   string
	Problem string
}

func (e *RequestError) Error() string {
	return fmt.Sprintf("auth: invalid %s: %s", e.Field, e.Problem)
}
