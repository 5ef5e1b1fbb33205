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
