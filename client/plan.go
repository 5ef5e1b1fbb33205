package client

import (
	"context"
	"encoding/json"
	"net/http"
)

// PlanRequest is what `ward plan` and `ward apply` send: a directory's
// desired state and how to apply it.
type PlanRequest struct {
	// State is the desired state as the server reads it (ward's
	// internal/plan.State in JSON): environments, policies, types and
	// secret metadata, each with the file and line that declares it.
	State json.RawMessage `json:"state"`
	// Prune deletes what the state's managed parts no longer declare.
	Prune bool `json:"prune,omitempty"`
	// Expect, for Apply, is the Digest of a plan the caller reviewed: the
	// server refuses to make other changes with a 409 ResponseError.
	Expect   string   `json:"expect,omitempty"`
	Revision Revision `json:"revision"`
}

// Revision names the version of the directory applied, for the audit log.
type Revision struct {
	Commit        string `json:"commit,omitempty"` // the git commit of the directory
	Dirty         bool   `json:"dirty,omitempty"`  // the work tree differs from Commit
	ContentSHA256 string `json:"content_sha256,omitempty"`
}

// PlanResult is the server's answer: the changes, object by object.
type PlanResult struct {
	Changes []Change `json:"changes"`
	Digest  string   `json:"digest"`
	Applied bool     `json:"applied"`
}

// Change is one object that differs. Kind is environment, type, policy or
// secret; Action create, update or delete.
type Change struct {
	Kind   string         `json:"kind"`
	Name   string         `json:"name"`
	Action string         `json:"action"`
	Diff   string         `json:"diff,omitempty"`
	Fields []FieldChange  `json:"fields,omitempty"`
	Access []AccessChange `json:"access,omitempty"`
	Source Source         `json:"source,omitzero"`
}

// FieldChange is one changed field of an environment or a secret's
// metadata: Old "" when added, New "" when removed.
type FieldChange struct {
	Field string `json:"field"`
	Old   string `json:"old,omitempty"`
	New   string `json:"new,omitempty"`
}

// AccessChange is one capability a policy gains (Sign "+") or loses ("-")
// on a path of an environment.
type AccessChange struct {
	Sign       string `json:"sign"`
	Policy     string `json:"policy"`
	Env        string `json:"env"`
	Path       string `json:"path"`
	RulePath   string `json:"rule_path"`
	Capability string `json:"capability"`
	MFA        bool   `json:"mfa,omitempty"`
}

// Source is where an object is declared in the directory.
type Source struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
}

// Plan asks what applying req would change; it needs read on sys/ward/plan.
// A state with problems is a 400 whose Errors name each at file:line.
func (c *Client) Plan(ctx context.Context, req PlanRequest) (*PlanResult, error) {
	var out envelope[PlanResult]
	if err := c.do(ctx, http.MethodPost, "sys/ward/plan", nil, req, &out, nil); err != nil {
		return nil, err
	}
	return &out.Data, nil
}

// Apply makes every change of req's plan in one transaction, or none; it
// needs update on sys/ward/apply.
func (c *Client) Apply(ctx context.Context, req PlanRequest) (*PlanResult, error) {
	var out envelope[PlanResult]
	if err := c.do(ctx, http.MethodPost, "sys/ward/apply", nil, req, &out, nil); err != nil {
		return nil, err
	}
	return &out.Data, nil
}
