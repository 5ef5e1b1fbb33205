package client

import (
	"context"
	"net/http"
)

// Rotation, retirement and breach drills. Each decodes the answer's data
// into out (nil: dropped); the shapes are ward's (see the README's
// rotation section): a rotation result, a tombstone, a rotation status,
// a drill report.

// RotateSecret gives env's secret at path a new value now, made by its
// type's generator; the previous value stays valid for the overlap.
func (c *Client) RotateSecret(ctx context.Context, env, path string, out any) error {
	return c.wardData(ctx, http.MethodPost, "sys/ward/rotate/"+escapePath(env)+"/"+escapePath(path), map[string]any{}, out)
}

// RetireSecret ends env's secret at path for good: its leases revoked,
// every version destroyed, a tombstone left (reason is recorded in it).
func (c *Client) RetireSecret(ctx context.Context, env, path, reason string, out any) error {
	return c.wardData(ctx, http.MethodPost, "sys/ward/retire/"+escapePath(env)+"/"+escapePath(path), map[string]any{"reason": reason}, out)
}

// RotationStatus reports the rotation under way of env's secret at path.
func (c *Client) RotationStatus(ctx context.Context, env, path string, out any) error {
	return c.wardData(ctx, http.MethodGet, "sys/ward/rotation/"+escapePath(env)+"/"+escapePath(path), nil, out)
}

// DrillRequest is a breach drill's request body.
type DrillRequest struct {
	Prefix string `json:"prefix"`
	Since  string `json:"since,omitempty"` // RFC 3339
	DryRun bool   `json:"dry_run"`
}

// Drill runs a breach drill over env's prefix (needs update on
// sys/ward/drill).
func (c *Client) Drill(ctx context.Context, env string, req DrillRequest, out any) error {
	return c.wardData(ctx, http.MethodPost, "sys/ward/drill/"+escapePath(env), req, out)
}

func (c *Client) wardData(ctx context.Context, method, path string, in, out any) error {
	var env struct {
		Data any `json:"data"`
	}
	env.Data = out
	if out == nil {
		return c.do(ctx, method, path, nil, in, nil, nil)
	}
	return c.do(ctx, method, path, nil, in, &env, nil)
}
