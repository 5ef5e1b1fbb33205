package server

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/wardhq/ward/internal/jsonstrict"
	"github.com/wardhq/ward/internal/types"
)

// fetchResult is one secret of a batched fetch, as the API answers it.
type fetchResult struct {
	Path           string            `json:"path"`
	Status         string            `json:"status"` // ok, not_found, deleted, denied, error
	Error          string            `json:"error,omitempty"`
	Data           json.RawMessage   `json:"data,omitempty"`
	Metadata       map[string]any    `json:"metadata,omitempty"`
	CustomMetadata map[string]string `json:"custom_metadata,omitempty"`
	MFARequired    bool              `json:"mfa_required,omitempty"`
	TypeProblems   []types.Problem   `json:"type_problems,omitempty"`
}

// fetch answers sys/ward/fetch/ENV: the current version of many secrets of
// one environment in one request (vault.Fetch authorizes and audits each).
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
	found, err := s.v.Fetch(ctx, &req.Caller, req.env, body.Paths, body.Types)
	if err != nil {
		return nil, err
	}
	results := make([]fetchResult, len(found))
	auditData := make([]any, len(found))
	for i, f := range found {
		r := fetchResult{Path: f.Path, Status: f.Status, Error: f.Error, Data: f.Data, CustomMetadata: f.CustomMetadata,
			MFARequired: f.MFARequired, TypeProblems: f.TypeProblems}
		if f.Version != nil {
			r.Metadata = versionJSON(*f.Version)
		}
		results[i] = r
		auditData[i] = map[string]any{"path": f.Path, "data": f.Fields}
	}
	out := envelope(req, map[string]any{"secrets": results, "production": s.v.IsProdEnv(req.env.Name)})
	delete(out, "mount_type")
	return &response{status: http.StatusOK, body: out, auditData: map[string]any{"secrets": auditData}}, nil
}
