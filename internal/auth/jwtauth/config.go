package jwtauth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/wardhq/ward/internal/auth"
	"github.com/wardhq/ward/internal/lazyre"
	"github.com/wardhq/ward/internal/policy"
)

// Config is the issuer configuration, auth/jwt/config in Vault's shapes.
// Exactly one key source is set.
type Config struct {
	// OIDCDiscoveryURL is the issuer URL; its
	// /.well-known/openid-configuration names the JWKS.
	OIDCDiscoveryURL string `json:"oidc_discovery_url,omitempty"`
	// JWKSURL is the issuer's JSON Web Key Set.
	JWKSURL string `json:"jwks_url,omitempty"`
	// JWTValidationPubkeys are PEM public keys (PKIX or PKCS#1 RSA).
	JWTValidationPubkeys []string `json:"jwt_validation_pubkeys,omitempty"`
	// BoundIssuer is what every token's iss must equal. With discovery it
	// defaults to OIDCDiscoveryURL, as OpenID Connect requires; with the
	// other sources it is required.
	BoundIssuer string `json:"bound_issuer,omitempty"`
}

// Check reports the first problem with c, as a *FieldError, and fills in
// BoundIssuer from OIDCDiscoveryURL when it is empty.
func (c *Config) Check() error {
	n := 0
	for _, set := range []bool{c.OIDCDiscoveryURL != "", c.JWKSURL != "", len(c.JWTValidationPubkeys) > 0} {
		if set {
			n++
		}
	}
	if n != 1 {
		return &FieldError{"oidc_discovery_url", "set exactly one of oidc_discovery_url, jwks_url and jwt_validation_pubkeys"}
	}
	for field, u := range map[string]string{"oidc_discovery_url": c.OIDCDiscoveryURL, "jwks_url": c.JWKSURL} {
		if u == "" {
			continue
		}
		if err := checkURL(u); err != nil {
			return &FieldError{field, err.Error()}
		}
	}
	for i, p := range c.JWTValidationPubkeys {
		if _, err := parsePublicKeyPEM(p); err != nil {
			return &FieldError{fmt.Sprintf("jwt_validation_pubkeys[%d]", i), err.Error()}
		}
	}
	if c.BoundIssuer == "" && c.OIDCDiscoveryURL != "" {
		c.BoundIssuer = strings.TrimRight(c.OIDCDiscoveryURL, "/")
	}
	if c.BoundIssuer == "" {
		return &FieldError{"bound_issuer", "required: ward checks every token's iss against it (e.g. https://token.actions.githubusercontent.com)"}
	}
	return nil
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q is not an http:// or https:// URL", s)
	}
	if u.User != nil {
		return fmt.Errorf("a URL with credentials in it is not accepted")
	}
	return nil
}

