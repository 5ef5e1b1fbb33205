package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/wardhq/ward/internal/dbengine"
	"github.com/wardhq/ward/internal/rotate"
	"github.com/wardhq/ward/internal/rotate/generate"
	"github.com/wardhq/ward/internal/vault"
)

// Rotation, retirement and breach drills (see vault/rotation.go): static
// roles in Vault's shapes under ENV/database/, and ward's own
// sys/ward/rotate, sys/ward/retire, sys/ward/rotation and sys/ward/drill.

var staticRoleFields = []string{"db_name", "username", "rotation_period", "rotation_statements",
	"alternate_username", "overlap", "retirement_statements"}

func (s *Server) staticRoleWrite(ctx context.Context, req *request) (*response, error) {
	f, err := readFields(req.body, staticRoleFields...)
	if err != nil {
		return nil, err
	}
	r := dbengine.StaticRole{
		DBName:               f.str("db_name"),
		Username:             f.str("username"),
		RotationPeriod:       f.duration("rotation_period"),
		RotationStatements:   f.list("rotation_statements", ""),
		AlternateUsername:    f.str("alternate_username"),
		Overlap:              f.duration("overlap"),
		RetirementStatements: f.list("retirement_statements", ""),
	}
	if f.err != nil {
		return nil, f.err
	}
	if err := req.env.WriteStaticRole(ctx, req.param("name"), r); err != nil {
		return nil, err
	}
	return &response{status: http.StatusNoContent}, nil
}

func (s *Server) staticRoleRead(ctx context.Context, req *request) (*response, error) {
	r, err := req.env.ReadStaticRole(ctx, req.param("name"))
	if err != nil {
		return nil, err
	}
	return dbResponse(req, map[string]any{
		"db_name":               r.DBName,
		"username":              r.Username,
		"rotation_period":       seconds(r.RotationPeriod),
		"rotation_statements":   r.RotationStatements,
		"alternate_username":    r.AlternateUsername,
		"overlap":               seconds(r.Overlap),
		"retirement_statements": r.RetirementStatements,
	}), nil
}

func (s *Server) staticRoleDelete(ctx context.Context, req *request) (*response, error) {
	if err := req.env.DeleteStaticRole(ctx, req.param("name")); err != nil {
		return nil, err
	}
	return &response{status: http.StatusNoContent}, nil
}

func (s *Server) staticRoleList(ctx context.Context, req *request) (*response, error) {
	keys, err := req.env.ListStaticRoles(ctx)
	return dbList(req, keys, err)
}

func (s *Server) staticCreds(ctx context.Context, req *request) (*response, error) {
	c, err := req.env.StaticCredentials(ctx, &req.Caller, req.param("name"))
	if err != nil {
		return nil, err
	}
	data := map[string]any{
		"username":            c.Username,
		"password":            c.Password,
		"last_vault_rotation": formatTime(c.LastRotation),
		"rotation_period":     seconds(c.RotationPeriod),
		"ttl":                 0,
	}
	if c.RotationPeriod > 0 {
		data["ttl"] = seconds(time.Until(c.LastRotation.Add(c.RotationPeriod)).Round(time.Second))
	}
	if c.PreviousUsername != "" {
		data["previous_username"] = c.PreviousUsername
		data["previous_retire_at"] = formatTime(c.PreviousRetireAt)
	}
	return &response{status: http.StatusOK, body: dbResponse(req, data).body, auditData: map[string]any{"username": c.Username}}, nil
}

func (s *Server) staticRotate(ctx context.Context, req *request) (*response, error) {
	res, err := req.env.RotateStaticRole(ctx, &req.Caller, req.param("name"))
	if err != nil {
		return nil, err
	}
	return dbResponse(req, rotationResult(res)), nil
}

func (s *Server) kvRotate(ctx context.Context, req *request) (*response, error) {
	if _, err := readFields(req.body); err != nil {
		return nil, err
	}
	res, err := req.env.RotateSecret(ctx, &req.Caller, req.param("path"))
	if err != nil {
		return nil, err
	}
	return wardResponse(req, rotationResult(res)), nil
}

func (s *Server) kvRetire(ctx context.Context, req *request) (*response, error) {
	f, err := readFields(req.body, "reason")
	if err != nil {
		return nil, err
	}
	reason := f.str("reason")
	if f.err != nil {
		return nil, f.err
	}
	t, err := req.env.RetireSecret(ctx, &req.Caller, req.param("path"), reason)
	if err != nil {
		return nil, err
	}
	return wardResponse(req, t), nil
}

func (s *Server) kvRotationStatus(ctx context.Context, req *request) (*response, error) {
	st, err := req.env.RotationStatus(ctx, req.param("path"))
	if err != nil {
		return nil, err
	}
	return wardResponse(req, st), nil
}

func (s *Server) drillRun(ctx context.Context, req *request) (*response, error) {
	f, err := readFields(req.body, "prefix", "since", "dry_run")
	if err != nil {
		return nil, err
	}
	dr := rotate.DrillRequest{Prefix: f.str("prefix")}
	if b := f.boolean("dry_run"); b != nil {
		dr.DryRun = *b
	}
	if since := f.str("since"); since != "" {
		t, err := time.Parse(time.RFC3339, since)
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "field \"since\" must be an RFC 3339 time, like 2026-01-02T15:04:05Z")
		}
		dr.Since = t
	}
	if f.err != nil {
		return nil, f.err
	}
	rep, err := req.env.Drill(ctx, dr)
	if err != nil {
		return nil, err
	}
	// The drill's response entry names it, so that the dashboard can join
	// its audited steps (meta.drill_id) to who ran it over which prefix.
	req.auditMeta = map[string]string{"drill_id": rep.ID, "drill_prefix": rep.Prefix, "drill_dry_run": strconv.FormatBool(rep.DryRun)}
	return wardResponse(req, rep), nil
}

func wardResponse(req *request, data any) *response {
	body := envelope(req, data)
	delete(body, "mount_type")
	return &response{status: http.StatusOK, body: body}
}

// rotationAPIError maps rotation's errors: a retired secret is 410 with
// its tombstone, as Vault's error shape plus "tombstone".
func rotationAPIError(err error) *apiError {
	var retired *vault.RetiredError
	switch {
	case errors.As(err, &retired):
		return &apiError{status: http.StatusGone, msgs: []string{err.Error()}, extra: map[string]any{"tombstone": retired.Tombstone}}
	case errors.Is(err, generate.ErrCannotGenerate), errors.Is(err, rotate.ErrNeedsPerson):
		return &apiError{status: http.StatusBadRequest, msgs: []string{err.Error()}}
	case errors.Is(err, rotate.ErrConflict), errors.Is(err, rotate.ErrInProgress):
		return &apiError{status: http.StatusConflict, msgs: []string{err.Error()}}
	case errors.Is(err, rotate.ErrTarget):
		return &apiError{status: http.StatusBadGateway, msgs: []string{err.Error()}}
	case errors.Is(err, rotate.ErrNotFound):
		return &apiError{status: http.StatusNotFound, msgs: []string{err.Error()}}
	}
	return nil
}

// rotationResult is a rotate.Result as the API shows it.
func rotationResult(r *rotate.Result) map[string]any {
	return map[string]any{"record": r.Record, "old_retired": r.OldRetired, "verified": r.Verified}
}
