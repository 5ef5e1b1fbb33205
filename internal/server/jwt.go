package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/wardhq/ward/internal/auth/jwtauth"
	"github.com/wardhq/ward/internal/jsonstrict"
	"github.com/wardhq/ward/internal/vault"
)

// The JWT auth method in Vault's shapes: auth/jwt/config,
// auth/jwt/role/NAME (and LIST auth/jwt/role), and auth/jwt/login, which
// needs no token. Config and roles need the policy capability of the
// operation, as every admin endpoint does.

// jwtError gives the JWT method's errors their status and a hint.
func jwtError(err error) error {
	var fe *jwtauth.FieldError
	var rej *jwtauth.RejectError
	switch {
	case errors.As(err, &fe):
		return errorf(http.StatusBadRequest, "%v", err)
	case errors.As(err, &rej):
		return errorf(http.StatusBadRequest, "%v", err)
	case errors.Is(err, jwtauth.ErrKeysUnavailable):
		return errorf(http.StatusServiceUnavailable, "%v; ward issues no token without checking the signature, try again later", err)
	case errors.Is(err, vault.ErrJWTNotConfigured):
		return errorf(http.StatusBadRequest, "the JWT auth method is not configured; hint: write auth/jwt/config (ward login --ci needs it)")
	case errors.Is(err, vault.ErrJWTEnvChanged):
		return errorf(http.StatusBadRequest, "%v", err)
	case errors.Is(err, vault.ErrEnvNotFound):
		return errorf(http.StatusBadRequest, "%v; hint: create it first (ward env create NAME)", err)
	}
	return err
}

// decodeObject decodes a JSON object member by member into fields (name →
// pointer), refusing members not in fields, so a typo or an unsupported
// Vault option is an error that names it rather than silently ignored.
func decodeObject(body []byte, fields map[string]any) error {
	if err := jsonstrict.Check(body, jsonstrict.DefaultMaxDepth); err != nil {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return errorf(http.StatusBadRequest, "the request body must be a JSON object")
	}
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	sort.Strings(names)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		dst, ok := fields[k]
		if !ok {
			return errorf(http.StatusBadRequest, "unsupported field %q; the fields are %s", k, strings.Join(names, ", "))
		}
		dec := json.NewDecoder(bytes.NewReader(m[k]))
		dec.UseNumber()
		if err := dec.Decode(dst); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return errorf(http.StatusBadRequest, "field %q must be %s, not %s", k, te.Type, te.Value)
			}
			return errorf(http.StatusBadRequest, "field %q: %v", k, err)
		}
	}
	return nil
}

// stringList accepts a JSON array of strings or a comma-separated string,
// as Vault does.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*l = nil
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				*l = append(*l, p)
			}
		}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return errors.New("a list must be an array of strings or a comma-separated string")
	}
	*l = list
	return nil
}

func (s *Server) jwtLogin(ctx context.Context, req *request) (*response, error) {
	var body struct {
		Role string `json:"role"`
		JWT  string `json:"jwt"`
	}
	badErr := decodeObject(req.body, map[string]any{"role": &body.Role, "jwt": &body.JWT})
	switch {
	case badErr != nil:
	case body.Role == "":
		badErr = errorf(http.StatusBadRequest, `missing "role": name the role to log in with, e.g. {"role": "ci-staging", "jwt": "..."}`)
	case body.JWT == "":
		badErr = errorf(http.StatusBadRequest, `missing "jwt": the CI job's OIDC token`)
	}
	// Too many failures: a 429 before the audit write, so a flood of bad
	// logins, malformed ones too, cannot grow the log.
	source := vault.LoginSource(req.http.RemoteAddr)
	if err := s.v.CheckLogin(source, body.Role); err != nil {
		return nil, err
	}
	// A login changes the store, so its request entry is written before
	// anything happens; the pipeline writes the response entry.
	req.audited, req.op, req.policyPath = true, "login", "auth/jwt/login"
	if err := s.auditRequest(req, false); err != nil {
		req.audited = false
		return nil, auditFailed(req.id)
	}
	if badErr != nil {
		s.v.LoginFailed(source, "")
		return nil, badErr
	}
	secret, tok, err := s.v.JWTLoginFrom(ctx, source, body.Role, body.JWT)
	if err != nil {
		if errors.Is(err, vault.ErrJWTRoleNotFound) {
			return nil, errorf(http.StatusBadRequest, "role %q could not be found; hint: LIST auth/jwt/role shows the roles", body.Role)
		}
		return nil, jwtError(err)
	}
	req.Token = tok // the response entry names the new token and its pipeline
	if env, err := s.v.Env(tok.Env); err == nil {
		req.env = env
	}
	return s.authResponse(req, secret, tok), nil
}

