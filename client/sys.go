package client

import (
	"context"
	"encoding/hex"
	"net/http"
	"time"
)

// SealStatus is sys/seal-status.
type SealStatus struct {
	Initialized bool   `json:"initialized"`
	Sealed      bool   `json:"sealed"`
	Threshold   int    `json:"t"`
	Shares      int    `json:"n"`
	Progress    int    `json:"progress"`
	Version     string `json:"version"`
	StorageType string `json:"storage_type"`
}

// SealStatus reads the seal state; it needs no token.
func (c *Client) SealStatus(ctx context.Context) (*SealStatus, error) {
	var out SealStatus
	return &out, c.do(ctx, http.MethodGet, "sys/seal-status", nil, nil, &out, nil)
}

// Unseal gives the server one share of the root key.
func (c *Client) Unseal(ctx context.Context, share []byte) (*SealStatus, error) {
	var out SealStatus
	return &out, c.do(ctx, http.MethodPut, "sys/unseal", nil, map[string]any{"key": hex.EncodeToString(share)}, &out, nil)
}

// Seal seals the server: it forgets its keys until unsealed again.
func (c *Client) Seal(ctx context.Context) error {
	return c.do(ctx, http.MethodPut, "sys/seal", nil, nil, nil, nil)
}

// InitResult is what sys/init hands out once.
type InitResult struct {
	Keys       []string `json:"keys"`
	KeysBase64 []string `json:"keys_base64"`
	RootToken  string   `json:"root_token"`
}

// Init initialises a new server.
func (c *Client) Init(ctx context.Context, shares, threshold int) (*InitResult, error) {
	var out InitResult
	body := map[string]any{"secret_shares": shares, "secret_threshold": threshold}
	return &out, c.do(ctx, http.MethodPut, "sys/init", nil, body, &out, nil)
}

// Rotate adds a new encryption key term.
func (c *Client) Rotate(ctx context.Context) error {
	return c.do(ctx, http.MethodPut, "sys/rotate", nil, nil, nil, nil)
}

// KeyTerm reads the active key term.
func (c *Client) KeyTerm(ctx context.Context) (uint32, error) {
	ks, err := c.KeyStatus(ctx)
	return ks.Term, err
}

// KeyStatus is the active encryption key term and when it was installed.
type KeyStatus struct {
	Term uint32 `json:"term"`
	// InstallTime is zero when the server does not know it (a term
	// installed before ward recorded install times).
	InstallTime time.Time `json:"install_time,omitzero"`
}

// KeyStatus reads the active key term and its install time.
func (c *Client) KeyStatus(ctx context.Context) (KeyStatus, error) {
	var out KeyStatus
	return out, c.do(ctx, http.MethodGet, "sys/key-status", nil, nil, &out, nil)
}

// Environment is one of the server's environments. Production is whether
// it is one: as environments.yaml marks it (ProductionMarked), else by its
// name (prod, production, prod-*).
type Environment struct {
	Name             string `json:"name"`
	CreatedAt        string `json:"created_at"`
	Mount            string `json:"mount"`
	Production       bool   `json:"production"`
	ProductionMarked bool   `json:"production_marked"`
}

// Env reads one environment.
func (c *Client) Env(ctx context.Context, name string) (*Environment, error) {
	var out envelope[Environment]
	return &out.Data, c.do(ctx, http.MethodGet, "sys/ward/envs/"+escapePath(name), nil, nil, &out, nil)
}

// CreateEnv creates an environment.
func (c *Client) CreateEnv(ctx context.Context, name string) (*Environment, error) {
	var out envelope[Environment]
	return &out.Data, c.do(ctx, http.MethodPut, "sys/ward/envs/"+escapePath(name), nil, map[string]any{}, &out, nil)
}

// Envs lists the environments.
func (c *Client) Envs(ctx context.Context) ([]Environment, error) {
	var out envelope[struct {
		Environments []Environment `json:"environments"`
	}]
	return out.Data.Environments, c.do(ctx, "LIST", "sys/ward/envs", nil, nil, &out, nil)
}

// DeleteEnv destroys an environment, its secrets and its tokens.
func (c *Client) DeleteEnv(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, "sys/ward/envs/"+escapePath(name), nil, nil, nil, nil)
}

// PutPolicy writes a policy from its YAML source.
func (c *Client) PutPolicy(ctx context.Context, name string, yamlSrc []byte) error {
	return c.do(ctx, http.MethodPut, "sys/policies/acl/"+escapePath(name), nil, map[string]any{"policy": string(yamlSrc)}, nil, nil)
}

// Policy reads a policy's YAML source.
func (c *Client) Policy(ctx context.Context, name string) (string, error) {
	var out envelope[struct {
		Policy string `json:"policy"`
	}]
	return out.Data.Policy, c.do(ctx, http.MethodGet, "sys/policies/acl/"+escapePath(name), nil, nil, &out, nil)
}

// Policies lists policy names.
func (c *Client) Policies(ctx context.Context) ([]string, error) {
	var out envelope[struct {
		Keys []string `json:"keys"`
	}]
	return out.Data.Keys, c.do(ctx, "LIST", "sys/policies/acl", nil, nil, &out, nil)
}

// DeletePolicy removes a policy.
func (c *Client) DeletePolicy(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, "sys/policies/acl/"+escapePath(name), nil, nil, nil, nil)
}

// AuditHash returns the audit log's HMAC of value, to search the log for it.
func (c *Client) AuditHash(ctx context.Context, value string) (string, error) {
	var out struct {
		Hash string `json:"hash"`
	}
	return out.Hash, c.do(ctx, http.MethodPost, "sys/audit-hash/file", nil, map[string]any{"input": value}, &out, nil)
}
