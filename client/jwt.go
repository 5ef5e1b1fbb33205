package client

import (
	"context"
	"errors"
	"net/http"
)

// LoginJWT exchanges a CI job's OIDC token (a JWT) for a ward token with
// the role's policies, bound to the role's environment: auth/jwt/login in
// Vault's shapes. It sends no ward token. The JWT is sent in the request
// body only and never appears in an error.
func (c *Client) LoginJWT(ctx context.Context, role, jwt string) (*Auth, error) {
	if role == "" {
		return nil, errors.New("LoginJWT: no role")
	}
	var out envelope[any]
	body := map[string]any{"role": role, "jwt": jwt}
	if err := c.WithToken("").do(ctx, http.MethodPost, "auth/jwt/login", nil, body, &out, nil); err != nil {
		return nil, err
	}
	if out.Auth == nil || out.Auth.ClientToken == "" {
		return nil, errors.New("auth/jwt/login: the server's answer has no token")
	}
	return out.Auth, nil
}

// JWTConfig is the JWT method's issuer configuration, auth/jwt/config:
// exactly one key source (discovery, a JWKS URL or PEM keys) and the
// issuer every token's iss must equal.
type JWTConfig struct {
	OIDCDiscoveryURL     string   `json:"oidc_discovery_url,omitempty"`
	JWKSURL              string   `json:"jwks_url,omitempty"`
	JWTValidationPubkeys []string `json:"jwt_validation_pubkeys,omitempty"`
	BoundIssuer          string   `json:"bound_issuer,omitempty"`
}

// JWTConfig reads the JWT method's configuration.
func (c *Client) JWTConfig(ctx context.Context) (*JWTConfig, error) {
	var out envelope[JWTConfig]
	if err := c.do(ctx, http.MethodGet, "auth/jwt/config", nil, nil, &out, nil); err != nil {
		return nil, err
	}
	return &out.Data, nil
}

// PutJWTConfig writes the JWT method's configuration; the server fetches
// the issuer's keys first and keeps the old configuration if it cannot.
func (c *Client) PutJWTConfig(ctx context.Context, cfg JWTConfig) error {
	return c.do(ctx, http.MethodPost, "auth/jwt/config", nil, cfg, nil, nil)
}

// JWTRole is auth/jwt/role/NAME: which CI tokens may log in with it, and
// the ward token they get. Durations are in seconds; 0 takes the server's
// default (read answers give the value in effect).
type JWTRole struct {
	BoundAudiences  []string          `json:"bound_audiences"`
	BoundSubject    string            `json:"bound_subject,omitempty"`
	BoundClaims     map[string]any    `json:"bound_claims,omitempty"`
	BoundClaimsType string            `json:"bound_claims_type,omitempty"` // "string" (exact) or "glob"
	ClaimMappings   map[string]string `json:"claim_mappings,omitempty"`
	UserClaim       string            `json:"user_claim,omitempty"`
	TokenPolicies   []string          `json:"token_policies"`
	TokenTTL        int64             `json:"token_ttl,omitempty"`
	TokenMaxTTL     int64             `json:"token_max_ttl,omitempty"`
	MaxAge          int64             `json:"max_age,omitempty"`
	Environment     string            `json:"environment"`
}

// JWTRole reads a role.
func (c *Client) JWTRole(ctx context.Context, name string) (*JWTRole, error) {
	var out envelope[JWTRole]
	if err := c.do(ctx, http.MethodGet, "auth/jwt/role/"+escapePath(name), nil, nil, &out, nil); err != nil {
		return nil, err
	}
	return &out.Data, nil
}

// PutJWTRole creates or replaces a role.
func (c *Client) PutJWTRole(ctx context.Context, name string, r JWTRole) error {
	return c.do(ctx, http.MethodPost, "auth/jwt/role/"+escapePath(name), nil, r, nil, nil)
}

// JWTRoles lists the roles' names; none is an empty list, not an error.
func (c *Client) JWTRoles(ctx context.Context) ([]string, error) {
	var out envelope[struct {
		Keys []string `json:"keys"`
	}]
	err := c.do(ctx, "LIST", "auth/jwt/role", nil, nil, &out, nil)
	if errors.Is(err, ErrNotFound) {
		return []string{}, nil
	}
	return out.Data.Keys, err
}

// DeleteJWTRole removes a role.
func (c *Client) DeleteJWTRole(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, "auth/jwt/role/"+escapePath(name), nil, nil, nil, nil)
}
