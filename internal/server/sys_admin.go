package server

import (
	"context"
	"net/http"

	"github.com/wardhq/ward/internal/jsonstrict"
	"github.com/wardhq/ward/internal/vault"
)

// Policies: sys/policies/acl/NAME in Vault's shapes; the document is YAML.

func (s *Server) policyList(_ context.Context, req *request) (*response, error) {
	names, err := s.v.Policies()
	if err != nil {
		return nil, err
	}
	out := envelope(req, map[string]any{"keys": names, "policies": names})
	delete(out, "mount_type")
	return &response{status: http.StatusOK, body: out}, nil
}

func (s *Server) policyRead(_ context.Context, req *request) (*response, error) {
	name := req.param("name")
	p, err := s.v.Policy(name)
	if err != nil {
		return nil, err
	}
	out := envelope(req, map[string]any{"name": p.Name, "policy": string(p.Raw)})
	delete(out, "mount_type")
	return &response{status: http.StatusOK, body: out}, nil
}

func (s *Server) policyWrite(ctx context.Context, req *request) (*response, error) {
	name := req.param("name")
	var body struct {
		Policy string `json:"policy"`
	}
	if err := jsonstrict.Decode(req.body, &body); err != nil {
		return nil, errorf(http.StatusBadRequest, "%v", err)
	}
	if body.Policy == "" {
		return nil, errorf(http.StatusBadRequest, `missing "policy": the policy document (YAML)`)
	}
	src, err := fromVaultHCL([]byte(body.Policy))
	if err != nil {
		return nil, err
	}
	if _, err := s.v.PutPolicyAs(ctx, &req.Caller, name, src); err != nil {
		return nil, err
	}
	return &response{status: http.StatusNoContent}, nil
}

func (s *Server) policyDelete(ctx context.Context, req *request) (*response, error) {
	name := req.param("name")
	if err := s.v.DeletePolicyAs(ctx, &req.Caller, name); err != nil {
		return nil, err
	}
	return &response{status: http.StatusNoContent}, nil
}

// Environments: sys/ward/envs/NAME, ward's own endpoint.

// envJSON describes an environment. production is whether it is one, by
// its mark or else its name; production_marked whether it is marked.
func (s *Server) envJSON(e *vault.Env) map[string]any {
	r, _ := s.v.EnvRules(e.Name)
	return map[string]any{"name": e.Name, "created_at": formatTime(e.CreatedAt), "mount": e.Name + "/",
		"production": vault.ProdOf(e.Name, r.Production), "production_marked": r.Production != nil}
}

func (s *Server) envList(_ context.Context, req *request) (*response, error) {
	envs, err := s.v.Envs()
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(envs))
	list := make([]any, len(envs))
	for i, e := range envs {
		keys[i] = e.Name
		list[i] = s.envJSON(e)
	}
	out := envelope(req, map[string]any{"keys": keys, "environments": list})
	delete(out, "mount_type")
	return &response{status: http.StatusOK, body: out}, nil
}

func (s *Server) envRead(_ context.Context, req *request) (*response, error) {
	name := req.param("name")
	e, err := s.v.Env(name)
	if err != nil {
		return nil, err
	}
	out := envelope(req, s.envJSON(e))
	delete(out, "mount_type")
	return &response{status: http.StatusOK, body: out}, nil
}

func (s *Server) envCreate(ctx context.Context, req *request) (*response, error) {
	name := req.param("name")
	e, err := s.v.CreateEnv(ctx, name)
	if err != nil {
		return nil, err
	}
	out := envelope(req, s.envJSON(e))
	delete(out, "mount_type")
	return &response{status: http.StatusOK, body: out}, nil
}

func (s *Server) envDelete(ctx context.Context, req *request) (*response, error) {
	name := req.param("env")
	if err := s.v.DeleteEnv(ctx, name); err != nil {
		return nil, err
	}
	return &response{status: http.StatusNoContent}, nil
}