// parsePublicKeyPEM parses one PEM public key of a type ward accepts.
func parsePublicKeyPEM(s string) (any, error) {
	b, rest := pem.Decode([]byte(s))
	if b == nil {
		return nil, fmt.Errorf("not a PEM block")
	}
	if len(strings.TrimSpace(string(rest))) > 0 {
		return nil, fmt.Errorf("give one PEM key per list entry")
	}
	var key any
	var err error
	switch b.Type {
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(b.Bytes)
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(b.Bytes)
	default:
		return nil, fmt.Errorf("PEM type %q is not a public key; give a PUBLIC KEY block", b.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("the PEM key does not parse: %v", err)
	}
	if len(algsForKey(key)) == 0 {
		return nil, fmt.Errorf("unsupported key (RSA of at least 2048 bits, EC P-256 or P-384, or Ed25519)")
	}
	return key, nil
}

// Role is auth/jwt/role/NAME: who may log in with it, and what token they
// get. The zero values of optional fields are documented beside them.
type Role struct {
	// BoundAudiences: the token's aud must contain one. Required.
	BoundAudiences []string `json:"bound_audiences"`
	// BoundSubject, if set, must equal sub exactly.
	BoundSubject string `json:"bound_subject,omitempty"`
	// BoundClaims maps a claim name (or a JSON pointer such as
	// /nested/claim) to a value or a list of values, any of which matches.
	BoundClaims map[string]any `json:"bound_claims,omitempty"`
	// BoundClaimsType is "string" (exact; the default) or "glob".
	BoundClaimsType string `json:"bound_claims_type,omitempty"`
	// ClaimMappings copies claims (name → metadata key) into the token's
	// metadata, and so into the audit log.
	ClaimMappings map[string]string `json:"claim_mappings,omitempty"`
	// UserClaim names the claim that identifies the caller; "" means sub.
	UserClaim string `json:"user_claim,omitempty"`
	// TokenPolicies are the policies of the token. Required.
	TokenPolicies []string `json:"token_policies"`
	// TokenTTL and TokenMaxTTL: 0 means DefaultTokenTTL and
	// DefaultTokenMaxTTL.
	TokenTTL    time.Duration `json:"token_ttl"`
	TokenMaxTTL time.Duration `json:"token_max_ttl"`
	// MaxAge is the most time since iat; 0 means DefaultMaxAge.
	MaxAge time.Duration `json:"max_age"`
	// Environment is the one environment the token reaches. Required.
	Environment string `json:"environment"`
	// ApprovalClaims names the claims (exact values, one or a list) that
	// together mean a person approved this run: GitHub's environment with
	// required reviewers and ref_protected, GitLab's protected environment
	// and branch. A login whose token has them all carries
	// ApprovalMetaKey, which stands in for TOTP at the apply-to-prod
	// step-up. Optional.
	ApprovalClaims map[string]any `json:"approval_claims,omitempty"`
	// EnvironmentID pins the environment as it was when the role was
	// written: a login fails if it was deleted and made again since.
	EnvironmentID string `json:"environment_id,omitempty"`
}

// Defaults for a Role's zero fields.
const (
	DefaultTokenTTL    = 15 * time.Minute
	DefaultTokenMaxTTL = time.Hour
	DefaultMaxAge      = time.Hour
)

var (
	metaKeyRE  = lazyre.New(`^[A-Za-z0-9_.-]{1,64}$`)
	roleNameRE = lazyre.New(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)
)

// ValidRoleName reports whether name can name a role.
func ValidRoleName(name string) error {
	if !roleNameRE().MatchString(name) {
		return &FieldError{"name", fmt.Sprintf("role name %q must be 1-128 letters, digits, '_', '.' or '-', starting with a letter or digit", name)}
	}
	return nil
}

// Check reports the first problem with r as a *FieldError, and sorts and
// de-duplicates its lists. It does not check that the environment and the
// policies exist; the vault does.
func (r *Role) Check() error {
	if len(r.BoundAudiences) == 0 {
		return &FieldError{"bound_audiences", "required: a role must name the audiences it accepts, e.g. [\"https://ward.example.com\"]; without it any token from the issuer, minted for any service, would log in"}
	}
	for _, a := range r.BoundAudiences {
		if a == "" {
			return &FieldError{"bound_audiences", "an audience is empty"}
		}
	}
	switch r.BoundClaimsType {
	case "":
		r.BoundClaimsType = "string"
	case "string", "glob":
	default:
		return &FieldError{"bound_claims_type", fmt.Sprintf("%q: give \"string\" or \"glob\"", r.BoundClaimsType)}
	}
	for name, want := range r.BoundClaims {
		if name == "" {
			return &FieldError{"bound_claims", "a claim name is empty"}
		}
		vals, err := boundValues(want)
		if err != nil {
			return &FieldError{"bound_claims", fmt.Sprintf("claim %q: %v", name, err)}
		}
		if r.BoundClaimsType == "glob" {
			for _, v := range vals {
				if s, ok := v.(string); ok {
					if err := checkGlob(s); err != nil {
						return &FieldError{"bound_claims", fmt.Sprintf("claim %q: %v", name, err)}
					}
				}
			}
		}
	}
	if err := checkApproval(r); err != nil {
		return err
	}
	for claim, key := range r.ClaimMappings {
		switch {
		case claim == "":
			return &FieldError{"claim_mappings", "a claim name is empty"}
		case !metaKeyRE().MatchString(key):
			return &FieldError{"claim_mappings", fmt.Sprintf("metadata key %q must be 1-64 letters, digits, '_', '.' or '-'", key)}
		case auth.ReservedMetaKey(key):
			// ward's logins write these; a claim cannot pose as another.
			return &FieldError{"claim_mappings", fmt.Sprintf("metadata key %q is set by ward itself (%s); choose another", key, auth.ReservedMetaSummary)}
		}
	}
	if len(r.TokenPolicies) == 0 {
		return &FieldError{"token_policies", "required: name the policies of the tokens this role gives"}
	}
	for _, p := range r.TokenPolicies {
		if p == policy.RootName {
			return &FieldError{"token_policies", "a login never gives the root policy"}
		}
		if err := policy.ValidName(p); err != nil {
			return &FieldError{"token_policies", err.Error()}
		}
	}
	slices.Sort(r.TokenPolicies)
	r.TokenPolicies = slices.Compact(r.TokenPolicies)
	switch {
	case r.TokenTTL < 0:
		return &FieldError{"token_ttl", "negative"}
	case r.TokenMaxTTL < 0:
		return &FieldError{"token_max_ttl", "negative"}
	case r.MaxAge < 0:
		return &FieldError{"max_age", "negative"}
	case r.TokenTTL > 0 && r.TokenMaxTTL > 0 && r.TokenTTL > r.TokenMaxTTL:
		return &FieldError{"token_ttl", "longer than token_max_ttl"}
	}
	if r.Environment == "" {
		return &FieldError{"environment", "required: a CI token reaches exactly one environment; name it, e.g. \"staging\""}
	}
	return nil
}

// TTLs returns the token TTL and max TTL with defaults applied.
func (r *Role) TTLs() (ttl, maxTTL time.Duration) {
	ttl, maxTTL = r.TokenTTL, r.TokenMaxTTL
	if maxTTL == 0 {
		maxTTL = DefaultTokenMaxTTL
	}
	if ttl == 0 {
		ttl = min(DefaultTokenTTL, maxTTL)
	}
	return ttl, maxTTL
}

// boundValues returns the values a bound claim accepts: one scalar, or the
// elements of a list of scalars.
func boundValues(v any) ([]any, error) {
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("an empty list matches nothing; remove the claim or give values")
	}
	for _, x := range list {
		switch x.(type) {
		case string, bool, json.Number, float64:
		default:
			return nil, fmt.Errorf("a bound value is a string, a number, a bool, or a list of them")
		}
	}
	return list, nil
}

// algsForKey lists the signature algorithms allowed with a public key.
func algsForKey(key any) []string {
	switch k := key.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return nil
		}
		return []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return []string{"ES256"}
		case elliptic.P384():
			return []string{"ES384"}
		}
	case ed25519.PublicKey:
		return []string{"EdDSA"}
	}
	return nil
}