func (s *Server) jwtConfigRead(_ context.Context, req *request) (*response, error) {
	cfg, err := s.v.JWTConfig()
	if err != nil {
		if errors.Is(err, vault.ErrJWTNotConfigured) {
			return nil, errNotFound
		}
		return nil, err
	}
	keys := cfg.JWTValidationPubkeys
	if keys == nil {
		keys = []string{}
	}
	out := envelope(req, map[string]any{
		"oidc_discovery_url":     cfg.OIDCDiscoveryURL,
		"jwks_url":               cfg.JWKSURL,
		"jwt_validation_pubkeys": keys,
		"bound_issuer":           cfg.BoundIssuer,
		"jwt_supported_algs":     []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"},
	})
	delete(out, "mount_type")
	return &response{status: http.StatusOK, body: out}, nil
}

func (s *Server) jwtConfigWrite(ctx context.Context, req *request) (*response, error) {
	var body struct {
		OIDCDiscoveryURL     string     `json:"oidc_discovery_url"`
		JWKSURL              string     `json:"jwks_url"`
		JWTValidationPubkeys stringList `json:"jwt_validation_pubkeys"`
		BoundIssuer          string     `json:"bound_issuer"`
	}
	if err := decodeObject(req.body, map[string]any{
		"oidc_discovery_url": &body.OIDCDiscoveryURL, "jwks_url": &body.JWKSURL,
		"jwt_validation_pubkeys": &body.JWTValidationPubkeys, "bound_issuer": &body.BoundIssuer,
	}); err != nil {
		return nil, err
	}
	cfg := jwtauth.Config{
		OIDCDiscoveryURL:     body.OIDCDiscoveryURL,
		JWKSURL:              body.JWKSURL,
		JWTValidationPubkeys: body.JWTValidationPubkeys,
		BoundIssuer:          body.BoundIssuer,
	}
	if err := s.v.PutJWTConfig(ctx, cfg); err != nil {
		if errors.Is(err, jwtauth.ErrKeysUnavailable) {
			return nil, errorf(http.StatusBadRequest, "%v; check the URL (ward fetches the issuer's keys from it) and that this server can reach it; the configuration was not changed", err)
		}
		return nil, jwtError(err)
	}
	return &response{status: http.StatusNoContent}, nil
}

func (s *Server) jwtRoleList(_ context.Context, req *request) (*response, error) {
	names, err := s.v.JWTRoles()
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, errNotFound // as Vault answers an empty LIST
	}
	out := envelope(req, map[string]any{"keys": names})
	delete(out, "mount_type")
	return &response{status: http.StatusOK, body: out}, nil
}

func (s *Server) jwtRoleRead(_ context.Context, req *request) (*response, error) {
	name := req.param("name")
	r, err := s.v.JWTRole(name)
	if err != nil {
		if errors.Is(err, vault.ErrJWTRoleNotFound) {
			return nil, errNotFound
		}
		return nil, err
	}
	ttl, maxTTL := r.TTLs()
	maxAge := r.MaxAge
	if maxAge == 0 {
		maxAge = jwtauth.DefaultMaxAge
	}
	claims := r.BoundClaims
	if claims == nil {
		claims = map[string]any{}
	}
	mappings := r.ClaimMappings
	if mappings == nil {
		mappings = map[string]string{}
	}
	userClaim := r.UserClaim
	if userClaim == "" {
		userClaim = "sub"
	}
	out := envelope(req, map[string]any{
		"role_type":         "jwt",
		"bound_audiences":   r.BoundAudiences,
		"bound_subject":     r.BoundSubject,
		"bound_claims":      claims,
		"bound_claims_type": r.BoundClaimsType,
		"claim_mappings":    mappings,
		"user_claim":        userClaim,
		"token_policies":    r.TokenPolicies,
		"policies":          r.TokenPolicies,
		"token_ttl":         int64(ttl / time.Second),
		"token_max_ttl":     int64(maxTTL / time.Second),
		"token_type":        "service",
		"max_age":           int64(maxAge / time.Second),
		"environment":       r.Environment,
		"approval_claims":   nonNilClaims(r.ApprovalClaims),
	})
	delete(out, "mount_type")
	return &response{status: http.StatusOK, body: out}, nil
}

