// Package policy decides what a ward token may do: it parses policies written
// in YAML, canonicalises request paths, and evaluates a token's policies
// against a path.
//
// Most callers need three things. The HTTP server runs [CanonicalPath] on
// every request path (refusing it with 400 when it fails) and asks the
// token's [ACL] with [ACL.Check]. The vault stores policies after [Parse]
// accepts them and compiles a token's set with [NewACL].
//
// # The policy language
//
// A policy is one YAML document with an optional description and a list of
// rules. Each rule names a path glob and the capabilities it grants there:
//
//	# ci-api.yaml — what the api's CI job may do
//	description: read the api's secrets in staging
//	rules:
//	  - path: staging/payments/*          # <environment>/<secret path glob>
//	    capabilities: [read, list]
//	  - path: "*/shared/**"               # any environment
//	    capabilities: [read]
//	  - path: prod/payments/admin/**
//	    capabilities: [deny]              # deny wins over every allow, in every policy
//	  - path: prod/payments/db
//	    capabilities: [read]
//	    mfa: required
//	  - path: sys/policies/acl/*          # system paths are named like the API path after /v1/
//	    capabilities: [read, list]
//
// Paths. A rule path is the API path after /v1/ with KV v2's data/,
// metadata/, delete/, undelete/ or destroy/ segment removed: staging/payments/db
// means the secret payments/db in the environment staging, whichever KV v2
// endpoint touches it. Paths that start with sys/ or auth/ are system paths
// (no environment is ever called sys or auth). Rule paths are written
// decoded, without a leading "/", and use the same characters as request
// paths (see [CanonicalPath]) plus the glob character "*".
//
// Globs. A segment that is exactly "**" matches zero or more whole segments.
// Any other segment containing "*" matches within one segment: "*" matches any
// one segment, "pay*" matches "payments" and "pay" but never "pay/x". There are
// no other metacharacters. So staging/payments/* matches staging/payments/db
// but neither staging/payments/db/old nor staging/paymentsx. A first segment
// that is a glob ("*", "**", "st*") matches environments only, never sys or
// auth: system paths are granted only by rules that name them literally.
//
// Listing. A list request names a directory with one trailing "/"
// (staging/payments/). Its last segment is empty, which "*" and "**" match,
// so staging/payments/* grants list on staging/payments/ as well as on the
// secrets under it. A rule path may also end in "/" to name just the
// directory.
//
// Capabilities. read, list, create, update, patch, delete, undelete, destroy
// and admin; admin grants every capability on its paths. deny, which must
// stand alone in its rule, refuses every capability on its paths whatever any
// rule of any policy allows.
//
// Evaluation. The allows of all of a token's policies are unioned; any
// matching deny refuses. A capability no matching rule grants is refused.
// A rule may carry "mfa: required": when any matching rule that grants the
// requested capability carries it, the [Decision] says MFA is required, even
// if another rule grants the same capability without it.
//
// Names. Policy names are lowercase: [ValidName] accepts [a-z0-9][a-z0-9_-]
// up to 64 characters and refuses "root", the name of the built-in policy
// that allows everything ([Root]).
//
// Errors. [Parse] reports a *[ParseError] with the line and column of the
// first problem; [CanonicalPath] reports a *[PathError] naming the segment
// and the reason, never the bytes. Both wrap sentinels ([ErrBadPolicy],
// [ErrBadPath]) for errors.Is.
package policy
