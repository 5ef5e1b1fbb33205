package server

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/wardhq/ward/internal/auth"
	"github.com/wardhq/ward/internal/auth/totp"
	"github.com/wardhq/ward/internal/auth/userpass"
	"github.com/wardhq/ward/internal/jsonstrict"
	"github.com/wardhq/ward/internal/policy"
)

// identities is the server's in-memory state for users and MFA: the login
// lockout counters, the TOTP used steps and failure counts, and the lock
// that serialises changes to users.
type identities struct {
	logins  *userpass.Authenticator
	codes   *totp.Verifier
	usersMu sync.Mutex // serialises read-modify-write of users
}

func newIdentities(cfg Config) *identities {
	up := cfg.Userpass
	if up.Now == nil {
		up.Now = cfg.Now
	}
	mfa := cfg.MFA
	if mfa.Now == nil {
		mfa.Now = cfg.Now
	}
	return &identities{logins: userpass.NewAuthenticator(up), codes: totp.NewVerifier(mfa)}
}

func userCreateOrUpdate(ctx context.Context, s *Server, req *request) (policy.Capability, error) {
	name := req.param("user")
	{
		users, err := s.v.Users()
		if err != nil {
			return "", err
		}
		_, err = users.Get(ctx, name)
		switch {
		case errors.Is(err, userpass.ErrUserNotFound):
			return policy.CapCreate, nil
		case err != nil:
			return "", err
		}
		return policy.CapUpdate, nil
	}
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
	name := req.param("user")
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
	users, err := s.v.Users()
	if err != nil {
		return nil, err
	}
	s.ids.usersMu.Lock()
	defer s.ids.usersMu.Unlock()
	u, err := users.Get(ctx, name)
	now := s.cfg.Now()
	switch {
	case errors.Is(err, userpass.ErrUserNotFound):
		if body.Password == nil {
			return nil, errorf(http.StatusBadRequest, `missing "password": a new user needs one (ward user create reads it from a prompt or stdin)`)
		}
		u = &userpass.User{Name: name, CreatedAt: now}
	case err != nil:
		return nil, err
	}
	if err := s.applyUserBody(u, &body); err != nil {
		return nil, err
	}
	if len(u.Policies) == 0 {
		return nil, errorf(http.StatusBadRequest, `missing "token_policies": a user's tokens need at least one policy`)
	}
	u.UpdatedAt = now
	if err := users.Put(ctx, u); err != nil {
		return nil, err
	}
	return &response{status: http.StatusNoContent}, nil
}

func (s *Server) applyUserBody(u *userpass.User, body *userBody) error {
	if body.Password != nil {
		h, err := s.ids.logins.HashPassword(*body.Password)
		if err != nil {
			return err
		}
		u.PasswordHash = h
	}
	if body.TokenPolicies != nil {
		ps := slices.Clone([]string(*body.TokenPolicies))
		for _, p := range ps {
			if p == auth.RootPolicy {
				return errorf(http.StatusBadRequest, "a user cannot be given the root policy; root tokens come from 'ward operator generate-root'")
			}
			if err := policy.ValidName(p); err != nil {
				return err
			}
		}
		slices.Sort(ps)
		u.Policies = slices.Compact(ps)
	}
	if body.TokenTTL.set {
		u.TTL = body.TokenTTL.d
	}
	if body.TokenMaxTTL.set {
		u.MaxTTL = body.TokenMaxTTL.d
	}
	if u.TTL < 0 || u.MaxTTL < 0 || u.MaxTTL > 0 && u.TTL > u.MaxTTL {
		return errorf(http.StatusBadRequest, "token_ttl and token_max_ttl must be positive, and token_ttl at most token_max_ttl")
	}
	if body.Environment != nil {
		if *body.Environment != "" {
			if _, err := s.v.Env(*body.Environment); err != nil {
				return err
			}
		}
		u.Env = *body.Environment
	}
	return nil
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
	name := req.param("user")
	users, err := s.v.Users()
	if err != nil {
		return nil, err
	}
	u, err := users.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	data := userJSON(u)
	if en, err := s.totpStore(ctx, "userpass/"+name); err == nil {
		data["mfa_totp"] = map[string]any{"confirmed": en.Confirmed}
	}
	body := envelope(req, data)
	delete(body, "mount_type")
	return &response{status: http.StatusOK, body: body}, nil
}

