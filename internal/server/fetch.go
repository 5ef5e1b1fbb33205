package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/wardhq/ward/internal/audit"
	"github.com/wardhq/ward/internal/jsonstrict"
	"github.com/wardhq/ward/internal/policy"
	"github.com/wardhq/ward/internal/secrets"
	"github.com/wardhq/ward/internal/types"
)

// maxFetchPaths bounds one batched fetch.
const maxFetchPaths = 256

// fetchResult is one secret of a batched fetch.
type fetchResult struct {
	Path           string            `json:"path"`
	Status         string            `json:"status"` // ok, not_found, deleted, denied, error
	Error          string            `json:"error,omitempty"`
	Data           json.RawMessage   `json:"data,omitempty"`
	Metadata       map[string]any    `json:"metadata,omitempty"`
	CustomMetadata map[string]string `json:"custom_metadata,omitempty"`
	// MFARequired: denied for want of a TOTP code that the fetch could carry.
	MFARequired bool `json:"mfa_required,omitempty"`
	// TypeProblems are the rules the value breaks of the type the caller
	// asked it be checked against; empty when it conforms or none was asked.
	TypeProblems []types.Problem `json:"type_problems,omitempty"`
}

// fetch answers sys/ward/fetch/ENV: the current version of many secrets of
// one environment in one request, as `ward check` and `ward run` need. Each
// secret is checked against the caller's policy on its own and leaves its
// own read entries in the audit log; a missing or denied one is reported by
// name in the answer, not as a failure of the whole request.
func (s *Server) fetch(ctx context.Context, req *request) (*response, error) {
	var body struct {
		Paths []string `json:"paths"`
		// Types names, by path, the type a secret's value is checked
		// against (ward check and ward run send the manifest's).
		Types map[string]string `json:"types"`
	}
	if err := jsonstrict.Decode(req.body, &body); err != nil {
		return nil, errorf(http.StatusBadRequest, "%v", err)
	}
	switch {
	case len(body.Paths) == 0:
		return nil, errorf(http.StatusBadRequest, `no paths; send {"paths": ["payments/db", ...]}`)
	case len(body.Paths) > maxFetchPaths:
		return nil, errorf(http.StatusBadRequest, "%d paths in one fetch; the limit is %d", len(body.Paths), maxFetchPaths)
	}
	log, err := s.v.Audit()
	if err != nil {
		return nil, err
	}
	env := req.env.Name
	results := make([]fetchResult, len(body.Paths))
	entries := make([]*audit.Entry, 0, 2*len(body.Paths))
	auditData := make([]any, len(body.Paths))
	for i, raw := range body.Paths {
		r, data := s.fetchOne(ctx, req, raw)
		if want := body.Types[raw]; want != "" && r.Status == "ok" {
			r.TypeProblems = s.typeProblems(req.env.Name, r.Path, want, data)
		}
		results[i] = r
		auditData[i] = map[string]any{"path": r.Path, "data": data}
		reqE := s.auditEntry(req, "request")
		reqE.Path, reqE.Operation = env+"/data/"+r.Path, string(policy.CapRead)
		respE := s.auditEntry(req, "response")
		respE.Path, respE.Operation = reqE.Path, reqE.Operation
		respE.Status, respE.Error = fetchStatusCode(r.Status), r.Error
		entries = append(entries, reqE, respE)
	}
	// Each secret's read is in the log before any of them is answered.
	if err := log.WriteAll(context.WithoutCancel(ctx), entries...); err != nil {
		return nil, auditFailed(req.id)
	}
	out := envelope(req, map[string]any{"secrets": results})
	delete(out, "mount_type")
	return &response{status: http.StatusOK, body: out, auditData: map[string]any{"secrets": auditData}}, nil
}

// fetchOne reads one secret for fetch; data is its fields for the audit log.
func (s *Server) fetchOne(ctx context.Context, req *request, raw string) (fetchResult, map[string]any) {
	r := fetchResult{Path: raw}
	p, err := policy.CanonicalPath(raw)
	if err != nil || p == "" || p[len(p)-1] == '/' {
		r.Status, r.Error = "error", "invalid secret path"
		if err != nil {
			r.Error = err.Error()
		}
		return r, nil
	}
	r.Path = p
	ppath := req.env.Name + "/" + p
	d := req.acl.Check(ppath, policy.CapRead)
	if !d.Allowed {
		r.Status, r.Error = "denied", fmt.Sprintf("permission denied: read on %s", ppath)
		return r, nil
	}
	if err := s.fetchStepUp(ctx, req, p, ppath, d); err != nil {
		ae := toAPIError(err)
		r.Status, r.Error, r.MFARequired = "denied", ae.Error(), ae.mfaPrompt
		return r, nil
	}
	ver, err := req.env.KV.Get(ctx, p, 0)
	switch {
	case ver != nil && ver.Data == nil:
		r.Status, r.Error, r.Metadata = "deleted", "the current version is deleted or destroyed", versionJSON(ver.Metadata)
		return r, nil
	case errors.Is(err, secrets.ErrNotFound):
		r.Status, r.Error = "not_found", "no secret at this path"
		return r, nil
	case err != nil:
		r.Status, r.Error = "error", toAPIError(err).Error()
		return r, nil
	}
	var data map[string]any
	json.Unmarshal(ver.Data, &data)
	r.Status, r.Data, r.Metadata = "ok", ver.Data, versionJSON(ver.Metadata)
	s.recordRead(req, p, ver.Metadata.Version)
	if md, err := req.env.KV.Metadata(ctx, p); err == nil {
		r.CustomMetadata = md.CustomMetadata
	}
	return r, data
}

// typeProblems checks a fetched secret's fields against type name.
func (s *Server) typeProblems(env, path, name string, data map[string]any) []types.Problem {
	t, err := s.v.Type(name)
	if err != nil {
		return []types.Problem{{Rule: "type", Message: fmt.Sprintf("type %q is not registered on this server ('ward type list' shows those that are)", name)}}
	}
	var ve *types.ValidationError
	if err := t.Validate(env, path, data); errors.As(err, &ve) {
		return ve.Problems
	} else if err != nil {
		return []types.Problem{{Rule: "type", Message: "could not be checked against the type"}}
	}
	return nil
}

func fetchStatusCode(status string) int {
	switch status {
	case "ok":
		return http.StatusOK
	case "denied":
		return http.StatusForbidden
	case "not_found", "deleted":
		return http.StatusNotFound
	case "error":
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}
