package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/wardhq/ward/internal/auth/userpass"
	"github.com/wardhq/ward/internal/jsonstrict"
	"github.com/wardhq/ward/internal/policy"
	"github.com/wardhq/ward/internal/vault"
)

// userCreateOrUpdate decides, from whether the user exists, which
// capability a write needs.
func userCreateOrUpdate(ctx context.Context, s *Server, req *request) (policy.Capability, error) {
	ok, err := s.v.UserExists(ctx, req.param("user"))
	switch {
	case err != nil:
		return "", err
	case ok:
		return policy.CapUpdate, nil
	}
	return policy.CapCreate, nil
}

type userBody struct {
	Password      *string       `json:"password"`
	TokenPolicies *stringList   `json:"token_policies"`
	Policies      *stringList   `json:"policies"` // Vault's older name for token_policies
	TokenTTL      durationField `json:"token_ttl"`
	TokenMaxTTL   durationField `json:"token_max_ttl"`
	Environment   *string       `json:"environment"`
}

// userWrite creates or updates a user. Fields ward does not take,
// Vault's other token_* fields (bound CIDRs, use limits, periods) among
// them, are refused, not ignored: a restriction silently dropped would be
// worse than an error.
func (s *Server) userWrite(ctx context.Context, req *request) (*response, error) {
	var body userBody
	if err := decodeKnown(req.body, &body); err != nil {
		return nil, err
	}
	if body.TokenPolicies != nil && body.Policies != nil {
		return nil, errorf(http.StatusBadRequest, `give "token_policies" or its older name "policies", not both`)
	}
	if body.TokenPolicies == nil {
		body.TokenPolicies = body.Policies
	}
	up := vault.UserUpdate{Password: body.Password, Env: body.Environment}
	if body.TokenPolicies != nil {
		up.Policies = append([]string{}, (*body.TokenPolicies)...)
	}
	if body.TokenTTL.set {
		up.TTL = &body.TokenTTL.d
	}
	if body.TokenMaxTTL.set {
		up.MaxTTL = &body.TokenMaxTTL.d
	}
	if err := s.v.PutUserAs(ctx, &req.Caller, req.param("user"), up); err != nil {
		return nil, err
	}
	return &response{status: http.StatusNoContent}, nil
}

func userJSON(u *userpass.User) map[string]any {
	return map[string]any{
		"name":           u.Name,
		"token_policies": u.Policies,
		"policies":       u.Policies,
		"token_ttl":      int64(u.TTL / time.Second),
		"token_max_ttl":  int64(u.MaxTTL / time.Second),
		"environment":    u.Env,
		"created_at":     formatTime(u.CreatedAt),
		"updated_at":     formatTime(u.UpdatedAt),
	}
}

func (s *Server) userRead(ctx context.Context, req *request) (*response, error) {
	u, en, err := s.v.User(ctx, req.param("user"))
	if err != nil {
		return nil, err
	}
	data := userJSON(u)
	if en.Enrolled {
		data["mfa_totp"] = map[string]any{"confirmed": en.Confirmed}
	}
	body := envelope(req, data)
	delete(body, "mount_type")
	return &response{status: http.StatusOK, body: body}, nil
}

func (s *Server) userList(ctx context.Context, req *request) (*response, error) {
	names, err := s.v.UserNames(ctx)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, errNotFound
	}
	body := envelope(req, map[string]any{"keys": names})
	delete(body, "mount_type")
	return &response{status: http.StatusOK, body: body}, nil
}

func (s *Server) userDelete(ctx context.Context, req *request) (*response, error) {
	if err := s.v.DeleteUserAs(ctx, &req.Caller, req.param("user")); err != nil {
		return nil, err
	}
	return &response{status: http.StatusNoContent}, nil
}

func (s *Server) userPassword(ctx context.Context, req *request) (*response, error) {
	var body struct {
		Password *string `json:"password"`
	}
	if err := jsonstrict.Decode(req.body, &body); err != nil {
		return nil, errorf(http.StatusBadRequest, "%v", err)
	}
	if body.Password == nil {
		return nil, errorf(http.StatusBadRequest, `missing "password"`)
	}
	if err := s.v.SetPasswordAs(ctx, &req.Caller, req.param("user"), *body.Password); err != nil {
		return nil, err
	}
	return &response{status: http.StatusNoContent}, nil
}

type loginBody struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Env      string `json:"env"`
}

// userLogin checks a password and answers with a token in Vault's auth
// block. pathName is the name in the path, "" for auth/userpass/login
// with the name in the body. A login changes the store, so its request
// entry is written before anything happens, without the password, and
// under the normalised name's path; the pipeline writes the response
// entry, which names the new token.
func (s *Server) userLogin(ctx context.Context, req *request) (*response, error) {
	pathName := req.param("name")
	var body loginBody
	bodyErr := decodeKnown(req.body, &body)
	name := pathName
	if name == "" {
		name = body.Username
	}
	var limitKey string // the user's failures: "userpass/NAME"
	if norm, err := userpass.Normalize(name); err == nil {
		req.path = "auth/userpass/login/" + norm
		limitKey = "userpass/" + norm
	}
	// Too many failures from this address or for this user: a 429 before
	// the audit write, as for JWT logins (the per-user lockout stays).
	source := vault.LoginSource(req.http.RemoteAddr)
	if err := s.v.CheckLogin(source, limitKey); err != nil {
		return nil, err
	}
	req.audited, req.op, req.policyPath, req.auditOmit = true, "login", req.path, []string{"password"}
	if err := s.auditRequest(req, false); err != nil {
		req.audited = false
		return nil, auditFailed(req.id)
	}
	if bodyErr != nil {
		s.v.LoginFailed(source, "")
		return nil, bodyErr
	}
	if pathName != "" && body.Username != "" {
		a, errA := userpass.Normalize(body.Username)
		b, errB := userpass.Normalize(pathName)
		if errA != nil || errB != nil || a != b {
			return nil, errorf(http.StatusBadRequest, `"username" names another user than the path; give one of them`)
		}
	}
	secret, tok, err := s.v.UserLogin(ctx, name, body.Password, body.Env)
	if err != nil {
		var le *userpass.LockedError
		switch {
		case limitKey != "" && (errors.Is(err, userpass.ErrBadLogin) || errors.As(err, &le)):
			s.v.LoginFailed(source, limitKey)
		case errors.Is(err, userpass.ErrBadLogin), errors.Is(err, userpass.ErrBadName), errors.As(err, new(*userpass.RequestError)):
			s.v.LoginFailed(source, "")
		}
		return nil, loginError(err)
	}
	req.Token = tok // the response entry names the new token
	req.env, _ = s.v.Env(tok.Env)
	return s.authResponse(req, secret, tok), nil
}

func loginError(err error) error {
	var le *userpass.LockedError
	var re *userpass.RequestError
	switch {
	case errors.Is(err, userpass.ErrBadLogin):
		return errorf(http.StatusBadRequest, "invalid username or password")
	case errors.As(err, &le):
		return &apiError{status: http.StatusTooManyRequests, msgs: []string{err.Error()}}
	case errors.As(err, &re), errors.Is(err, userpass.ErrBadName):
		return &apiError{status: http.StatusBadRequest, msgs: []string{err.Error()}}
	}
	return err
}
