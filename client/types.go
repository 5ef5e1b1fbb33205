package client

import (
	"context"
	"net/http"
	"net/url"
)

// TypeInfo is a type: its JSON Schema and which fields it declares.
type TypeInfo struct {
	Name    string   `json:"name"`
	Schema  string   `json:"schema"`
	Builtin bool     `json:"builtin"`
	Fields  []string `json:"fields"`
	// NonSensitive lists the fields marked "x-ward-sensitive": false,
	// which may be given as literals on a command line.
	NonSensitive []string `json:"non_sensitive"`
}

// TypeSummary is one entry of the type list.
type TypeSummary struct {
	Name    string `json:"name"`
	Builtin bool   `json:"builtin"`
}

// Problem is one rule a secret breaks: a field and a rule, never a value.
type Problem struct {
	Field   string `json:"field"`
	Rule    string `json:"rule"`
	Message string `json:"message"`
}

// TypeConflict is a secret that does not conform to a type.
type TypeConflict struct {
	Env      string    `json:"env"`
	Path     string    `json:"path"`
	Problems []Problem `json:"problems"`
}

// TypeWriteResult is the answer to a type write: the secrets of the type
// that do not conform to the schema written (or, with dryRun, that would
// not).
type TypeWriteResult struct {
	Name      string         `json:"name"`
	DryRun    bool           `json:"dry_run"`
	Conflicts []TypeConflict `json:"conflicts"`
}

// PutType writes a type's JSON Schema; with dryRun it stores nothing and
// only reports the secrets that would no longer conform.
func (c *Client) PutType(ctx context.Context, name string, schema []byte, dryRun bool) (*TypeWriteResult, error) {
	var out envelope[TypeWriteResult]
	body := map[string]any{"schema": string(schema), "dry_run": dryRun}
	return &out.Data, c.do(ctx, http.MethodPut, "sys/ward/types/"+escapePath(name), nil, body, &out, nil)
}

// Type reads a type, built-in or stored.
func (c *Client) Type(ctx context.Context, name string) (*TypeInfo, error) {
	var out envelope[TypeInfo]
	return &out.Data, c.do(ctx, http.MethodGet, "sys/ward/types/"+escapePath(name), nil, nil, &out, nil)
}

// Types lists the types, built-in and stored.
func (c *Client) Types(ctx context.Context) ([]TypeSummary, error) {
	var out envelope[struct {
		Types []TypeSummary `json:"types"`
	}]
	return out.Data.Types, c.do(ctx, "LIST", "sys/ward/types", nil, nil, &out, nil)
}

// DeleteType removes a stored type that no secret names.
func (c *Client) DeleteType(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, "sys/ward/types/"+escapePath(name), nil, nil, nil, nil)
}

// EnvRules reads the metadata an environment requires of its secrets:
// groups of keys, of which each secret must have at least one per group.
func (c *Client) EnvRules(ctx context.Context, env string) ([][]string, error) {
	var out envelope[struct {
		RequiredMetadata [][]string `json:"required_metadata"`
	}]
	return out.Data.RequiredMetadata, c.do(ctx, http.MethodGet, "sys/ward/envs/"+escapePath(env)+"/rules", nil, nil, &out, nil)
}

// SetEnvRules replaces the metadata an environment requires; nil requires
// nothing.
func (c *Client) SetEnvRules(ctx context.Context, env string, required [][]string) error {
	if required == nil {
		required = [][]string{}
	}
	body := map[string]any{"required_metadata": required}
	return c.do(ctx, http.MethodPost, "sys/ward/envs/"+escapePath(env)+"/rules", nil, body, nil, nil)
}

// ReadState is one identity's last read of a secret.
type ReadState struct {
	Version  int    `json:"version"`
	ReadTime string `json:"read_time"`
}

// Usage is what the server knows of a secret's reads.
type Usage struct {
	Env          string               `json:"env"`
	Path         string               `json:"path"`
	LastReadTime string               `json:"last_read_time"`
	LastReader   string               `json:"last_reader"`
	Readers      map[string]ReadState `json:"readers"`
}

// Usage reads who read a secret last and which version each identity read.
func (c *Client) Usage(ctx context.Context, env, path string) (*Usage, error) {
	var out envelope[Usage]
	return &out.Data, c.do(ctx, http.MethodGet, "sys/ward/usage/"+escapePath(env)+"/"+escapePath(path), nil, nil, &out, nil)
}

// ExpiringSecret is a secret past or near its expires_at, or due for
// rotation by its rotate_every.
type ExpiringSecret struct {
	Env     string `json:"env"`
	Path    string `json:"path"`
	Reason  string `json:"reason"` // expires_at or rotate_every
	DueTime string `json:"due_time"`
	Overdue bool   `json:"overdue"`
	Owner   string `json:"owner,omitempty"`
	// Rotation is "needs a person", or "failed: REASON" when the last
	// scheduled rotation failed; "" otherwise.
	Rotation string `json:"rotation,omitempty"`
}

// Expiring lists the secrets due within the window (like "14d"), across the
// environments the token reaches, soonest first.
func (c *Client) Expiring(ctx context.Context, within string) ([]ExpiringSecret, error) {
	var out envelope[struct {
		Secrets []ExpiringSecret `json:"secrets"`
	}]
	q := url.Values{}
	if within != "" {
		q.Set("within", within)
	}
	return out.Data.Secrets, c.do(ctx, http.MethodGet, "sys/ward/expiring", q, nil, &out, nil)
}
