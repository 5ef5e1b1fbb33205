// Package plan is ward's policy as code: a directory in a team's repository
// that declares environments, policies, types and secret metadata, read into
// a desired [State] and compared with the server's current one.
//
// Most callers need two functions:
//
//	desired, err := plan.Load("ward")              // *Error lists every problem as file:line:col
//	changes := plan.Diff(current, desired, plan.Options{Prune: false})
//
// The server applies the changes (see the vault's Apply); the CLI prints
// them. [Access] and [Explain] answer what a set of policies grants in an
// environment, for `ward access`.
//
// # The directory
//
//	ward/
//	  environments.yaml        environments and the metadata their secrets must carry
//	  policies/NAME.yaml       one policy each, in the policy language (see package policy)
//	  types/NAME.schema.json   one JSON Schema (2020-12) each
//	  secrets/*.yaml           secret metadata declarations, by environment and path; never values
//	  alerts.yaml              thresholds of the detectors that watch access (see AlertsFile)
//
// Each part is optional, and a part that is absent is not managed: without
// environments.yaml, plan and apply leave the server's environments alone,
// even with --prune. YAML is read strictly: unknown or repeated fields,
// aliases, anchors and tags are errors, and every error names the file and
// line. A secrets file that holds a value: or data: key is refused, since a
// repository is no place for a secret.
//
// environments.yaml:
//
//	environments:
//	  dev: {}
//	  prod:
//	    required_metadata:
//	      - owner
//	      - type
//	      - [expires_at, rotate_every]   # a list: any one of them
//
// secrets/payments.yaml:
//
//	prod:
//	  payments/db:
//	    type: postgres
//	    owner: team-payments
//	    recipients: [api, indexer]
//	    rotate_every: 90d
//	    custom_metadata: {ticket: PAY-12}
//
// A declared secret's custom metadata on the server becomes exactly the
// declared fields: type, owner, recipients (joined by ","), expires_at,
// rotate_every and the custom_metadata entries.
package plan
