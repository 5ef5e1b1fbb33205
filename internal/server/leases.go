package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wardhq/ward/internal/dbengine"
	"github.com/wardhq/ward/internal/lease"
)

// The lease API in Vault's shapes: sys/leases/lookup, renew, revoke (the
// lease id in the body, or after the path), revoke-prefix/PREFIX (lease
// admins only), LIST sys/leases/lookup/PREFIX; and ward's own
// sys/ward/leases/failed, the revocations being retried. A lease can be
// touched by the token that got it, or by a lease admin of its
// environment (update on sys/leases/admin); the vault decides.

// leaseID is the lease id of a request: after the path, or the body's
// lease_id (or url_lease_id, as Vault's older clients send).
func leaseID(req *request, f *fields) (string, error) {
	id := strings.TrimSuffix(req.param("rest"), "/")
	if id == "" {
		id = f.str("lease_id")
	}
	if id == "" {
		id = f.str("url_lease_id")
	}
	if f.err != nil {
		return "", f.err
	}
	if id == "" {
		return "", errorf(http.StatusBadRequest, "missing lease_id; give the lease id that creds/NAME returned, like staging/database/creds/app/7f3k…")
	}
	return id, nil
}

func (s *Server) leaseLookup(ctx context.Context, req *request) (*response, error) {
	f, err := readFields(req.body, "lease_id")
	if err != nil {
		return nil, err
	}
	id, err := leaseID(req, f)
	if err != nil {
		return nil, err
	}
	l, err := s.v.LookupLease(ctx, &req.Caller, id)
	if err != nil {
		return nil, err
	}
	return &response{status: http.StatusOK, body: envelope(req, s.leaseJSON(l))}, nil
}

func (s *Server) leaseJSON(l *lease.Lease) map[string]any {
	m := map[string]any{
		"id":           l.ID,
		"issue_time":   formatTime(l.IssuedAt),
		"expire_time":  formatTime(l.ExpiresAt),
		"last_renewal": nilTime(l.LastRenewal),
		"renewable":    l.Renewable && l.Failure == nil,
		"ttl":          seconds(l.TTLAt(s.cfg.Now())),
		"max_expire":   formatTime(l.Limit),
		"environment":  l.Env,
	}
	if f := l.Failure; f != nil {
		m["failure"] = map[string]any{
			"attempts":     f.Attempts,
			"last_error":   f.LastError,
			"last_attempt": formatTime(f.LastAttempt),
			"next_attempt": formatTime(f.NextAttempt),
		}
	}
	return m
}

// nilTime is t, or JSON null when it is zero.
func nilTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return formatTime(t)
}

func (s *Server) leaseRenew(ctx context.Context, req *request) (*response, error) {
	f, err := readFields(req.body, "lease_id", "url_lease_id", "increment")
	if err != nil {
		return nil, err
	}
	inc := f.duration("increment")
	id, err := leaseID(req, f)
	if err != nil {
		return nil, err
	}
	l, warns, err := s.v.RenewLease(ctx, &req.Caller, id, inc)
	if err != nil {
		return nil, err
	}
	body := envelope(req, nil)
	body["lease_id"] = l.ID
	body["renewable"] = l.Renewable
	body["lease_duration"] = seconds(l.TTLAt(s.cfg.Now()))
	body["warnings"] = warnings(warns)
	delete(body, "mount_type")
	return &response{status: http.StatusOK, body: body}, nil
}

func (s *Server) leaseRevoke(ctx context.Context, req *request) (*response, error) {
	f, err := readFields(req.body, "lease_id", "url_lease_id", "sync")
	if err != nil {
		return nil, err
	}
	id, err := leaseID(req, f)
	if err != nil {
		return nil, err
	}
	if err := s.v.RevokeLease(ctx, &req.Caller, id); err != nil {
		return nil, err
	}
	return &response{status: http.StatusNoContent}, nil
}

func (s *Server) leaseRevokePrefix(ctx context.Context, req *request) (*response, error) {
	if _, err := readFields(req.body, "sync"); err != nil {
		return nil, err
	}
	n, err := s.v.RevokeLeasePrefix(ctx, &req.Caller, req.param("prefix"))
	if err != nil {
		return nil, err
	}
	req.auditMeta = map[string]string{"revoked": strconv.Itoa(n)}
	return &response{status: http.StatusNoContent}, nil
}

func (s *Server) leaseList(ctx context.Context, req *request) (*response, error) {
	keys, err := s.v.ListLeases(ctx, &req.Caller, req.param("prefix"))
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, errNotFound
	}
	return &response{status: http.StatusOK, body: envelope(req, map[string]any{"keys": keys})}, nil
}

func (s *Server) leaseFailed(ctx context.Context, req *request) (*response, error) {
	ls, err := s.v.FailedLeases(ctx, &req.Caller)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(ls))
	for i, l := range ls {
		out[i] = s.leaseJSON(l)
	}
	return &response{status: http.StatusOK, body: envelope(req, map[string]any{"leases": out})}, nil
}

// leaseAPIError maps the errors of leases and the database engine to
// their status; nil for others. Their messages are public: they name
// leases, configs and roles, never a password.
func leaseAPIError(err error) *apiError {
	var quota *lease.QuotaError
	var unavailable *dbengine.UnavailableError
	var revoke *lease.RevokeError
	switch {
	case errors.As(err, &quota):
		return &apiError{status: http.StatusTooManyRequests, msgs: []string{err.Error()}, retryAfter: quota.RetryAfter}
	case errors.As(err, &unavailable):
		return &apiError{status: http.StatusServiceUnavailable, msgs: []string{err.Error()}}
	case errors.As(err, &revoke):
		return &apiError{status: http.StatusBadGateway, msgs: []string{err.Error()}}
	case errors.Is(err, lease.ErrPermissionDenied):
		return &apiError{status: http.StatusForbidden, msgs: []string{err.Error()}}
	case errors.Is(err, lease.ErrNotFound), errors.Is(err, dbengine.ErrNotFound):
		return &apiError{status: http.StatusNotFound, msgs: []string{err.Error()}}
	case errors.Is(err, lease.ErrInvalid), errors.Is(err, lease.ErrNotRenewable), errors.Is(err, lease.ErrExpired),
		errors.Is(err, dbengine.ErrInvalid), errors.Is(err, dbengine.ErrRoleNotAllowed):
		return &apiError{status: http.StatusBadRequest, msgs: []string{err.Error()}}
	case errors.Is(err, dbengine.ErrStatement):
		return &apiError{status: http.StatusBadGateway, msgs: []string{err.Error()}}
	}
	return nil
}
