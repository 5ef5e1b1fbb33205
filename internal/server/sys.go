package server

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wardhq/ward/internal/barrier"
	"github.com/wardhq/ward/internal/jsonstrict"
	"github.com/wardhq/ward/internal/policy"
	"github.com/wardhq/ward/internal/vault"
)

func (s *Server) sealStatusBody(ctx context.Context) (map[string]any, error) {
	st, err := s.v.SealStatus(ctx)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"type":          "shamir",
		"initialized":   st.Initialized,
		"sealed":        st.Sealed,
		"t":             st.Threshold,
		"n":             st.Shares,
		"progress":      st.Progress,
		"nonce":         "",
		"version":       s.cfg.Version,
		"build_date":    "",
		"migration":     false,
		"recovery_seal": false,
		"storage_type":  s.cfg.StorageType,
		"cluster_name":  "ward",
	}, nil
}

func (s *Server) sysHealth(ctx context.Context, req *request) (*response, error) {
	st, err := s.v.SealStatus(ctx)
	if err != nil {
		return nil, err
	}
	status := http.StatusOK
	code := func(param string, def int) int {
		if v := req.query.Get(param); v != "" {
			if n, err := strconv.Atoi(v); err == nil && n >= 200 && n <= 599 {
				return n
			}
		}
		return def
	}
	switch {
	case !st.Initialized:
		status = code("uninitcode", http.StatusNotImplemented)
	case st.Sealed:
		status = code("sealedcode", http.StatusServiceUnavailable)
	default:
		status = code("activecode", http.StatusOK)
	}
	body := map[string]any{
		"initialized":                  st.Initialized,
		"sealed":                       st.Sealed,
		"standby":                      false,
		"performance_standby":          false,
		"replication_performance_mode": "disabled",
		"replication_dr_mode":          "disabled",
		"server_time_utc":              s.cfg.Now().Unix(),
		"version":                      s.cfg.Version,
		"cluster_name":                 "ward",
	}
	if req.method == http.MethodHead {
		body = nil
	}
	return &response{status: status, body: body}, nil
}

func (s *Server) sysSealStatus(ctx context.Context, _ *request) (*response, error) {
	body, err := s.sealStatusBody(ctx)
	if err != nil {
		return nil, err
	}
	return &response{status: http.StatusOK, body: body}, nil
}

// decodeShare accepts an unseal share as hex or standard base64.
func decodeShare(k string) ([]byte, error) {
	k = strings.TrimSpace(k)
	if b, err := hex.DecodeString(k); err == nil {
		return b, nil
	}
	if b, err := base64.StdEncoding.DecodeString(k); err == nil {
		return b, nil
	}
	return nil, errors.New("an unseal key is hex or base64")
}

func (s *Server) sysUnseal(ctx context.Context, req *request) (*response, error) {
	var body struct {
		Key   string `json:"key"`
		Reset bool   `json:"reset"`
	}
	if err := jsonstrict.Decode(req.body, &body); err != nil {
		return nil, errorf(http.StatusBadRequest, "%v", err)
	}
	if body.Reset {
		s.v.ResetUnseal()
	} else {
		if body.Key == "" {
			return nil, errorf(http.StatusBadRequest, `missing "key"; send {"key": "<share>"} or {"reset": true}`)
		}
		share, err := decodeShare(body.Key)
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "%v", err)
		}
		if _, err := s.v.Unseal(ctx, share); err != nil {
			var oe *vault.OpenError
			if errors.As(err, &oe) {
				s.log.Error("unsealing failed after a good key", vault.ErrorLogArgs(err, "request_id", req.id)...)
				return nil, &apiError{status: http.StatusInternalServerError, msgs: []string{err.Error() + "; hint: fix the cause and unseal again"}}
			}
			if errors.Is(err, barrier.ErrBadShares) {
				return nil, errorf(http.StatusBadRequest, "the unseal keys given do not open this vault; progress was reset, start again with valid keys")
			}
			if errors.Is(err, barrier.ErrNotInitialized) {
				return nil, err
			}
			return nil, errorf(http.StatusBadRequest, "unseal failed: %v", err)
		}
	}
	return s.sysSealStatus(ctx, req)
}

func (s *Server) sysInitStatus(ctx context.Context, _ *request) (*response, error) {
	ok, err := s.v.Initialized(ctx)
	if err != nil {
		return nil, err
	}
	return &response{status: http.StatusOK, body: map[string]any{"initialized": ok}}, nil
}

func (s *Server) sysInit(ctx context.Context, req *request) (*response, error) {
	var body struct {
		SecretShares    int `json:"secret_shares"`
		SecretThreshold int `json:"secret_threshold"`
	}
	if err := jsonstrict.Decode(req.body, &body); err != nil {
		return nil, errorf(http.StatusBadRequest, "%v", err)
	}
	res, err := s.v.Init(ctx, body.SecretShares, body.SecretThreshold)
	if err != nil {
		if errors.Is(err, barrier.ErrAlreadyInitialized) {
			return nil, errorf(http.StatusBadRequest, "ward is already initialized")
		}
		return nil, err
	}
	keys := make([]string, len(res.Shares))
	keys64 := make([]string, len(res.Shares))
	for i, sh := range res.Shares {
		keys[i] = hex.EncodeToString(sh)
		keys64[i] = base64.StdEncoding.EncodeToString(sh)
	}
	return &response{status: http.StatusOK, body: map[string]any{"keys": keys, "keys_base64": keys64, "root_token": res.RootToken}}, nil
}

