package server

import (
	"context"

	"github.com/wardhq/ward/internal/policy"
)

// authMode is how a route is authorized. Every route names one; the
// pipeline (Server.handle) acts on it and on nothing else.
type authMode int

const (
	// byPolicy: a valid token whose policy grants the route's capability
	// on its policy path, in the token's own environment where the route
	// names one, with step-up MFA where a rule or a shipped default asks.
	byPolicy authMode = iota + 1
	// bySelf: any valid token, acting on itself (its lookup, renewal,
	// revocation, MFA enrolment, its own capabilities).
	bySelf
	// perSecret: any valid token, in its own environment; the domain
	// method checks read on each secret it touches (batched fetch,
	// fingerprint sets, the expiring report).
	perSecret
	// unauthenticated: no token (logins, which audit themselves). The
	// vault must be unsealed.
	unauthenticated
	// whileSealed: no token, and answers while the vault is sealed
	// (health, seal status, init, unseal).
	whileSealed
	// byRoot: a root token only, whatever a policy grants: whole-vault
	// operations, as Vault's sudo paths (the route's cap is audited).
	byRoot
)

func (m authMode) String() string {
	switch m {
	case byPolicy:
		return "policy"
	case bySelf:
		return "self"
	case perSecret:
		return "per-secret"
	case unauthenticated:
		return "unauthenticated"
	case whileSealed:
		return "while-sealed"
	case byRoot:
		return "root"
	}
	return "none"
}

// route is one row of the route table.
type route struct {
	// methods the row answers, separated by "|": GET, HEAD, LIST (a GET
	// with ?list=true, or the LIST verb), POST, PUT, PATCH, DELETE.
	methods string
	// pattern is a canonical API path after /v1/, of literal segments and
	// parameters: {name} is one non-empty segment; {env} is one segment
	// naming an environment, which the token must be bound to; {user} is a
	// userpass name, normalised before anything else sees it; {path...}
	// is the rest of the path, a secret's path (not empty, no trailing
	// "/"); {prefix...} is the rest of the path as a folder ("" or
	// ending in "/"). A pattern ending in "/" is a collection and matches
	// with or without that slash.
	pattern string
	mode    authMode
	// cap is the capability a byPolicy route needs; capFor, when set,
	// decides it at request time instead (a write creates or updates).
	cap    policy.Capability
	capFor func(ctx context.Context, s *Server, req *request) (policy.Capability, error)
	// policy is the policy path checked, with the pattern's parameters
	// substituted; "" means the request's path.
	policy string
	// auditOp is the operation audited for a route that no capability
	// authorizes ("self", "fetch"); byPolicy routes audit their capability.
	auditOp string
	// omit names body fields left out of the audit entry, not even HMAC'd.
	omit []string
	// handler decodes the request, calls one domain method and encodes
	// the answer: a method expression, (*Server).name.
	handler func(s *Server, ctx context.Context, req *request) (*response, error)
}

const (
	get    = "GET|HEAD"
	write  = "POST|PUT"
	list   = "LIST|GET"
	lookup = "GET|POST|PUT"
)