func (s *Server) userList(ctx context.Context, req *request) (*response, error) {
	users, err := s.v.Users()
	if err != nil {
		return nil, err
	}
	names, err := users.List(ctx)
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
	name := req.param("user")
	s.ids.usersMu.Lock()
	defer s.ids.usersMu.Unlock()
	if err := s.v.DeleteUser(ctx, name); err != nil {
		return nil, err
	}
	s.ids.codes.Forget("userpass/" + name)
	return &response{status: http.StatusNoContent}, nil
}

func (s *Server) userPassword(ctx context.Context, req *request) (*response, error) {
	name := req.param("user")
	var body struct {
		Password *string `json:"password"`
	}
	if err := jsonstrict.Decode(req.body, &body); err != nil {
		return nil, errorf(http.StatusBadRequest, "%v", err)
	}
	if body.Password == nil {
		return nil, errorf(http.StatusBadRequest, `missing "password"`)
	}
	users, err := s.v.Users()
	if err != nil {
		return nil, err
	}
	s.ids.usersMu.Lock()
	defer s.ids.usersMu.Unlock()
	u, err := users.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	if u.PasswordHash, err = s.ids.logins.HashPassword(*body.Password); err != nil {
		return nil, err
	}
	u.UpdatedAt = s.cfg.Now()
	if err := users.Put(ctx, u); err != nil {
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
	if norm, err := userpass.Normalize(name); err == nil {
		req.path = "auth/userpass/login/" + norm
	}
	req.audited, req.op, req.policyPath, req.auditOmit = true, "login", req.path, []string{"password"}
	if err := s.auditRequest(req, false); err != nil {
		req.audited = false
		return nil, auditFailed(req.id)
	}
	if bodyErr != nil {
		return nil, bodyErr
	}
	if pathName != "" && body.Username != "" {
		a, errA := userpass.Normalize(body.Username)
		b, errB := userpass.Normalize(pathName)
		if errA != nil || errB != nil || a != b {
			return nil, errorf(http.StatusBadRequest, `"username" names another user than the path; give one of them`)
		}
	}
	return s.login(ctx, req, name, &body)
}

func (s *Server) login(ctx context.Context, req *request, name string, body *loginBody) (*response, error) {
	users, err := s.v.Users()
	if err != nil {
		return nil, err
	}
	u, err := s.ids.logins.Login(ctx, users, name, body.Password)
	if err != nil {
		return nil, loginError(err)
	}
	env := u.Env
	switch {
	case env != "" && body.Env != "" && body.Env != env:
		return nil, errorf(http.StatusForbidden, "permission denied: user %s logs in to environment %q only", u.Name, env)
	case env == "" && body.Env == "":
		return nil, errorf(http.StatusBadRequest, `missing "env": every token is bound to exactly one environment; log in with --env staging`)
	case env == "":
		env = body.Env
	}
	e, err := s.v.Env(env)
	if err != nil {
		return nil, err
	}
	tokens, err := s.v.Tokens()
	if err != nil {
		return nil, err
	}
	secret, tok, err := tokens.CreateLogin(ctx, auth.CreateRequest{
		Policies:       u.Policies,
		Env:            e.Name,
		EnvID:          e.ID,
		TTL:            u.TTL,
		ExplicitMaxTTL: u.MaxTTL,
		DisplayName:    "userpass-" + u.Name,
		Meta:           map[string]string{"username": u.Name, auth.IdentityMetaKey: "userpass/" + u.Name},
	})
	if err != nil {
		return nil, err
	}
	req.token, req.env = tok, e // the response entry names the new token
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
