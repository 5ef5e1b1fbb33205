package client

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DBCreds is a database user made for the caller by ENV/database/creds/ROLE,
// with its lease. Password is shown here once and stored nowhere.
type DBCreds struct {
	Username, Password string
	LeaseID            string
	LeaseDuration      time.Duration
	Renewable          bool
	Warnings           []string
}

type leaseAnswer struct {
	LeaseID       string   `json:"lease_id"`
	LeaseDuration int64    `json:"lease_duration"`
	Renewable     bool     `json:"renewable"`
	Warnings      []string `json:"warnings"`
}

// DatabaseCreds asks env's database engine for a new user of role.
func (c *Client) DatabaseCreds(ctx context.Context, env, role string) (*DBCreds, error) {
	var out struct {
		leaseAnswer
		Data struct {
			Username string `json:"username"`
			Password string `json:"password"`
		} `json:"data"`
	}
	if err := c.Do(ctx, http.MethodGet, env+"/database/creds/"+url.PathEscape(role), nil, &out); err != nil {
		return nil, err
	}
	return &DBCreds{Username: out.Data.Username, Password: out.Data.Password, LeaseID: out.LeaseID,
		LeaseDuration: time.Duration(out.LeaseDuration) * time.Second, Renewable: out.Renewable, Warnings: out.Warnings}, nil
}

// RenewLease extends lease id by increment (0: its TTL) and returns how
// long it now has, and any warning (capped at its max TTL).
func (c *Client) RenewLease(ctx context.Context, id string, increment time.Duration) (time.Duration, []string, error) {
	var out leaseAnswer
	in := map[string]any{"lease_id": id, "increment": int64(increment / time.Second)}
	if err := c.Do(ctx, http.MethodPut, "sys/leases/renew", in, &out); err != nil {
		return 0, nil, err
	}
	return time.Duration(out.LeaseDuration) * time.Second, out.Warnings, nil
}

// RevokeLease ends lease id: its credential is taken back.
func (c *Client) RevokeLease(ctx context.Context, id string) error {
	return c.Do(ctx, http.MethodPut, "sys/leases/revoke", map[string]any{"lease_id": id}, nil)
}

// RevokeLeasePrefix ends every lease at or below prefix; lease admins only.
func (c *Client) RevokeLeasePrefix(ctx context.Context, prefix string) error {
	return c.Do(ctx, http.MethodPut, "sys/leases/revoke-prefix/"+strings.TrimPrefix(prefix, "/"), nil, nil)
}

// LeaseInfo is what sys/leases/lookup answers.
type LeaseInfo struct {
	ID          string        `json:"id"`
	Environment string        `json:"environment"`
	IssueTime   string        `json:"issue_time"`
	ExpireTime  string        `json:"expire_time"`
	MaxExpire   string        `json:"max_expire"`
	LastRenewal *string       `json:"last_renewal"`
	Renewable   bool          `json:"renewable"`
	TTL         int64         `json:"ttl"`
	Failure     *LeaseFailure `json:"failure,omitempty"`
}

// LeaseFailure is a revocation that failed and is being retried.
type LeaseFailure struct {
	Attempts    int    `json:"attempts"`
	LastError   string `json:"last_error"`
	LastAttempt string `json:"last_attempt"`
	NextAttempt string `json:"next_attempt"`
}

// LookupLease returns lease id.
func (c *Client) LookupLease(ctx context.Context, id string) (*LeaseInfo, error) {
	var out struct {
		Data LeaseInfo `json:"data"`
	}
	if err := c.Do(ctx, http.MethodPut, "sys/leases/lookup", map[string]any{"lease_id": id}, &out); err != nil {
		return nil, err
	}
	return &out.Data, nil
}

// ListLeases lists the names below prefix ("staging/database/creds/app/")
// among the leases the caller may see; none is an empty list.
func (c *Client) ListLeases(ctx context.Context, prefix string) ([]string, error) {
	var out struct {
		Data struct {
			Keys []string `json:"keys"`
		} `json:"data"`
	}
	err := c.Do(ctx, "LIST", "sys/leases/lookup/"+strings.TrimPrefix(prefix, "/"), nil, &out)
	if errors.Is(err, ErrNotFound) {
		return []string{}, nil
	}
	return out.Data.Keys, err
}

// FailedLeases lists the revocations being retried; lease admins only.
func (c *Client) FailedLeases(ctx context.Context) ([]LeaseInfo, error) {
	var out struct {
		Data struct {
			Leases []LeaseInfo `json:"leases"`
		} `json:"data"`
	}
	if err := c.Do(ctx, http.MethodGet, "sys/ward/leases/failed", nil, &out); err != nil {
		return nil, err
	}
	return out.Data.Leases, nil
}
