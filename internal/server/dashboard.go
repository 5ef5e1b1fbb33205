package server

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/wardhq/ward/internal/audit"
	"github.com/wardhq/ward/internal/auth"
	"github.com/wardhq/ward/internal/inventory"
	"github.com/wardhq/ward/internal/vault"
)

// The read-only endpoints the dashboard (package ui) needs beyond Vault's
// shapes:
//
//	sys/ward/inventory/ENV   GET: the secrets of ENV the token may list or read, metadata only, filtered, sorted, paged, with a summary
//	sys/ward/audit           GET: the audit log's answered requests, newest first (read on sys/ward/audit)
//	sys/ward/mfa/totp/verify POST with X-Ward-MFA: check a code of the caller's own identity (self)

// inventory answers sys/ward/inventory/ENV: the secrets the token may
// see (vault.VisibleSecrets), filtered, sorted and paged; a secret's last
// read is given only when the token may read it, as for sys/ward/usage.
func (s *Server) inventory(ctx context.Context, req *request) (*response, error) {
	q, err := inventoryQuery(req)
	if err != nil {
		return nil, err
	}
	rules, err := s.v.EnvRules(req.env.Name)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now().UTC()
	rows := make([]inventory.Row, 0, 256)
	var readable []string // in path order, as VisibleSecrets gives them
	err = s.v.VisibleSecrets(ctx, &req.Caller, req.env, func(si vault.SecretInfo, canRead bool) error {
		rows = append(rows, inventory.FromMetadata(si.Path, si.Metadata, rules.RequiredMetadata))
		if canRead {
			readable = append(readable, si.Path)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sum := inventory.Summarize(rows, now, q.Within)
	page := inventory.Select(rows, q, now)
	for i := range page.Rows {
		r := &page.Rows[i]
		if _, ok := slices.BinarySearch(readable, r.Path); !ok {
			continue
		}
		u, err := s.v.SecretUsage(ctx, req.env, r.Path)
		if err != nil {
			return nil, err
		}
		r.LastRead, r.LastReader = u.LastRead, u.LastReader
	}
	out := envelope(req, map[string]any{"env": req.env.Name, "within": q.Within.String(), "summary": sum, "page": page})
	delete(out, "mount_type")
	// The rows are metadata the token may see; the audit entry records
	// what was asked and how much came back, not every row again.
	audited := map[string]any{"total": page.Total, "page": page.Page, "rows": len(page.Rows)}
	return &response{status: http.StatusOK, body: out, auditData: audited}, nil
}

func inventoryQuery(req *request) (inventory.Query, error) {
	v := req.query
	q := inventory.Query{
		Search: v.Get("q"), Type: v.Get("type"), Owner: v.Get("owner"), Recipient: v.Get("recipient"),
		Status: v.Get("status"), Sort: v.Get("sort"), Desc: v.Get("order") == "desc",
	}
	var err error
	if q.Page, err = intParam(v.Get("page")); err != nil {
		return q, errorf(http.StatusBadRequest, "page: %v", err)
	}
	if q.PerPage, err = intParam(v.Get("per_page")); err != nil {
		return q, errorf(http.StatusBadRequest, "per_page: %v", err)
	}
	if o := v.Get("order"); o != "" && o != "asc" && o != "desc" {
		return q, errorf(http.StatusBadRequest, "order %q is neither asc nor desc", o)
	}
	if w := v.Get("within"); w != "" {
		if q.Within, err = vault.ParseCadence(w); err != nil {
			return q, errorf(http.StatusBadRequest, "within: %v", err)
		}
	}
	if err := q.Check(); err != nil {
		return q, errorf(http.StatusBadRequest, "%v", err)
	}
	return q, nil
}

func intParam(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, errors.New("must be a whole number, 1 or more")
	}
	return n, nil
}

// auditQuery answers sys/ward/audit: the audit log's answered requests,
// newest first; the vault keeps a token to its own environment's entries.
func (s *Server) auditQuery(ctx context.Context, req *request) (*response, error) {
	v := req.query
	f := audit.Filter{Identity: v.Get("identity"), Path: v.Get("path"), Repository: v.Get("repository"), Environment: v.Get("env")}
	now := s.cfg.Now()
	var err error
	if f.Since, err = timeParam(v.Get("since"), now); err != nil {
		return nil, errorf(http.StatusBadRequest, "since: %v", err)
	}
	if f.Until, err = timeParam(v.Get("until"), now); err != nil {
		return nil, errorf(http.StatusBadRequest, "until: %v", err)
	}
	if a := v.Get("after"); a != "" {
		if f.AfterSeq, err = strconv.ParseUint(a, 10, 64); err != nil {
			return nil, errorf(http.StatusBadRequest, "after must be a line number (seq)")
		}
	}
	if l := v.Get("limit"); l != "" {
		if f.Limit, err = strconv.Atoi(l); err != nil || f.Limit < 1 {
			return nil, errorf(http.StatusBadRequest, "limit must be 1 to %d", audit.MaxQueryLimit)
		}
	}
	switch v.Get("type") {
	case "", "response":
	case "event":
		f.Events = true
	default:
		return nil, errorf(http.StatusBadRequest, "type must be response (answered requests, the default) or event (rotation, retirement and drill steps)")
	}
	res, err := s.v.QueryAudit(ctx, &req.Caller, f)
	if errors.Is(err, audit.ErrBadFilter) {
		return nil, errorf(http.StatusBadRequest, "%v", err)
	}
	if err != nil {
		return nil, err
	}
	out := envelope(req, res)
	delete(out, "mount_type")
	return &response{status: http.StatusOK, body: out, auditData: map[string]any{"records": len(res.Records), "head": res.Head}}, nil
}

// timeParam reads an RFC 3339 time, a date, or a duration back from now.
func timeParam(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := vault.ParseCadence(s); err == nil {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("give an RFC 3339 time, a date (2026-11-25) or a duration back from now (24h, 7d)")
}

// mfaVerify checks a TOTP code of the caller's own identity, as a step-up
// would, and spends it: the dashboard asks for one at sign-in.
func (s *Server) mfaVerify(_ context.Context, req *request) (*response, error) {
	if req.Token.IsRoot() {
		return nil, errorf(http.StatusBadRequest, "a root token has no identity with a second factor")
	}
	if err := s.v.RequireMFA(&req.Caller, "verifying a TOTP code"); err != nil {
		return nil, err
	}
	out := envelope(req, map[string]any{"identity": req.Token.Meta[auth.IdentityMetaKey], "verified": true})
	delete(out, "mount_type")
	return &response{status: http.StatusOK, body: out}, nil
}
