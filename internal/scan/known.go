package scan

// KnownMatcher finds known secret values (those the vault issued) in a
// buffer without holding their plaintext; the sub-package known implements
// it. Find must be safe for concurrent use and call fn for each known value
// that starts in buf before limit, with its span (end exclusive, within
// buf).
type KnownMatcher interface {
	Find(buf []byte, limit int, fn func(start, end int, ref KnownRef))
	// MaxLen is the length of the longest encoded value; it must not exceed
	// Overlap.
	MaxLen() int
}

// KnownRef names a known secret a finding matched.
type KnownRef struct {
	Path    string `json:"path"`
	Field   string `json:"field,omitempty"`
	Version int    `json:"version"`
	// Encoding is the form found ("" for the value as is, else base64, hex,
	// percent, json-escape ...); Fingerprint is the set's keyed tag of it.
	Encoding    string `json:"-"`
	Fingerprint string `json:"-"`
}

// knownRule is the rule every known-value finding carries.
var knownRule = &Rule{
	ID:          "known-secret",
	Description: "a secret stored in ward",
	Remediation: "rotate the secret in ward (ward kv put), then find how its value reached this file",
	index:       -1,
}
