package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/wardhq/ward/internal/policy"
)

// What the vault and bao CLIs send and read that the rest of the API does
// not cover: version lists as strings, sys/leader, sys/auth and sys/audit
// in Vault's shapes, and a clear refusal of secrets engines.

// versionList is a list of secret versions as Vault's CLI sends it
// (kv delete -versions=1,2 sends ["1","2"]) or as its API documents it
// ([1, 2]): numbers, strings of digits, or one comma-separated string.
type versionList []int

func (l *versionList) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		return l.parse(strings.Split(s, ","))
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return errors.New(`versions must be a list of version numbers, like [1, 2] or ["1", "2"]`)
	}
	parts := make([]string, len(raw))
	for i, r := range raw {
		if json.Unmarshal(r, &parts[i]) != nil {
			parts[i] = string(r)
		}
	}
	return l.parse(parts)
}

func (l *versionList) parse(parts []string) error {
	*l = (*l)[:0]
	for _, p := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 1 {
			return errors.New(`versions must be positive whole numbers, like [1, 2] or ["1", "2"]`)
		}
		*l = append(*l, n)
	}
	return nil
}

// sysLeader answers Vault's GET sys/leader: ward is one server, never in
// HA mode, so it leads itself.
func (s *Server) sysLeader(_ context.Context, req *request) (*response, error) {
	data := map[string]any{
		"ha_enabled":             false,
		"is_self":                true,
		"active_time":            "0001-01-01T00:00:00Z",
		"leader_address":         "",
		"leader_cluster_address": "",
		"performance_standby":    false,
		"raft_committed_index":   0,
		"raft_applied_index":     0,
	}
	return &response{status: http.StatusOK, body: data}, nil
}

// sysAuth lists ward's auth methods in Vault's shape of GET sys/auth.
func (s *Server) sysAuth(_ context.Context, req *request) (*response, error) {
	method := func(typ, desc string) map[string]any {
		return map[string]any{
			"type": typ, "description": desc, "accessor": "auth_" + typ + "_ward", "local": false,
			"seal_wrap": false, "external_entropy_access": false, "options": nil,
			"config": map[string]any{"default_lease_ttl": 0, "max_lease_ttl": 0, "token_type": "default-service"},
		}
	}
	data := map[string]any{
		"token/":    method("token", "token based credentials"),
		"userpass/": method("userpass", "people: ward user create, ward login"),
		"jwt/":      method("jwt", "CI jobs: OIDC tokens exchanged for ward tokens"),
	}
	return listingResponse(req, data), nil
}

// sysAudit lists ward's one audit device, its file, in Vault's shape of
// GET sys/audit.
func (s *Server) sysAudit(_ context.Context, req *request) (*response, error) {
	data := map[string]any{
		"file/": map[string]any{
			"type": "file", "path": "file/", "local": false,
			"description": "ward's audit log: hash-chained, HMAC'd, with signed checkpoints",
			"options":     map[string]any{"file_path": s.v.AuditPath()},
		},
	}
	return listingResponse(req, data), nil
}

// sysMountsEnable refuses Vault's secrets enable and auth enable: ward's
// engines are its environments and its auth methods are built in.
func (s *Server) sysMountsEnable(_ context.Context, req *request) (*response, error) {
	if strings.HasPrefix(req.path, "sys/auth/") {
		return nil, errorf(http.StatusBadRequest, "ward's auth methods (token, userpass, jwt) are built in and always enabled; there is nothing to enable")
	}
	return nil, errorf(http.StatusBadRequest, "ward does not mount secrets engines: each environment is a KV v2 mount; hint: create one with 'ward env create NAME' (POST sys/ward/envs/NAME, a root token)")
}

// listingResponse answers a sys/ listing as Vault does: the entries both
// under "data" and at the top level, where older clients read them.
func listingResponse(req *request, data map[string]any) *response {
	out := envelope(req, data)
	for k, v := range data {
		out[k] = v
	}
	delete(out, "mount_type")
	return &response{status: http.StatusOK, body: out}
}

// fromVaultHCL translates a Vault HCL policy (vault policy write) to
// ward's YAML, which is then stored; a ward policy passes unchanged.
func fromVaultHCL(src []byte) ([]byte, error) {
	if !policy.LooksLikeVaultHCL(src) {
		return src, nil
	}
	y, err := policy.FromVaultHCL(src)
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "%v", err)
	}
	return y, nil
}
