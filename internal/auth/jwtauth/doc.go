// Package jwtauth checks the JSON Web Tokens that CI platforms (GitHub
// Actions, GitLab CI, any OpenID Connect issuer) mint for each job, so that
// ward can exchange them for short-lived ward tokens. It fails closed: a
// token is accepted only with a verified signature from the configured
// issuer's keys, the right issuer and audience, a current life, and every
// claim the role binds.
//
// Two calls do the work. A Validator is built once per issuer
// configuration and keeps its key cache; Validate checks one token against
// one role:
//
//	v, err := jwtauth.NewValidator(cfg, jwtauth.Options{})
//	res, err := v.Validate(ctx, role, rawJWT)
//	// res.Meta is public context for the ward token and the audit log.
//
// # Rules
//
//   - Size: a token longer than MaxTokenBytes is refused before parsing.
//   - Form: compact JWS only (three base64url parts). A header that names
//     keys of its own (jwk, jku, x5u, x5c), sets crit, or a typ other
//     than JWT is refused.
//   - Algorithms: RS256/384/512 and PS256/384/512 with RSA keys of at least
//     2048 bits, ES256 with P-256, ES384 with P-384, EdDSA with Ed25519.
//     "none" and every HMAC algorithm are refused, whatever the key. A key
//     that names its own alg allows only that one.
//   - Keys: from the configured issuer only (static PEM keys, a JWKS URL,
//     or OIDC discovery). See RemoteKeys for caching and outages.
//   - Claims: iss must equal the bound issuer. aud, a string or an array
//     of strings, must contain one of the role's bound audiences; a token
//     without aud is refused. exp and iat are required; exp, nbf and iat
//     are checked with Leeway (at most 60 s), and iat must be no older
//     than the role's max_age.
//   - Bound claims compare exactly as typed: a string matches only a
//     string with the same bytes (no case folding, no trimming), a number
//     only a number of the same value, a bool only a bool. A list of bound
//     values means any of them. A claim that is an array matches when one
//     of its elements does.
//
// # Globs
//
// With bound_claims_type "glob", string bound values are patterns:
//
//	pattern  matches
//	*        any run of characters, possibly empty, that holds no ':' and no '/'
//	**       any run of characters, ':' and '/' included
//	\c       the character c itself (\* is a star)
//
// Every other character matches only itself, case included. So
// "refs/heads/*" matches refs/heads/main but not refs/heads/feat/x, and
// "repo:acme/*:ref:refs/heads/main" cannot be satisfied by a repository
// name that smuggles in ":ref:refs/heads/main".
package jwtauth
