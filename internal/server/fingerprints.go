package server

import (
	"context"
	"net/http"
)

// fingerprints answers sys/ward/fingerprints/ENV: a fingerprint set of
// every secret the caller may read in ENV, for `ward scan --known`
// (vault.Fingerprints authorizes and audits each secret).
func (s *Server) fingerprints(ctx context.Context, req *request) (*response, error) {
	set, nSecrets, nValues, err := s.v.Fingerprints(ctx, &req.Caller, req.env)
	if err != nil {
		return nil, err
	}
	out := envelope(req, map[string]any{"set": set, "secrets": nSecrets, "values": nValues, "production": s.v.IsProdEnv(req.env.Name)})
	delete(out, "mount_type")
	return &response{status: http.StatusOK, body: out, auditData: map[string]any{"secrets": nSecrets, "values": nValues}}, nil
}
