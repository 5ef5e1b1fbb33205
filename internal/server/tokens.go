package server

import (
	"context"
	"net/http"
	"time"

	"github.com/wardhq/ward/internal/auth"
	"github.com/wardhq/ward/internal/jsonstrict"
)

type tokenCreateBody struct {
	Policies        stringList        `json:"policies"`
	Meta            map[string]string `json:"meta"`
	NoParent        bool              `json:"no_parent"`
	NoDefaultPolicy bool              `json:"no_default_policy"`
	TTL             durationField     `json:"ttl"`
	ExplicitMaxTTL  durationField     `json:"explicit_max_ttl"`
	DisplayName     string            `json:"display_name"`
	Renewable       *bool             `json:"renewable"`
	NumUses         int               `json:"num_uses"`
	Type            string            `json:"type"`
	ID              string            `json:"id"`
	Period          durationField     `json:"period"`
	Env             string            `json:"env"`
}

func (s *Server) tokenCreateChild(ctx context.Context, req *request) (*response, error) {
	return s.tokenCreate(ctx, req, false)
}

func (s *Server) tokenCreateOrphan(ctx context.Context, req *request) (*response, error) {
	return s.tokenCreate(ctx, req, true)
}

func (s *Server) tokenCreate(ctx context.Context, req *request, orphan bool) (*response, error) {
	var body tokenCreateBody
	if len(req.body) > 0 {
		if err := jsonstrict.Decode(req.body, &body); err != nil {
			return nil, errorf(http.StatusBadRequest, "%v", err)
		}
	}
	switch {
	case body.ID != "":
		return nil, errorf(http.StatusBadRequest, "ward makes every token's value itself; remove \"id\"")
	case body.NumUses != 0:
		return nil, errorf(http.StatusBadRequest, "use-limited tokens are not supported; give a short ttl instead")
	case body.Type != "" && body.Type != "service":
		return nil, errorf(http.StatusBadRequest, "token type %q is not supported; ward tokens are service tokens", body.Type)
	case body.Period.set && body.Period.d != 0:
		return nil, errorf(http.StatusBadRequest, "periodic tokens are not supported; give ttl and explicit_max_ttl")
	}
	cr := auth.CreateRequest{
		Policies:       body.Policies,
		TTL:            body.TTL.d,
		ExplicitMaxTTL: body.ExplicitMaxTTL.d,
		Renewable:      body.Renewable,
		DisplayName:    body.DisplayName,
		Meta:           body.Meta,
		NoParent:       body.NoParent || orphan,
	}
	secret, tok, err := s.v.CreateToken(ctx, &req.Caller, body.Env, cr)
	if err != nil {
		return nil, err
	}
	return s.authResponse(req, secret, tok), nil
}

func (s *Server) authResponse(req *request, secret string, t *auth.Token) *response {
	a := map[string]any{
		"client_token":    secret,
		"accessor":        t.Accessor,
		"policies":        t.Policies,
		"token_policies":  t.Policies,
		"metadata":        t.Meta,
		"lease_duration":  int64(s.remaining(t) / time.Second),
		"renewable":       t.Renewable,
		"entity_id":       "",
		"token_type":      "service",
		"orphan":          t.Parent == "",
		"num_uses":        0,
		"mfa_requirement": nil,
		"env":             t.Env,
	}
	body := envelope(req, nil)
	body["auth"] = a
	delete(body, "mount_type")
	audited := map[string]any{"auth": map[string]any{"client_token": secret, "accessor": t.Accessor, "policies": t.Policies}}
	return &response{status: http.StatusOK, body: body, auditData: audited}
}

func (s *Server) remaining(t *auth.Token) time.Duration {
	if t.ExpiresAt.IsZero() {
		return 0
	}
	d := t.ExpiresAt.Sub(s.cfg.Now())
	if d < 0 {
		return 0
	}
	return d.Truncate(time.Second)
}

func (s *Server) tokenData(t *auth.Token, id string) map[string]any {
	var expire any
	if !t.ExpiresAt.IsZero() {
		expire = formatTime(t.ExpiresAt)
	}
	var meta any
	if t.Meta != nil {
		meta = t.Meta
	}
	return map[string]any{
		"accessor":         t.Accessor,
		"creation_time":    t.CreatedAt.Unix(),
		"creation_ttl":     int64(t.TTL / time.Second),
		"display_name":     t.DisplayName,
		"entity_id":        "",
		"expire_time":      expire,
		"explicit_max_ttl": int64(t.ExplicitMaxTTL / time.Second),
		"id":               id,
		"issue_time":       formatTime(t.CreatedAt),
		"meta":             meta,
		"num_uses":         0,
		"orphan":           t.Parent == "",
		"path":             "auth/token/create",
		"policies":         t.Policies,
		"renewable":        t.Renewable,
		"ttl":              int64(s.remaining(t) / time.Second),
		"type":             "service",
		"env":              t.Env,
	}
}

