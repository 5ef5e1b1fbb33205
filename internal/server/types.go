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
	"github.com/wardhq/ward/internal/policy"
	"github.com/wardhq/ward/internal/types"
	"github.com/wardhq/ward/internal/vault"
)

// opEach marks a route with no capability of its own that checks the
// caller's policy on each secret it reports (sys/ward/expiring).
const opEach policy.Capability = "list-each"

// typesRoute maps the type registry and the other typed-secret endpoints,
// in Vault's envelope style:
//
//	sys/ward/types               LIST (or GET) the type names
//	sys/ward/types/NAME          GET, POST|PUT {"schema": "...", "dry_run": bool}, DELETE
//	sys/ward/envs/NAME/rules     GET, POST|PUT {"required_metadata": [["owner"], ...]}
//	sys/ward/usage/ENV/PATH      GET: who read the secret last, and which version
//	sys/ward/expiring?within=14d GET: secrets past or near expires_at or rotate_every
func (s *Server) typesRoute(req *request, rest string) (*route, error) {
	m := req.method
	get := m == http.MethodGet || m == http.MethodHead
	write := m == http.MethodPost || m == http.MethodPut
	rt := &route{policyPath: "sys/" + rest}
	switch {
	case rest == "ward/types" || rest == "ward/types/":
		if m != "LIST" && !get {
			return nil, methodNotAllowed(req)
		}
		rt.op, rt.handler, rt.policyPath = policy.CapList, s.typeList, "sys/ward/types/"
	case strings.HasPrefix(rest, "ward/types/"):
		name := strings.TrimPrefix(rest, "ward/types/")
		switch {
		case get:
			rt.op, rt.handler = policy.CapRead, s.typeRead(name)
		case write:
			rt.op, rt.handler = policy.CapUpdate, s.typeWrite(name)
		case m == http.MethodDelete:
			rt.op, rt.handler = policy.CapDelete, s.typeDelete(name)
		default:
			return nil, methodNotAllowed(req)
		}
	case strings.HasPrefix(rest, "ward/envs/") && strings.HasSuffix(rest, "/rules"):
		name := strings.TrimSuffix(strings.TrimPrefix(rest, "ward/envs/"), "/rules")
		switch {
		case get:
			rt.op, rt.handler = policy.CapRead, s.envRulesRead(name)
		case write:
			rt.op, rt.handler = policy.CapUpdate, s.envRulesWrite(name)
		default:
			return nil, methodNotAllowed(req)
		}
	case strings.HasPrefix(rest, "ward/usage/"):
		env, p, _ := strings.Cut(strings.TrimPrefix(rest, "ward/usage/"), "/")
		if err := checkSecretPath(p); err != nil {
			return nil, err
		}
		if !get {
			return nil, methodNotAllowed(req)
		}
		rt.env, rt.op, rt.policyPath, rt.handler = env, policy.CapRead, env+"/"+p, s.usageRead(p)
	case rest == "ward/expiring":
		if !get {
			return nil, methodNotAllowed(req)
		}
		rt.op, rt.handler = opEach, s.expiring
	default:
		return nil, errorf(http.StatusNotFound, "unknown system path %q or method %s", rest, m)
	}
	return rt, nil
}

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

func (s *Server) typeRead(name string) handlerFunc {
	return func(_ context.Context, req *request) (*response, error) {
		t, err := s.v.Type(name)
		if err != nil {
			return nil, err
		}
		out := envelope(req, typeJSON(t))
		delete(out, "mount_type")
		return &response{status: http.StatusOK, body: out}, nil
	}
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

func (s *Server) typeWrite(name string) handlerFunc {
	return func(ctx context.Context, req *request) (*response, error) {
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
		conflicts, err := s.v.TypeConflicts(ctx, name, []byte(body.Schema))
		if err != nil {
			return nil, err
		}
		if !body.DryRun {
			if _, err := s.v.PutType(ctx, name, []byte(body.Schema)); err != nil {
				return nil, err
			}
		}
		data := map[string]any{"name": name, "dry_run": body.DryRun, "conflicts": conflictJSON(conflicts)}
		out := envelope(req, data)
		delete(out, "mount_type")
		if len(conflicts) > 0 {
			out["warnings"] = []string{"some secrets of this type do not conform to it; each is refused at its next write until fixed"}
		}
		return &response{status: http.StatusOK, body: out}, nil
	}
}

func (s *Server) typeDelete(name string) handlerFunc {
	return func(ctx context.Context, _ *request) (*response, error) {
		if err := s.v.DeleteType(ctx, name); err != nil {
			return nil, err
		}
		return &response{status: http.StatusNoContent}, nil
	}
}

func (s *Server) envRulesRead(name string) handlerFunc {
	return func(_ context.Context, req *request) (*response, error) {
		r, err := s.v.EnvRules(name)
		if err != nil {
			return nil, err
		}
		out := envelope(req, map[string]any{"env": name, "required_metadata": nonNilGroups(r.RequiredMetadata)})
		delete(out, "mount_type")
		return &response{status: http.StatusOK, body: out}, nil
	}
}

func (s *Server) envRulesWrite(name string) handlerFunc {
	return func(ctx context.Context, req *request) (*response, error) {
		var r vault.EnvRules
		if err := decodeKnown(req.body, &r); err != nil {
			return nil, err
		}
		if err := s.v.SetEnvRules(ctx, name, r); err != nil {
			return nil, err
		}
		return &response{status: http.StatusNoContent}, nil
	}
}

func (s *Server) usageRead(p string) handlerFunc {
	return func(ctx context.Context, req *request) (*response, error) {
		if _, err := req.env.KV.Metadata(ctx, p); err != nil {
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
	var envs []*vault.Env
	if req.token.IsRoot() {
		all, err := s.v.Envs()
		if err != nil {
			return nil, err
		}
		envs = all
	} else if e, err := s.v.Env(req.token.Env); err == nil && e.ID == req.token.EnvID {
		envs = []*vault.Env{e}
	}
	found, err := s.v.ExpiringSecrets(ctx, envs, within)
	if err != nil {
		return nil, err
	}
	list := []any{}
	for _, e := range found {
		p := e.Env + "/" + e.Path
		folder := e.Env + "/"
		if i := strings.LastIndex(e.Path, "/"); i >= 0 {
			folder += e.Path[:i+1]
		}
		if !req.acl.Check(folder, policy.CapList).Allowed && !req.acl.Check(p, policy.CapRead).Allowed {
			continue
		}
		list = append(list, map[string]any{
			"env": e.Env, "path": e.Path, "reason": e.Reason, "due_time": formatTime(e.Due),
			"overdue": e.Overdue, "owner": e.Owner,
		})
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
		errors.Is(err, types.ErrBadName), errors.Is(err, vault.ErrTypeBuiltin), errors.Is(err, vault.ErrInvalidRules):
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
