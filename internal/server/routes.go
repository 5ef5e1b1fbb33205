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
	}
	return "none"
}

type handlerFunc func(ctx context.Context, req *request) (*response, error)

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
	omit    []string
	handler func(s *Server) handlerFunc
}

// h adapts a Server method expression to a route's handler.
func h(f func(*Server, context.Context, *request) (*response, error)) func(*Server) handlerFunc {
	return func(s *Server) handlerFunc {
		return func(ctx context.Context, req *request) (*response, error) { return f(s, ctx, req) }
	}
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
	{methods: get, pattern: "sys/health", mode: whileSealed, handler: h((*Server).sysHealth)},
	{methods: get, pattern: "sys/seal-status", mode: whileSealed, handler: h((*Server).sysSealStatus)},
	{methods: write, pattern: "sys/unseal", mode: whileSealed, handler: h((*Server).sysUnseal)},
	{methods: get, pattern: "sys/init", mode: whileSealed, handler: h((*Server).sysInitStatus)},
	{methods: write, pattern: "sys/init", mode: whileSealed, handler: h((*Server).sysInit)},

	// Whole-vault operations.
	{methods: write, pattern: "sys/seal", mode: byPolicy, cap: policy.CapUpdate, handler: h((*Server).sysSeal)},
	{methods: write, pattern: "sys/rotate", mode: byPolicy, cap: policy.CapUpdate, handler: h((*Server).sysRotate)},
	{methods: get, pattern: "sys/key-status", mode: byPolicy, cap: policy.CapRead, handler: h((*Server).sysKeyStatus)},
	{methods: get, pattern: "sys/mounts", mode: byPolicy, cap: policy.CapRead, handler: h((*Server).sysMounts)},
	{methods: get, pattern: "sys/internal/ui/mounts/{mount...}", mode: bySelf, auditOp: "self", handler: h((*Server).sysUIMount)},
	{methods: write, pattern: "sys/capabilities-self", mode: bySelf, auditOp: "self", handler: h((*Server).sysCapabilitiesSelf)},
	{methods: write, pattern: "sys/audit-hash", mode: byPolicy, cap: policy.CapUpdate, handler: h((*Server).sysAuditHash)},
	{methods: write, pattern: "sys/audit-hash/{rest...}", mode: byPolicy, cap: policy.CapUpdate, policy: "sys/audit-hash", handler: h((*Server).sysAuditHash)},

	// Policies.
	{methods: list, pattern: "sys/policies/acl/", mode: byPolicy, cap: policy.CapList, policy: "sys/policies/acl/", handler: h((*Server).policyList)},
	{methods: "GET", pattern: "sys/policies/acl/{name}", mode: byPolicy, cap: policy.CapRead, handler: h((*Server).policyRead)},
	{methods: write, pattern: "sys/policies/acl/{name}", mode: byPolicy, cap: policy.CapUpdate, handler: h((*Server).policyWrite)},
	{methods: "DELETE", pattern: "sys/policies/acl/{name}", mode: byPolicy, cap: policy.CapDelete, handler: h((*Server).policyDelete)},

	// Environments, their rules, types, usage and the expiring report.
	{methods: list, pattern: "sys/ward/envs/", mode: byPolicy, cap: policy.CapList, policy: "sys/ward/envs/", handler: h((*Server).envList)},
	{methods: "GET", pattern: "sys/ward/envs/{name}", mode: byPolicy, cap: policy.CapRead, handler: h((*Server).envRead)},
	{methods: write, pattern: "sys/ward/envs/{name}", mode: byPolicy, cap: policy.CapCreate, handler: h((*Server).envCreate)},
	{methods: "DELETE", pattern: "sys/ward/envs/{name}", mode: byPolicy, cap: policy.CapDelete, handler: h((*Server).envDelete)},
	{methods: get, pattern: "sys/ward/envs/{name}/rules", mode: byPolicy, cap: policy.CapRead, handler: h((*Server).envRulesRead)},
	{methods: write, pattern: "sys/ward/envs/{name}/rules", mode: byPolicy, cap: policy.CapUpdate, handler: h((*Server).envRulesWrite)},
	{methods: "LIST|GET|HEAD", pattern: "sys/ward/types/", mode: byPolicy, cap: policy.CapList, policy: "sys/ward/types/", handler: h((*Server).typeList)},
	{methods: get, pattern: "sys/ward/types/{name}", mode: byPolicy, cap: policy.CapRead, handler: h((*Server).typeRead)},
	{methods: write, pattern: "sys/ward/types/{name}", mode: byPolicy, cap: policy.CapUpdate, handler: h((*Server).typeWrite)},
	{methods: "DELETE", pattern: "sys/ward/types/{name}", mode: byPolicy, cap: policy.CapDelete, handler: h((*Server).typeDelete)},
	{methods: get, pattern: "sys/ward/usage/{env}/{path...}", mode: byPolicy, cap: policy.CapRead, policy: "{env}/{path}", handler: h((*Server).usageRead)},
	{methods: get, pattern: "sys/ward/expiring", mode: perSecret, auditOp: "list-each", handler: h((*Server).expiring)},

	// Batched reads for the CI side.
	{methods: write, pattern: "sys/ward/fetch/{env}", mode: perSecret, auditOp: "fetch", handler: h((*Server).fetch)},
	{methods: write, pattern: "sys/ward/fingerprints/{env}", mode: perSecret, auditOp: "fetch", handler: h((*Server).fingerprints)},

	// Policy as code.
	{methods: write, pattern: "sys/ward/plan", mode: byPolicy, cap: policy.CapRead, handler: h((*Server).planHandler)},
	{methods: write, pattern: "sys/ward/apply", mode: byPolicy, cap: policy.CapUpdate, handler: h((*Server).applyHandler)},

	// Step-up MFA: the caller's own TOTP enrolment, and an admin's view.
	{methods: write, pattern: "sys/ward/mfa/totp/enroll", mode: bySelf, auditOp: "self", handler: h((*Server).mfaEnroll)},
	{methods: write, pattern: "sys/ward/mfa/totp/confirm", mode: bySelf, auditOp: "self", omit: []string{"code"}, handler: h((*Server).mfaConfirm)},
	{methods: "GET", pattern: "sys/ward/mfa/totp/status", mode: bySelf, auditOp: "self", handler: h((*Server).mfaStatus)},
	{methods: "GET", pattern: "sys/ward/mfa/defaults", mode: bySelf, auditOp: "self", handler: h((*Server).mfaDefaults)},
	{methods: "GET", pattern: "sys/ward/mfa/totp/users/{user}", mode: byPolicy, cap: policy.CapRead, policy: "sys/ward/mfa/totp/users/{user}", handler: h((*Server).mfaUserRead)},
	{methods: "DELETE", pattern: "sys/ward/mfa/totp/users/{user}", mode: byPolicy, cap: policy.CapDelete, policy: "sys/ward/mfa/totp/users/{user}", handler: h((*Server).mfaUserReset)},

	// Tokens.
	{methods: write, pattern: "auth/token/create", mode: byPolicy, cap: policy.CapCreate, handler: h((*Server).tokenCreateChild)},
	{methods: write, pattern: "auth/token/create-orphan", mode: byPolicy, cap: policy.CapCreate, handler: h((*Server).tokenCreateOrphan)},
	{methods: lookup, pattern: "auth/token/lookup-self", mode: bySelf, auditOp: "self", handler: h((*Server).tokenLookupSelf)},
	{methods: write, pattern: "auth/token/renew-self", mode: bySelf, auditOp: "self", handler: h((*Server).tokenRenewSelf)},
	{methods: write, pattern: "auth/token/revoke-self", mode: bySelf, auditOp: "self", handler: h((*Server).tokenRevokeSelf)},
	{methods: lookup, pattern: "auth/token/lookup", mode: byPolicy, cap: policy.CapRead, handler: h((*Server).tokenLookup)},
	{methods: write, pattern: "auth/token/lookup-accessor", mode: byPolicy, cap: policy.CapRead, handler: h((*Server).tokenLookupAccessor)},
	{methods: write, pattern: "auth/token/renew", mode: byPolicy, cap: policy.CapUpdate, handler: h((*Server).tokenRenew)},
	{methods: write, pattern: "auth/token/revoke", mode: byPolicy, cap: policy.CapUpdate, handler: h((*Server).tokenRevoke)},
	{methods: write, pattern: "auth/token/revoke-accessor", mode: byPolicy, cap: policy.CapUpdate, handler: h((*Server).tokenRevokeAccessor)},

	// Users and password logins.
	{methods: write, pattern: "auth/userpass/login", mode: unauthenticated, handler: h((*Server).userLogin)},
	{methods: write, pattern: "auth/userpass/login/{name}", mode: unauthenticated, handler: h((*Server).userLogin)},
	{methods: "LIST", pattern: "auth/userpass/users/", mode: byPolicy, cap: policy.CapList, policy: "auth/userpass/users/", handler: h((*Server).userList)},
	{methods: "GET", pattern: "auth/userpass/users/{user}", mode: byPolicy, cap: policy.CapRead, policy: "auth/userpass/users/{user}", omit: []string{"password"}, handler: h((*Server).userRead)},
	{methods: write, pattern: "auth/userpass/users/{user}", mode: byPolicy, capFor: userCreateOrUpdate, policy: "auth/userpass/users/{user}", omit: []string{"password"}, handler: h((*Server).userWrite)},
	{methods: "DELETE", pattern: "auth/userpass/users/{user}", mode: byPolicy, cap: policy.CapDelete, policy: "auth/userpass/users/{user}", omit: []string{"password"}, handler: h((*Server).userDelete)},
	// Its own policy path: a rule can let a user change a password
	// without letting them change their own policies.
	{methods: write, pattern: "auth/userpass/users/{user}/password", mode: byPolicy, cap: policy.CapUpdate, policy: "auth/userpass/users/{user}/password", omit: []string{"password"}, handler: h((*Server).userPassword)},

	// CI logins (JWT/OIDC).
	{methods: write, pattern: "auth/jwt/login", mode: unauthenticated, handler: h((*Server).jwtLogin)},
	{methods: get, pattern: "auth/jwt/config", mode: byPolicy, cap: policy.CapRead, handler: h((*Server).jwtConfigRead)},
	{methods: write, pattern: "auth/jwt/config", mode: byPolicy, cap: policy.CapUpdate, handler: h((*Server).jwtConfigWrite)},
	{methods: list, pattern: "auth/jwt/role/", mode: byPolicy, cap: policy.CapList, policy: "auth/jwt/role/", handler: h((*Server).jwtRoleList)},
	{methods: "GET", pattern: "auth/jwt/role/{name}", mode: byPolicy, cap: policy.CapRead, handler: h((*Server).jwtRoleRead)},
	{methods: write, pattern: "auth/jwt/role/{name}", mode: byPolicy, cap: policy.CapUpdate, handler: h((*Server).jwtRoleWrite)},
	{methods: "DELETE", pattern: "auth/jwt/role/{name}", mode: byPolicy, cap: policy.CapDelete, handler: h((*Server).jwtRoleDelete)},

	// Each environment's KV v2 mount, in Vault's shapes. Policies name a
	// secret ENV/PATH, whichever of these endpoints reaches it.
	{methods: "GET", pattern: "{env}/data/{path...}", mode: byPolicy, cap: policy.CapRead, policy: "{env}/{path}", handler: h((*Server).kvRead)},
	{methods: write, pattern: "{env}/data/{path...}", mode: byPolicy, capFor: secretCreateOrUpdate, policy: "{env}/{path}", handler: h((*Server).kvWrite)},
	{methods: "PATCH", pattern: "{env}/data/{path...}", mode: byPolicy, cap: policy.CapPatch, policy: "{env}/{path}", handler: h((*Server).kvPatch)},
	{methods: "DELETE", pattern: "{env}/data/{path...}", mode: byPolicy, cap: policy.CapDelete, policy: "{env}/{path}", handler: h((*Server).kvDeleteLatest)},
	{methods: write, pattern: "{env}/delete/{path...}", mode: byPolicy, cap: policy.CapDelete, policy: "{env}/{path}", handler: h((*Server).kvDeleteVersions)},
	{methods: write, pattern: "{env}/undelete/{path...}", mode: byPolicy, cap: policy.CapUndelete, policy: "{env}/{path}", handler: h((*Server).kvUndelete)},
	{methods: write, pattern: "{env}/destroy/{path...}", mode: byPolicy, cap: policy.CapDestroy, policy: "{env}/{path}", handler: h((*Server).kvDestroy)},
	{methods: "LIST", pattern: "{env}/metadata/{prefix...}", mode: byPolicy, cap: policy.CapList, policy: "{env}/{prefix}", handler: h((*Server).kvList)},
	{methods: "GET", pattern: "{env}/metadata/{path...}", mode: byPolicy, cap: policy.CapRead, policy: "{env}/{path}", handler: h((*Server).kvMetadataRead)},
	{methods: write, pattern: "{env}/metadata/{path...}", mode: byPolicy, capFor: secretCreateOrUpdate, policy: "{env}/{path}", handler: h((*Server).kvMetadataWrite)},
	// Deleting the metadata destroys every version for good.
	{methods: "DELETE", pattern: "{env}/metadata/{path...}", mode: byPolicy, cap: policy.CapDestroy, policy: "{env}/{path}", handler: h((*Server).kvMetadataDelete)},
	{methods: "GET", pattern: "{env}/config", mode: byPolicy, cap: policy.CapRead, policy: "sys/ward/envs/{env}/config", handler: h((*Server).kvConfigRead)},
	{methods: write, pattern: "{env}/config", mode: byPolicy, cap: policy.CapUpdate, policy: "sys/ward/envs/{env}/config", handler: h((*Server).kvConfigWrite)},
}
