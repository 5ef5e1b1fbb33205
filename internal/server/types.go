package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/wardhq/ward/internal/jsonstrict"
	"github.com/wardhq/ward/internal/types"
	"github.com/wardhq/ward/internal/vault"
)

func (s *Server) typeList(_ context.Context, req *request) (*response, error) {
	names, err := s.v.Types()
	if err != nil {
		return nil, err
	}
	list := make([]any, len(names))
	for i, n := range names {
		list[i] = map[string]any{"name": n, "builtin": types.IsBuiltin(n)}
	}
	out := envelope(req, map[string]any{"keys": names, "types": list})
	delete(out, "mount_type")
	return &response{status: http.StatusOK, body: out}, nil
}

func typeJSON(t *types.Type) map[string]any {
	fields := t.Fields()
	var plain []string
	for _, f := range fields {
		if !t.Sensitive(f) {
			plain = append(plain, f)
		}
	}
	slices.Sort(fields)
	slices.Sort(plain)
	return map[string]any{
		"name":          t.Name(),
		"schema":        string(t.Source()),
		"builtin":       types.IsBuiltin(t.Name()),
		"fields":        fields,
		"non_sensitive": nonNil(plain),
	}
}

func (s *Server) typeRead(_ context.Context, req *request) (*response, error) {
	name := req.param("name")
	t, err := s.v.Type(name)
	if err != nil {
		return nil, err
	}
	out := envelope(req, typeJSON(t))
	delete(out, "mount_type")
	return &response{status: http.StatusOK, body: out}, nil
}

// conflictJSON is a secret that would not conform: where, and which
// fields and rules. Never a value.
func conflictJSON(cs []vault.Conflict) []any {
	out := make([]any, len(cs))
	for i, c := range cs {
		out[i] = map[string]any{"env": c.Env, "path": c.Path, "problems": c.Problems}
	}
	return out
}

func (s *Server) typeWrite(ctx context.Context, req *request) (*response, error) {
	name := req.param("name")
	var body struct {
		Schema string `json:"schema"`
		DryRun bool   `json:"dry_run"`
	}
	if err := decodeKnown(req.body, &body); err != nil {
		return nil, err
	}
	if body.Schema == "" {
		return nil, errorf(http.StatusBadRequest, `missing "schema": the type's JSON Schema, as a string`)
	}
	conflicts, err := s.v.WriteType(ctx, name, []byte(body.Schema), body.DryRun)
	if err != nil {
		return nil, err
	}
	data := map[string]any{"name": name, "dry_run": body.DryRun, "conflicts": conflictJSON(conflicts)}
	out := envelope(req, data)
	delete(out, "mount_type")
	if len(conflicts) > 0 {
		out["warnings"] = []string{"some secrets of this type do not conform to it; each is refused at its next write until fixed"}
	}
	return &response{status: http.StatusOK, body: out}, nil
}

func (s *Server) typeDelete(ctx context.Context, req *request) (*response, error) {
	name := req.param("name")
	if err := s.v.DeleteType(ctx, name); err != nil {
		return nil, err
	}
	return &response{status: http.StatusNoContent}, nil
}

func (s *Server) envRulesRead(_ context.Context, req *request) (*response, error) {
	name := req.param("env")
	r, err := s.v.EnvRules(name)
	if err != nil {
		return nil, err
	}
	data := map[string]any{"env": name, "required_metadata": nonNilGroups(r.RequiredMetadata)}
	if r.Production != nil {
		data["production"] = *r.Production
	}
	out := envelope(req, data)
	delete(out, "mount_type")
	return &response{status: http.StatusOK, body: out}, nil
}

func (s *Server) envRulesWrite(ctx context.Context, req *request) (*response, error) {
	name := req.param("env")
	var r vault.EnvRules
	if err := decodeKnown(req.body, &r); err != nil {
		return nil, err
	}
	if err := s.v.SetEnvRules(ctx, name, r); err != nil {
		return nil, err
	}
	return &response{status: http.StatusNoContent}, nil
}

func (s *Server) usageRead(ctx context.Context, req *request) (*response, error) {
	p := req.param("path")
	if _, err := req.env.SecretMetadata(ctx, p); err != nil {
		return nil, err
	}
	u, err := s.v.SecretUsage(ctx, req.env, p)
	if err != nil {
		return nil, err
	}
	readers := map[string]any{}
	for id, r := range u.Readers {
		readers[id] = map[string]any{"version": r.Version, "read_time": formatTime(r.At)}
	}
	data := map[string]any{
		"env": req.env.Name, "path": p,
		"last_read_time": formatTime(u.LastRead), "last_reader": u.LastReader, "readers": readers,
	}
	out := envelope(req, data)
	delete(out, "mount_type")
	return &response{status: http.StatusOK, body: out}, nil
}

// expiring lists, across the environments the caller's token reaches,
// the secrets past or near expiry or rotation that its policy lets it list
// (list on the secret's folder) or read.
func (s *Server) expiring(ctx context.Context, req *request) (*response, error) {
	within := 14 * 24 * time.Hour
	if w := req.query.Get("within"); w != "" {
		d, err := vault.ParseCadence(w)
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "within: %v", err)
		}
		within = d
	}
	found, err := s.v.ExpiringFor(ctx, &req.Caller, within)
	if err != nil {
		return nil, err
	}
	list := []any{}
	for _, e := range found {
		item := map[string]any{
			"env": e.Env, "path": e.Path, "reason": e.Reason, "due_time": formatTime(e.Due),
			"overdue": e.Overdue, "owner": e.Owner, "rotation": e.Rotation,
		}
		if !e.NextTry.IsZero() {
			item["next_try"] = formatTime(e.NextTry)
		}
		list = append(list, item)
	}
	out := envelope(req, map[string]any{"within": within.String(), "secrets": list})
	delete(out, "mount_type")
	return &response{status: http.StatusOK, body: out}, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilGroups(g [][]string) [][]string {
	if g == nil {
		return [][]string{}
	}
	return g
}

// typesAPIError maps the errors of typed secrets to their status; nil for
// any other error.
func typesAPIError(err error) *apiError {
	var ve *types.ValidationError
	var ce *types.CompileError
	var nf *vault.TypeNotFoundError
	var inUse *vault.TypeInUseError
	var missing *vault.MissingMetadataError
	var format *vault.MetadataFormatError
	switch {
	case errors.As(err, &ve), errors.As(err, &ce), errors.As(err, &missing), errors.As(err, &format),
		errors.Is(err, types.ErrBadName), errors.Is(err, vault.ErrTypeBuiltin), errors.Is(err, vault.ErrInvalidRules), errors.Is(err, vault.ErrProductionByApply):
		return &apiError{status: http.StatusBadRequest, msgs: []string{err.Error()}}
	case errors.As(err, &inUse):
		return &apiError{status: http.StatusConflict, msgs: []string{err.Error()}}
	case errors.As(err, &nf):
		return &apiError{status: http.StatusNotFound, msgs: []string{err.Error()}}
	}
	return nil
}

// decodeKnown decodes a body that may be hostile, refusing fields it does
// not know: a misspelt field must not silently mean "nothing".
func decodeKnown(body []byte, v any) error {
	if err := jsonstrict.Check(body, jsonstrict.DefaultMaxDepth); err != nil {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			return errorf(http.StatusBadRequest, "invalid request: field %q must be %s, not %s", te.Field, te.Type, te.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return errorf(http.StatusBadRequest, "invalid request: %s", strings.TrimPrefix(err.Error(), "json: "))
		}
		return errorf(http.StatusBadRequest, "invalid request body")
	}
	return nil
}
