package client

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"
)

// Login exchanges a user's name and password for a token bound to env
// ("" : the user's configured environment). The name may be in any case
// or width; the server normalises it.
func (c *Client) Login(ctx context.Context, username, password, env string) (*Auth, error) {
	body := map[string]any{"username": username, "password": password}
	if env != "" {
		body["env"] = env
	}
	var out envelope[any]
	if err := c.do(ctx, http.MethodPost, "auth/userpass/login", nil, body, &out, nil); err != nil {
		return nil, err
	}
	return out.Auth, nil
}

// UserRequest creates or updates a user. Nil or zero fields are left as
// they are on an update; a new user needs Password and Policies.
type UserRequest struct {
	Password *string
	Policies []string
	TTL      time.Duration
	MaxTTL   time.Duration
	Env      *string // the environment every login is bound to; "" none
}

// User is a user as the server describes it; never its password.
type User struct {
	Name        string   `json:"name"`
	Policies    []string `json:"token_policies"`
	TTL         int64    `json:"token_ttl"`
	MaxTTL      int64    `json:"token_max_ttl"`
	Environment string   `json:"environment"`
	CreatedAt   string   `json:"created_at"`
	UpdatedAt   string   `json:"updated_at"`
	TOTP        *struct {
		Confirmed bool `json:"confirmed"`
	} `json:"mfa_totp"`
}

func userPath(name string) string { return "auth/userpass/users/" + url.PathEscape(name) }

// PutUser creates or updates user name.
func (c *Client) PutUser(ctx context.Context, name string, r UserRequest) error {
	body := map[string]any{}
	if r.Password != nil {
		body["password"] = *r.Password
	}
	if r.Policies != nil {
		body["token_policies"] = r.Policies
	}
	if r.TTL > 0 {
		body["token_ttl"] = r.TTL.String()
	}
	if r.MaxTTL > 0 {
		body["token_max_ttl"] = r.MaxTTL.String()
	}
	if r.Env != nil {
		body["environment"] = *r.Env
	}
	return c.do(ctx, http.MethodPost, userPath(name), nil, body, nil, nil)
}

// User reads user name.
func (c *Client) User(ctx context.Context, name string) (*User, error) {
	var out envelope[User]
	return &out.Data, c.do(ctx, http.MethodGet, userPath(name), nil, nil, &out, nil)
}

// Users lists user names, sorted; none is an empty list.
func (c *Client) Users(ctx context.Context) ([]string, error) {
	var out envelope[struct {
		Keys []string `json:"keys"`
	}]
	err := c.do(ctx, "LIST", "auth/userpass/users", nil, nil, &out, nil)
	if errors.Is(err, ErrNotFound) {
		return []string{}, nil
	}
	return out.Data.Keys, err
}

// DeleteUser deletes user name and its TOTP enrolment.
func (c *Client) DeleteUser(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, userPath(name), nil, nil, nil, nil)
}

// SetUserPassword changes user name's password.
func (c *Client) SetUserPassword(ctx context.Context, name, password string) error {
	return c.do(ctx, http.MethodPost, userPath(name)+"/password", nil, map[string]any{"password": password}, nil, nil)
}