func (s *Server) lookupResponse(req *request, t *auth.Token, id string) *response {
	data := s.tokenData(t, id)
	body := envelope(req, data)
	delete(body, "mount_type")
	return &response{status: http.StatusOK, body: body, auditData: map[string]any{"id": id, "accessor": t.Accessor}}
}

func (s *Server) tokenLookupSelf(_ context.Context, req *request) (*response, error) {
	return s.lookupResponse(req, req.Token, req.Secret), nil
}

// targetToken looks up the token named in the body's "token" field, and
// refuses one outside the caller's environment.
func (s *Server) targetToken(ctx context.Context, req *request, field string) (*auth.Token, string, error) {
	var body map[string]any
	if len(req.body) > 0 {
		if err := jsonstrict.Decode(req.body, &body); err != nil {
			return nil, "", errorf(http.StatusBadRequest, "%v", err)
		}
	}
	v, _ := body[field].(string)
	if v == "" && req.method == http.MethodGet && field == "token" {
		v = req.query.Get("token")
	}
	if v == "" {
		return nil, "", errorf(http.StatusBadRequest, "missing %q", field)
	}
	var t *auth.Token
	var err error
	if field == "accessor" {
		t, err = s.v.TokenOf(ctx, &req.Caller, "", v)
	} else {
		t, err = s.v.TokenOf(ctx, &req.Caller, v, "")
	}
	return t, v, err
}

func (s *Server) tokenLookup(ctx context.Context, req *request) (*response, error) {
	t, secret, err := s.targetToken(ctx, req, "token")
	if err != nil {
		return nil, err
	}
	return s.lookupResponse(req, t, secret), nil
}

func (s *Server) tokenLookupAccessor(ctx context.Context, req *request) (*response, error) {
	t, _, err := s.targetToken(ctx, req, "accessor")
	if err != nil {
		return nil, err
	}
	return s.lookupResponse(req, t, ""), nil
}

func (s *Server) renew(ctx context.Context, req *request, t *auth.Token, secret string) (*response, error) {
	var body struct {
		Increment durationField `json:"increment"`
		Token     string        `json:"token"`
	}
	if len(req.body) > 0 {
		if err := jsonstrict.Decode(req.body, &body); err != nil {
			return nil, errorf(http.StatusBadRequest, "%v", err)
		}
	}
	nt, err := s.v.RenewToken(ctx, t, body.Increment.d)
	if err != nil {
		return nil, err
	}
	return s.authResponse(req, secret, nt), nil
}

func (s *Server) tokenRenewSelf(ctx context.Context, req *request) (*response, error) {
	return s.renew(ctx, req, req.Token, req.Secret)
}

func (s *Server) tokenRenew(ctx context.Context, req *request) (*response, error) {
	t, secret, err := s.targetToken(ctx, req, "token")
	if err != nil {
		return nil, err
	}
	return s.renew(ctx, req, t, secret)
}

func (s *Server) revoke(ctx context.Context, t *auth.Token) (*response, error) {
	if err := s.v.RevokeToken(ctx, t); err != nil {
		return nil, err
	}
	return &response{status: http.StatusNoContent}, nil
}

func (s *Server) tokenRevokeSelf(ctx context.Context, req *request) (*response, error) {
	return s.revoke(ctx, req.Token)
}

func (s *Server) tokenRevoke(ctx context.Context, req *request) (*response, error) {
	t, _, err := s.targetToken(ctx, req, "token")
	if err != nil {
		return nil, err
	}
	return s.revoke(ctx, t)
}

// tokenRevokeOrphan revokes the token named in the body alone; its
// children become orphans (Vault's auth/token/revoke-orphan, root only as
// Vault's sudo).
// The token is named by "token", as in Vault, or by "accessor", as the
// ward CLI names tokens.
func (s *Server) tokenRevokeOrphan(ctx context.Context, req *request) (*response, error) {
	field := "token"
	var body map[string]any
	if jsonstrict.Decode(req.body, &body) == nil && body["accessor"] != nil {
		field = "accessor"
	}
	t, _, err := s.targetToken(ctx, req, field)
	if err != nil {
		return nil, err
	}
	if err := s.v.RevokeTokenOrphan(ctx, t); err != nil {
		return nil, err
	}
	return &response{status: http.StatusNoContent}, nil
}

func (s *Server) tokenRevokeAccessor(ctx context.Context, req *request) (*response, error) {
	t, _, err := s.targetToken(ctx, req, "accessor")
	if err != nil {
		return nil, err
	}
	return s.revoke(ctx, t)
}