func (s *Server) sysSeal(_ context.Context, _ *request) (*response, error) {
	seal := func() {
		if err := s.v.Seal(); err != nil {
			s.log.Error("sealing failed", vault.ErrorLogArgs(err)...)
		}
	}
	return &response{status: http.StatusNoContent, after: seal}, nil
}

func (s *Server) sysRotate(ctx context.Context, _ *request) (*response, error) {
	if _, err := s.v.Rotate(ctx); err != nil {
		return nil, err
	}
	return &response{status: http.StatusNoContent}, nil
}

func (s *Server) sysKeyStatus(ctx context.Context, req *request) (*response, error) {
	st, err := s.v.SealStatus(ctx)
	if err != nil {
		return nil, err
	}
	// Vault's shape. install_time is left out when unknown: a term installed
	// before ward recorded install times (keyring format 1).
	data := map[string]any{"term": st.Term}
	if !st.InstallTime.IsZero() {
		data["install_time"] = st.InstallTime.UTC().Format(time.RFC3339Nano)
	}
	body := envelope(req, data)
	for k, v := range data {
		body[k] = v
	}
	delete(body, "mount_type")
	return &response{status: http.StatusOK, body: body}, nil
}

func (s *Server) sysCapabilitiesSelf(_ context.Context, req *request) (*response, error) {
	var body struct {
		Path  string   `json:"path"`
		Paths []string `json:"paths"`
	}
	if err := jsonstrict.Decode(req.body, &body); err != nil {
		return nil, errorf(http.StatusBadRequest, "%v", err)
	}
	if body.Path != "" {
		body.Paths = append(body.Paths, body.Path)
	}
	if len(body.Paths) == 0 {
		return nil, errorf(http.StatusBadRequest, `missing "paths"`)
	}
	data := map[string]any{}
	var first []string
	for i, p := range body.Paths {
		caps := s.capabilities(req, p)
		if i == 0 {
			first = caps
		}
		data[p] = caps
	}
	data["capabilities"] = first
	out := envelope(req, data)
	delete(out, "mount_type")
	for k, v := range data {
		out[k] = v
	}
	return &response{status: http.StatusOK, body: out}, nil
}

// capabilities answers for one API path as a client names it (with KV v2's
// data/ or metadata/ segment), in the caller's environment.
func (s *Server) capabilities(req *request, apiPath string) []string {
	p, err := policy.CanonicalPath(apiPath)
	if err != nil {
		return []string{"deny"}
	}
	head, rest, _ := strings.Cut(p, "/")
	if head == "sys" || head == "auth" {
		return s.v.Capabilities(&req.Caller, "", p)
	}
	switch kind, sp, _ := strings.Cut(rest, "/"); kind {
	case "data", "metadata", "delete", "undelete", "destroy":
		p = head + "/" + sp
	}
	return s.v.Capabilities(&req.Caller, head, p)
}

func (s *Server) sysAuditHash(_ context.Context, req *request) (*response, error) {
	var body struct {
		Input string `json:"input"`
	}
	if err := jsonstrict.Decode(req.body, &body); err != nil {
		return nil, errorf(http.StatusBadRequest, "%v", err)
	}
	h, err := s.v.AuditHMAC(body.Input)
	if err != nil {
		return nil, err
	}
	out := envelope(req, map[string]any{"hash": h})
	out["hash"] = h
	delete(out, "mount_type")
	return &response{status: http.StatusOK, body: out, auditData: map[string]any{"hash": h}}, nil
}

func kvMountInfo(name string) map[string]any {
	return map[string]any{
		"type":        "kv",
		"path":        name + "/",
		"description": "environment " + name,
		"options":     map[string]any{"version": "2"},
		"config":      map[string]any{"default_lease_ttl": 0, "max_lease_ttl": 0},
		"local":       false,
		"seal_wrap":   false,
	}
}

func (s *Server) sysUIMount(_ context.Context, req *request) (*response, error) {
	p := req.param("mount")
	head, _, _ := strings.Cut(p, "/")
	env, err := s.v.EnvFor(&req.Caller, head)
	if errors.Is(err, vault.ErrEnvNotFound) {
		return nil, errorf(http.StatusBadRequest, "no environment %q; hint: ward env list", head)
	}
	if err != nil {
		return nil, err
	}
	return &response{status: http.StatusOK, body: envelope(req, kvMountInfo(env.Name))}, nil
}

func (s *Server) sysMounts(_ context.Context, req *request) (*response, error) {
	envs, err := s.v.Envs()
	if err != nil {
		return nil, err
	}
	data := map[string]any{}
	for _, e := range envs {
		data[e.Name+"/"] = kvMountInfo(e.Name)
	}
	out := envelope(req, data)
	for k, v := range data {
		out[k] = v
	}
	return &response{status: http.StatusOK, body: out}, nil
}
