// Package server is ward's HTTP API: HashiCorp Vault's shapes (KV v2 under
// each environment's mount, auth/token/*, sys/*) over a vault.Vault.
//
//	srv := server.New(server.Config{Vault: v})
//	err := srv.Serve(ctx, listener)
//
// # Who owns what
//
// The vault (package vault and the services under it) owns every security
// and business rule: logins, lockouts, step-up MFA, per-secret
// authorization of batched reads, write-time checks, engines. This package
// owns HTTP only: it decodes a request, calls one domain method, and
// encodes the answer in Vault's shapes. Its pipeline is the same for every
// request: size limits, path canonicalisation, the route table, token
// lookup, the environment boundary, the policy check, and the audit log,
// which fails closed: nothing is changed before its request entry is in
// the log, and nothing is answered before its response entry is. (A read's
// request entry is written together with its response entry, in one write.)
//
// # The route table
//
// routes (routes.go) is the one list of the API: method, path pattern,
// handler, and how each route is authorized: by a policy capability on a
// policy path, for the token itself ("self"), per secret by the domain
// method, by a root token only (whole-vault operations: seal, rotate,
// snapshots, creating environments, the JWT issuer), with no token, or
// with no token while sealed. A new engine is a
// domain service plus rows there.
//
// # Routes without a token
//
// These answer with no token; a test holds the table to this list.
// Logins audit themselves:
//
//	POST|PUT auth/userpass/login
//	POST|PUT auth/userpass/login/{name}
//	POST|PUT auth/jwt/login
//	GET|HEAD sys/leader
//
// These also answer while ward is sealed; every other route answers 503:
//
//	GET|HEAD sys/health
//	GET|HEAD sys/seal-status
//	GET|HEAD sys/init
//	POST|PUT sys/init
//	POST|PUT sys/unseal
package server
