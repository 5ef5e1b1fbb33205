package client

import (
	"context"
	"net/http"
	"time"
)

// Auth is the auth block of a login or token-create answer.
type Auth struct {
	ClientToken   string            `json:"client_token"`
	Accessor      string            `json:"accessor"`
	Policies      []string          `json:"policies"`
	Metadata      map[string]string `json:"metadata"`
	LeaseDuration int64             `json:"lease_duration"`
	Renewable     bool              `json:"renewable"`
	Orphan        bool              `json:"orphan"`
	Env           string            `json:"env"`
}

// TokenRequest asks for a new token. Env may be empty when the caller's own
// token is bound to an environment: the child inherits it.
type TokenRequest struct {
	Env            string
	Policies       []string
	TTL            time.Duration
	ExplicitMaxTTL time.Duration
	DisplayName    string
	Meta           map[string]string
	NoParent       bool
	Renewable      *bool
}

// CreateToken creates a child of the caller's token.
func (c *Client) CreateToken(ctx context.Context, r TokenRequest) (*Auth, error) {
	body := map[string]any{"policies": r.Policies}
	if r.Env != "" {
		body["env"] = r.Env
	}
	if r.TTL > 0 {
		body["ttl"] = r.TTL.String()
	}
	if r.ExplicitMaxTTL > 0 {
		body["explicit_max_ttl"] = r.ExplicitMaxTTL.String()
	}
	if r.DisplayName != "" {
		body["display_name"] = r.DisplayName
	}
	if r.Meta != nil {
		body["meta"] = r.Meta
	}
	if r.NoParent {
		body["no_parent"] = true
	}
	if r.Renewable != nil {
		body["renewable"] = *r.Renewable
	}
	var out envelope[any]
	if err := c.do(ctx, http.MethodPost, "auth/token/create", nil, body, &out, nil); err != nil {
		return nil, err
	}
	return out.Auth, nil
}

// TokenInfo is what a token lookup tells.
type TokenInfo struct {
	Accessor       string            `json:"accessor"`
	DisplayName    string            `json:"display_name"`
	Policies       []string          `json:"policies"`
	Env            string            `json:"env"`
	TTL            int64             `json:"ttl"`
	CreationTTL    int64             `json:"creation_ttl"`
	ExplicitMaxTTL int64             `json:"explicit_max_ttl"`
	ExpireTime     *string           `json:"expire_time"`
	IssueTime      string            `json:"issue_time"`
	Renewable      bool              `json:"renewable"`
	Orphan         bool              `json:"orphan"`
	Meta           map[string]string `json:"meta"`
}

// LookupSelf describes the caller's own token.
func (c *Client) LookupSelf(ctx context.Context) (*TokenInfo, error) {
	var out envelope[TokenInfo]
	return &out.Data, c.do(ctx, http.MethodGet, "auth/token/lookup-self", nil, nil, &out, nil)
}

// LookupAccessor describes the token with this accessor.
func (c *Client) LookupAccessor(ctx context.Context, accessor string) (*TokenInfo, error) {
	var out envelope[TokenInfo]
	return &out.Data, c.do(ctx, http.MethodPost, "auth/token/lookup-accessor", nil, map[string]any{"accessor": accessor}, &out, nil)
}

// RenewSelf extends the caller's token by increment (0: its own TTL).
func (c *Client) RenewSelf(ctx context.Context, increment time.Duration) (*Auth, error) {
	body := map[string]any{}
	if increment > 0 {
		body["increment"] = increment.String()
	}
	var out envelope[any]
	if err := c.do(ctx, http.MethodPost, "auth/token/renew-self", nil, body, &out, nil); err != nil {
		return nil, err
	}
	return out.Auth, nil
}

// RevokeSelf revokes the caller's token and its children.
func (c *Client) RevokeSelf(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "auth/token/revoke-self", nil, map[string]any{}, nil, nil)
}

// RevokeAccessor revokes the token with this accessor and its children.
func (c *Client) RevokeAccessor(ctx context.Context, accessor string) error {
	return c.do(ctx, http.MethodPost, "auth/token/revoke-accessor", nil, map[string]any{"accessor": accessor}, nil, nil)
}

// RevokeAccessorOrphan revokes the token with this accessor alone: its
// children become orphans and keep working. Root only.
func (c *Client) RevokeAccessorOrphan(ctx context.Context, accessor string) error {
	return c.do(ctx, http.MethodPost, "auth/token/revoke-orphan", nil, map[string]any{"accessor": accessor}, nil, nil)
}

// KeepTokenAlive renews the caller's token at half of its remaining life
// until ctx is done or renewal fails; it returns why it stopped.
func (c *Client) KeepTokenAlive(ctx context.Context) error {
	for {
		info, err := c.LookupSelf(ctx)
		if err != nil {
			return err
		}
		if !info.Renewable || info.TTL <= 0 {
			return nil
		}
		if err := c.cfg.Sleep(ctx, time.Duration(info.TTL)*time.Second/2); err != nil {
			return err
		}
		if _, err := c.RenewSelf(ctx, 0); err != nil {
			return err
		}
	}
}