// routes is ward's whole HTTP API, after /v1/. A new engine is a domain
// service in the vault plus rows here: its paths, their methods, how each
// is authorized, and the handler that decodes, calls one domain method and
// encodes. The documented sets below (unauthenticatedPaths,
// sealedPaths) are checked against this table by a test.
var routes = []route{
	// The seal life cycle and health: no token, and they answer while sealed.
	{methods: get, pattern: "sys/health", mode: whileSealed, handler: (*Server).sysHealth},
	{methods: get, pattern: "sys/seal-status", mode: whileSealed, handler: (*Server).sysSealStatus},
	{methods: write, pattern: "sys/unseal", mode: whileSealed, handler: (*Server).sysUnseal},
	{methods: get, pattern: "sys/init", mode: whileSealed, handler: (*Server).sysInitStatus},
	{methods: write, pattern: "sys/init", mode: whileSealed, handler: (*Server).sysInit},

	// Whole-vault operations.
	{methods: write, pattern: "sys/seal", mode: byRoot, cap: policy.CapUpdate, handler: (*Server).sysSeal},
	{methods: write, pattern: "sys/rotate", mode: byRoot, cap: policy.CapUpdate, handler: (*Server).sysRotate},
	{methods: get, pattern: "sys/key-status", mode: byPolicy, cap: policy.CapRead, handler: (*Server).sysKeyStatus},
	{methods: get, pattern: "sys/mounts", mode: byPolicy, cap: policy.CapRead, handler: (*Server).sysMounts},
	{methods: write, pattern: "sys/mounts/{rest...}", mode: bySelf, auditOp: "refused", handler: (*Server).sysMountsEnable},
	{methods: get, pattern: "sys/auth", mode: byPolicy, cap: policy.CapRead, handler: (*Server).sysAuth},
	{methods: write, pattern: "sys/auth/{rest...}", mode: bySelf, auditOp: "refused", handler: (*Server).sysMountsEnable},
	{methods: get, pattern: "sys/audit", mode: byRoot, cap: policy.CapRead, handler: (*Server).sysAudit},
	{methods: get, pattern: "sys/leader", mode: unauthenticated, handler: (*Server).sysLeader},
	{methods: get, pattern: "sys/ward/snapshot", mode: byRoot, cap: policy.CapRead, handler: (*Server).sysSnapshot},
	{methods: get, pattern: "sys/internal/ui/mounts/{mount...}", mode: bySelf, auditOp: "self", handler: (*Server).sysUIMount},
	{methods: write, pattern: "sys/capabilities-self", mode: bySelf, auditOp: "self", handler: (*Server).sysCapabilitiesSelf},
	{methods: write, pattern: "sys/audit-hash", mode: byPolicy, cap: policy.CapUpdate, handler: (*Server).sysAuditHash},
	{methods: write, pattern: "sys/audit-hash/{rest...}", mode: byPolicy, cap: policy.CapUpdate, policy: "sys/audit-hash", handler: (*Server).sysAuditHash},

	// Watching access: metrics, and the detectors' alerts.
	{methods: get, pattern: "sys/metrics", mode: byPolicy, cap: policy.CapRead, handler: (*Server).sysMetrics},
	{methods: list, pattern: "sys/ward/alerts/", mode: byPolicy, cap: policy.CapList, policy: "sys/ward/alerts/", handler: (*Server).alertList},
	{methods: "GET", pattern: "sys/ward/alerts/{name}", mode: byPolicy, cap: policy.CapRead, handler: (*Server).alertRead},
	{methods: write, pattern: "sys/ward/alerts/{name}/ack", mode: byPolicy, cap: policy.CapUpdate, handler: (*Server).alertAck},

	// Policies.
	{methods: list, pattern: "sys/policies/acl/", mode: byPolicy, cap: policy.CapList, policy: "sys/policies/acl/", handler: (*Server).policyList},
	{methods: "GET", pattern: "sys/policies/acl/{name}", mode: byPolicy, cap: policy.CapRead, handler: (*Server).policyRead},
	{methods: write, pattern: "sys/policies/acl/{name}", mode: byPolicy, cap: policy.CapUpdate, handler: (*Server).policyWrite},
	{methods: "DELETE", pattern: "sys/policies/acl/{name}", mode: byPolicy, cap: policy.CapDelete, handler: (*Server).policyDelete},

	// Environments, their rules, types, usage and the expiring report.
	{methods: list, pattern: "sys/ward/envs/", mode: byPolicy, cap: policy.CapList, policy: "sys/ward/envs/", handler: (*Server).envList},
	{methods: "GET", pattern: "sys/ward/envs/{name}", mode: byPolicy, cap: policy.CapRead, handler: (*Server).envRead},
	{methods: write, pattern: "sys/ward/envs/{name}", mode: byRoot, cap: policy.CapCreate, handler: (*Server).envCreate},
	{methods: "DELETE", pattern: "sys/ward/envs/{env}", mode: byPolicy, cap: policy.CapDelete, handler: (*Server).envDelete},
	{methods: get, pattern: "sys/ward/envs/{env}/rules", mode: byPolicy, cap: policy.CapRead, policy: "sys/ward/envs/{env}/rules", handler: (*Server).envRulesRead},
	{methods: write, pattern: "sys/ward/envs/{env}/rules", mode: byPolicy, cap: policy.CapUpdate, policy: "sys/ward/envs/{env}/rules", handler: (*Server).envRulesWrite},
	{methods: "LIST|GET|HEAD", pattern: "sys/ward/types/", mode: byPolicy, cap: policy.CapList, policy: "sys/ward/types/", handler: (*Server).typeList},
	{methods: get, pattern: "sys/ward/types/{name}", mode: byPolicy, cap: policy.CapRead, handler: (*Server).typeRead},
	{methods: write, pattern: "sys/ward/types/{name}", mode: byPolicy, cap: policy.CapUpdate, handler: (*Server).typeWrite},
	{methods: "DELETE", pattern: "sys/ward/types/{name}", mode: byPolicy, cap: policy.CapDelete, handler: (*Server).typeDelete},
	{methods: get, pattern: "sys/ward/usage/{env}/{path...}", mode: byPolicy, cap: policy.CapRead, policy: "{env}/{path}", handler: (*Server).usageRead},
	{methods: get, pattern: "sys/ward/expiring", mode: perSecret, auditOp: "list-each", handler: (*Server).expiring},

	// Rotation and retirement of a KV secret (update, and destroy, on the
	// secret), its rotation status (read), and breach drills: update on
	// sys/ward/drill, which only admins are given.
	{methods: write, pattern: "sys/ward/rotate/{env}/{path...}", mode: byPolicy, cap: policy.CapUpdate, policy: "{env}/{path}", handler: (*Server).kvRotate},
	{methods: write, pattern: "sys/ward/retire/{env}/{path...}", mode: byPolicy, cap: policy.CapDestroy, policy: "{env}/{path}", handler: (*Server).kvRetire},
	{methods: get, pattern: "sys/ward/rotation/{env}/{path...}", mode: byPolicy, cap: policy.CapRead, policy: "{env}/{path}", handler: (*Server).kvRotationStatus},
	{methods: write, pattern: "sys/ward/drill/{env}", mode: byPolicy, cap: policy.CapUpdate, policy: "sys/ward/drill", handler: (*Server).drillRun},

	// The dashboard's reads (package ui): an environment's inventory and
	// the audit log, read-only.
	{methods: get, pattern: "sys/ward/inventory/{env}", mode: perSecret, auditOp: "list-each", handler: (*Server).inventory},
	{methods: get, pattern: "sys/ward/audit", mode: byPolicy, cap: policy.CapRead, handler: (*Server).auditQuery},

	// Batched reads for the CI side.
	{methods: write, pattern: "sys/ward/fetch/{env}", mode: perSecret, auditOp: "fetch", handler: (*Server).fetch},
	{methods: write, pattern: "sys/ward/fingerprints/{env}", mode: perSecret, auditOp: "fetch", handler: (*Server).fingerprints},

	// Policy as code.
	{methods: write, pattern: "sys/ward/plan", mode: byPolicy, cap: policy.CapRead, handler: (*Server).planHandler},
	{methods: write, pattern: "sys/ward/apply", mode: byPolicy, cap: policy.CapUpdate, handler: (*Server).applyHandler},

	// Step-up MFA: the caller's own TOTP enrolment, and an admin's view.
	{methods: write, pattern: "sys/ward/mfa/totp/enroll", mode: bySelf, auditOp: "self", handler: (*Server).mfaEnroll},
	{methods: write, pattern: "sys/ward/mfa/totp/confirm", mode: bySelf, auditOp: "self", omit: []string{"code"}, handler: (*Server).mfaConfirm},
	{methods: "GET", pattern: "sys/ward/mfa/totp/status", mode: bySelf, auditOp: "self", handler: (*Server).mfaStatus},
	{methods: write, pattern: "sys/ward/mfa/totp/verify", mode: bySelf, auditOp: "self", handler: (*Server).mfaVerify},
	{methods: "GET", pattern: "sys/ward/mfa/defaults", mode: bySelf, auditOp: "self", handler: (*Server).mfaDefaults},
	{methods: "GET", pattern: "sys/ward/mfa/totp/users/{user}", mode: byPolicy, cap: policy.CapRead, policy: "sys/ward/mfa/totp/users/{user}", handler: (*Server).mfaUserRead},
	{methods: "DELETE", pattern: "sys/ward/mfa/totp/users/{user}", mode: byPolicy, cap: policy.CapDelete, policy: "sys/ward/mfa/totp/users/{user}", handler: (*Server).mfaUserReset},

	// Tokens.
	{methods: write, pattern: "auth/token/create", mode: byPolicy, cap: policy.CapCreate, handler: (*Server).tokenCreateChild},
	{methods: write, pattern: "auth/token/create-orphan", mode: byPolicy, cap: policy.CapCreate, handler: (*Server).tokenCreateOrphan},
	{methods: lookup, pattern: "auth/token/lookup-self", mode: bySelf, auditOp: "self", handler: (*Server).tokenLookupSelf},
	{methods: write, pattern: "auth/token/renew-self", mode: bySelf, auditOp: "self", handler: (*Server).tokenRenewSelf},
	{methods: write, pattern: "auth/token/revoke-self", mode: bySelf, auditOp: "self", handler: (*Server).tokenRevokeSelf},
	{methods: lookup, pattern: "auth/token/lookup", mode: byPolicy, cap: policy.CapRead, handler: (*Server).tokenLookup},
	{methods: write, pattern: "auth/token/lookup-accessor", mode: byPolicy, cap: policy.CapRead, handler: (*Server).tokenLookupAccessor},
	{methods: write, pattern: "auth/token/renew", mode: byPolicy, cap: policy.CapUpdate, handler: (*Server).tokenRenew},
	{methods: write, pattern: "auth/token/revoke", mode: byPolicy, cap: policy.CapUpdate, handler: (*Server).tokenRevoke},
	{methods: write, pattern: "auth/token/revoke-accessor", mode: byPolicy, cap: policy.CapUpdate, handler: (*Server).tokenRevokeAccessor},
	{methods: write, pattern: "auth/token/revoke-orphan", mode: byRoot, cap: policy.CapUpdate, handler: (*Server).tokenRevokeOrphan},

	// Users and password logins.
	{methods: write, pattern: "auth/userpass/login", mode: unauthenticated, handler: (*Server).userLogin},
	{methods: write, pattern: "auth/userpass/login/{name}", mode: unauthenticated, handler: (*Server).userLogin},
	{methods: "LIST", pattern: "auth/userpass/users/", mode: byPolicy, cap: policy.CapList, policy: "auth/userpass/users/", handler: (*Server).userList},
	{methods: "GET", pattern: "auth/userpass/users/{user}", mode: byPolicy, cap: policy.CapRead, policy: "auth/userpass/users/{user}", omit: []string{"password"}, handler: (*Server).userRead},
	{methods: write, pattern: "auth/userpass/users/{user}", mode: byPolicy, capFor: userCreateOrUpdate, policy: "auth/userpass/users/{user}", omit: []string{"password"}, handler: (*Server).userWrite},
	{methods: "DELETE", pattern: "auth/userpass/users/{user}", mode: byPolicy, cap: policy.CapDelete, policy: "auth/userpass/users/{user}", omit: []string{"password"}, handler: (*Server).userDelete},
	// Its own policy path: a rule can let a user change a password
	// without letting them change their own policies.
	{methods: write, pattern: "auth/userpass/users/{user}/password", mode: byPolicy, cap: policy.CapUpdate, policy: "auth/userpass/users/{user}/password", omit: []string{"password"}, handler: (*Server).userPassword},

	// CI logins (JWT/OIDC).
	{methods: write, pattern: "auth/jwt/login", mode: unauthenticated, handler: (*Server).jwtLogin},
	{methods: get, pattern: "auth/jwt/config", mode: byPolicy, cap: policy.CapRead, handler: (*Server).jwtConfigRead},
	{methods: write, pattern: "auth/jwt/config", mode: byRoot, cap: policy.CapUpdate, handler: (*Server).jwtConfigWrite},
	{methods: list, pattern: "auth/jwt/role/", mode: byPolicy, cap: policy.CapList, policy: "auth/jwt/role/", handler: (*Server).jwtRoleList},
	{methods: "GET", pattern: "auth/jwt/role/{name}", mode: byPolicy, cap: policy.CapRead, handler: (*Server).jwtRoleRead},
	{methods: write, pattern: "auth/jwt/role/{name}", mode: byPolicy, cap: policy.CapUpdate, handler: (*Server).jwtRoleWrite},
	{methods: "DELETE", pattern: "auth/jwt/role/{name}", mode: byPolicy, cap: policy.CapDelete, handler: (*Server).jwtRoleDelete},

	// Leases of dynamic credentials (see leases.go): the token that got a
	// lease, or a lease admin of its environment (update on
	// sys/leases/admin), may look it up, renew and revoke it; the vault
	// decides per lease. Revoke-prefix is for lease admins only.
	{methods: write, pattern: "sys/leases/lookup", mode: bySelf, auditOp: "lease", handler: (*Server).leaseLookup},
	{methods: "LIST", pattern: "sys/leases/lookup/{prefix...}", mode: bySelf, auditOp: "lease", handler: (*Server).leaseList},
	{methods: write, pattern: "sys/leases/renew", mode: bySelf, auditOp: "lease", handler: (*Server).leaseRenew},
	{methods: write, pattern: "sys/leases/renew/{rest...}", mode: bySelf, auditOp: "lease", handler: (*Server).leaseRenew},
	{methods: write, pattern: "sys/leases/revoke", mode: bySelf, auditOp: "lease", handler: (*Server).leaseRevoke},
	{methods: write, pattern: "sys/leases/revoke/{rest...}", mode: bySelf, auditOp: "lease", handler: (*Server).leaseRevoke},
	{methods: write, pattern: "sys/leases/revoke-prefix/{prefix...}", mode: byPolicy, cap: policy.CapUpdate, policy: "sys/leases/admin", handler: (*Server).leaseRevokePrefix},
	{methods: "GET", pattern: "sys/ward/leases/failed", mode: bySelf, auditOp: "lease", handler: (*Server).leaseFailed},

	// Each environment's database engine (see database.go), in the shapes
	// of Vault's. Policies name these paths as they are called
	// (staging/database/creds/app); a KV secret is named ENV/PATH, so a
	// rule on staging/database/* would also reach KV secrets under
	// database/ — write engine rules with the engine's sub-path.
	{methods: list, pattern: "{env}/database/config/", mode: byPolicy, cap: policy.CapList, handler: (*Server).dbConfigList},
	{methods: "GET", pattern: "{env}/database/config/{name}", mode: byPolicy, cap: policy.CapRead, handler: (*Server).dbConfigRead},
	{methods: write, pattern: "{env}/database/config/{name}", mode: byPolicy, cap: policy.CapUpdate, omit: []string{"password"}, handler: (*Server).dbConfigWrite},
	{methods: "DELETE", pattern: "{env}/database/config/{name}", mode: byPolicy, cap: policy.CapDelete, handler: (*Server).dbConfigDelete},
	{methods: list, pattern: "{env}/database/roles/", mode: byPolicy, cap: policy.CapList, handler: (*Server).dbRoleList},
	{methods: "GET", pattern: "{env}/database/roles/{name}", mode: byPolicy, cap: policy.CapRead, handler: (*Server).dbRoleRead},
	{methods: write, pattern: "{env}/database/roles/{name}", mode: byPolicy, cap: policy.CapUpdate, handler: (*Server).dbRoleWrite},
	{methods: "DELETE", pattern: "{env}/database/roles/{name}", mode: byPolicy, cap: policy.CapDelete, handler: (*Server).dbRoleDelete},
	{methods: get, pattern: "{env}/database/creds/{name}", mode: byPolicy, cap: policy.CapRead, handler: (*Server).dbCreds},
	{methods: write, pattern: "{env}/database/rotate-root/{name}", mode: byPolicy, cap: policy.CapUpdate, handler: (*Server).dbRotateRoot},
	// Static roles (see rotation.go): an existing user (with ward's
	// alternate_username, a pair) whose password only ward knows.
	{methods: list, pattern: "{env}/database/static-roles/", mode: byPolicy, cap: policy.CapList, handler: (*Server).staticRoleList},
	{methods: "GET", pattern: "{env}/database/static-roles/{name}", mode: byPolicy, cap: policy.CapRead, handler: (*Server).staticRoleRead},
	{methods: write, pattern: "{env}/database/static-roles/{name}", mode: byPolicy, cap: policy.CapUpdate, handler: (*Server).staticRoleWrite},
	{methods: "DELETE", pattern: "{env}/database/static-roles/{name}", mode: byPolicy, cap: policy.CapDelete, handler: (*Server).staticRoleDelete},
	{methods: get, pattern: "{env}/database/static-creds/{name}", mode: byPolicy, cap: policy.CapRead, handler: (*Server).staticCreds},
	{methods: write, pattern: "{env}/database/rotate-role/{name}", mode: byPolicy, cap: policy.CapUpdate, handler: (*Server).staticRotate},

	// Each environment's KV v2 mount, in Vault's shapes. Policies name a
	// secret ENV/PATH, whichever of these endpoints reaches it.
	{methods: "GET", pattern: "{env}/data/{path...}", mode: byPolicy, cap: policy.CapRead, policy: "{env}/{path}", handler: (*Server).kvRead},
	{methods: write, pattern: "{env}/data/{path...}", mode: byPolicy, capFor: secretCreateOrUpdate, policy: "{env}/{path}", handler: (*Server).kvWrite},
	{methods: "PATCH", pattern: "{env}/data/{path...}", mode: byPolicy, cap: policy.CapPatch, policy: "{env}/{path}", handler: (*Server).kvPatch},
	{methods: "DELETE", pattern: "{env}/data/{path...}", mode: byPolicy, cap: policy.CapDelete, policy: "{env}/{path}", handler: (*Server).kvDeleteLatest},
	{methods: write, pattern: "{env}/delete/{path...}", mode: byPolicy, cap: policy.CapDelete, policy: "{env}/{path}", handler: (*Server).kvDeleteVersions},
	{methods: write, pattern: "{env}/undelete/{path...}", mode: byPolicy, cap: policy.CapUndelete, policy: "{env}/{path}", handler: (*Server).kvUndelete},
	{methods: write, pattern: "{env}/destroy/{path...}", mode: byPolicy, cap: policy.CapDestroy, policy: "{env}/{path}", handler: (*Server).kvDestroy},
	{methods: "LIST", pattern: "{env}/metadata/{prefix...}", mode: byPolicy, cap: policy.CapList, policy: "{env}/{prefix}", handler: (*Server).kvList},
	{methods: "GET", pattern: "{env}/metadata/{path...}", mode: byPolicy, cap: policy.CapRead, policy: "{env}/{path}", handler: (*Server).kvMetadataRead},
	{methods: write, pattern: "{env}/metadata/{path...}", mode: byPolicy, capFor: secretCreateOrUpdate, policy: "{env}/{path}", handler: (*Server).kvMetadataWrite},
	// Deleting the metadata destroys every version for good.
	{methods: "DELETE", pattern: "{env}/metadata/{path...}", mode: byPolicy, cap: policy.CapDestroy, policy: "{env}/{path}", handler: (*Server).kvMetadataDelete},
	{methods: "GET", pattern: "{env}/config", mode: byPolicy, cap: policy.CapRead, policy: "sys/ward/envs/{env}/config", handler: (*Server).kvConfigRead},
	{methods: write, pattern: "{env}/config", mode: byPolicy, cap: policy.CapUpdate, policy: "sys/ward/envs/{env}/config", handler: (*Server).kvConfigWrite},
}