func (s *Server) jwtRoleWrite(ctx context.Context, req *request) (*response, error) {
	name := req.param("name")
	var body struct {
		RoleType        string            `json:"role_type"`
		BoundAudiences  stringList        `json:"bound_audiences"`
		BoundSubject    string            `json:"bound_subject"`
		BoundClaims     map[string]any    `json:"bound_claims"`
		BoundClaimsType string            `json:"bound_claims_type"`
		ClaimMappings   map[string]string `json:"claim_mappings"`
		UserClaim       string            `json:"user_claim"`
		TokenPolicies   stringList        `json:"token_policies"`
		TokenTTL        durationField     `json:"token_ttl"`
		TokenMaxTTL     durationField     `json:"token_max_ttl"`
		TokenType       string            `json:"token_type"`
		MaxAge          durationField     `json:"max_age"`
		Environment     string            `json:"environment"`
		ApprovalClaims  map[string]any    `json:"approval_claims"`
	}
	if err := decodeObject(req.body, map[string]any{
		"role_type": &body.RoleType, "bound_audiences": &body.BoundAudiences, "bound_subject": &body.BoundSubject,
		"bound_claims": &body.BoundClaims, "bound_claims_type": &body.BoundClaimsType,
		"claim_mappings": &body.ClaimMappings, "user_claim": &body.UserClaim,
		"token_policies": &body.TokenPolicies, "token_ttl": &body.TokenTTL, "token_max_ttl": &body.TokenMaxTTL,
		"token_type": &body.TokenType, "max_age": &body.MaxAge, "environment": &body.Environment,
		"approval_claims": &body.ApprovalClaims,
	}); err != nil {
		return nil, err
	}
	switch {
	case body.RoleType != "" && body.RoleType != "jwt":
		return nil, errorf(http.StatusBadRequest, "role_type %q is not supported; ward's roles are \"jwt\" roles for CI tokens", body.RoleType)
	case body.TokenType != "" && body.TokenType != "service" && body.TokenType != "default":
		return nil, errorf(http.StatusBadRequest, "token_type %q is not supported; ward tokens are service tokens", body.TokenType)
	}
	r := jwtauth.Role{
		BoundAudiences:  body.BoundAudiences,
		BoundSubject:    body.BoundSubject,
		BoundClaims:     body.BoundClaims,
		BoundClaimsType: body.BoundClaimsType,
		ClaimMappings:   body.ClaimMappings,
		UserClaim:       body.UserClaim,
		TokenPolicies:   body.TokenPolicies,
		TokenTTL:        body.TokenTTL.d,
		TokenMaxTTL:     body.TokenMaxTTL.d,
		MaxAge:          body.MaxAge.d,
		Environment:     body.Environment,
		ApprovalClaims:  body.ApprovalClaims,
	}
	if err := s.v.PutJWTRoleAs(ctx, &req.Caller, name, r); err != nil {
		return nil, jwtError(err)
	}
	return &response{status: http.StatusNoContent}, nil
}

func (s *Server) jwtRoleDelete(ctx context.Context, req *request) (*response, error) {
	name := req.param("name")
	if err := s.v.DeleteJWTRoleAs(ctx, &req.Caller, name); err != nil {
		if errors.Is(err, vault.ErrJWTRoleNotFound) {
			return nil, errNotFound
		}
		return nil, err
	}
	return &response{status: http.StatusNoContent}, nil
}
