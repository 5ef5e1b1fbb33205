package auth

import (
	"fmt"
	"strings"
)

// IdentityMetaKey is the metadata key that names a login token's identity,
// "METHOD/NAME" (e.g. "userpass/alice"): the identity whose TOTP enrolment
// answers step-up MFA. Only a login sets it.
const IdentityMetaKey = "ward_identity"

// What ward's own logins and audit entries write. A token made by Create
// cannot carry any of it, so no token can pose, in its lookups or in the
// audit log, as a CI login, a password login, an MFA-verified request or
// an apply: only CreateLogin (the vault's logins) writes these.
var (
	// reservedMetaKeys are metadata keys, compared case-insensitively.
	reservedMetaKeys = []string{
		"username",                  // a password login's user
		"role", "issuer", "subject", // a CI login's role and token
		"mfa",                    // the outcome of a step-up check, in audit entries
		"plan_digest", "changes", // an apply's audit entry
	}
	// reservedMetaPrefixes are metadata key prefixes, case-insensitive.
	reservedMetaPrefixes = []string{
		"ward_",     // ward_identity, ward_apply, and any ward adds
		"ci_",       // a CI login's pipeline: ci_repository, ci_ref, ...
		"revision_", // an apply's commit
	}
	// reservedNamePrefixes are the display-name prefixes of logins and of
	// the root token, before the store's "token-" prefix.
	reservedNamePrefixes = []string{"userpass-", "jwt-", "root"}
)

// ReservedMetaKey reports whether metadata key k is one that ward's own
// logins or audit entries write, and so one that Create refuses.
func ReservedMetaKey(k string) bool {
	k = strings.ToLower(strings.TrimSpace(k))
	for _, r := range reservedMetaKeys {
		if k == r {
			return true
		}
	}
	for _, p := range reservedMetaPrefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// ReservedMetaSummary names the reserved keys for error messages.
const ReservedMetaSummary = "username, role, issuer, subject, mfa, plan_digest, changes, ward_*, ci_*, revision_*"

// reservedDisplayName reports whether a display name asked of Create
// begins as a login's or the root token's does.
func reservedDisplayName(name string) bool {
	name = strings.ToLower(strings.TrimSpace(name))
	for _, p := range reservedNamePrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// checkUnreserved refuses, for Create, what only a login may write.
func checkUnreserved(req CreateRequest) error {
	for k := range req.Meta {
		if ReservedMetaKey(k) {
			if len(k) > 64 {
				k = k[:64] + "..."
			}
			return &RequestError{"meta", fmt.Sprintf("key %q", k) + " is written by ward's logins only (reserved: " + ReservedMetaSummary + "); a created token has no login identity"}
		}
	}
	if reservedDisplayName(req.DisplayName) {
		return &RequestError{"display_name", "a name beginning userpass-, jwt- or root is a login's or the root token's; choose another"}
	}
	return nil
}
