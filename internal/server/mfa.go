package server

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/wardhq/ward/internal/auth"
	"github.com/wardhq/ward/internal/auth/totp"
	"github.com/wardhq/ward/internal/jsonstrict"
	"github.com/wardhq/ward/internal/plan"
	"github.com/wardhq/ward/internal/policy"
	"github.com/wardhq/ward/internal/secrets"
)

// MFAHeader carries a TOTP code for a request that needs step-up MFA.
const MFAHeader = "X-Ward-MFA"

// MFARequiredHeader is set to "required" on an error answer that a
// request with a valid code in MFAHeader could turn into a success, so a
// client knows to ask for one and retry.
const MFARequiredHeader = "X-Ward-MFA-Required"

// BreakGlassKey is the custom_metadata key that tags a secret break-glass:
// with the value "true", reading its data needs step-up MFA.
const BreakGlassKey = "break_glass"

// MFADefault is a rule that needs step-up MFA for every non-root token,
// whatever its policies say.
type MFADefault struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// MFADefaults are the shipped step-up rules, in the order they are
// checked. sys/ward/mfa/defaults lists them.
var MFADefaults = []MFADefault{
	{"destroy-versions", "destroying secret versions: ENV/destroy/PATH, and DELETE ENV/metadata/PATH, which destroys every version"},
	{"delete-environment", "deleting an environment: DELETE sys/ward/envs/NAME"},
	{"read-break-glass", `reading the data of a secret whose custom_metadata has break_glass: "true" (ENV/data/PATH and sys/ward/fetch)`},
	{"retag-break-glass", "writing the metadata of a break-glass secret (POST ENV/metadata/PATH), which could remove the tag"},
	{"apply-to-prod", "an apply (sys/ward/apply) that changes a production environment (prod, production, prod-*), what a policy grants there, or its secrets' metadata"},
}

// isProd reports whether an environment's name marks it production: the
// environments the apply-to-prod default guards.
func isProd(env string) bool {
	return env == "prod" || env == "production" || strings.HasPrefix(env, "prod-")
}

// touchesProd names the first change of an apply that reaches a production
// environment, or "".
func touchesProd(changes []plan.Change) string {
	for _, c := range changes {
		switch c.Kind {
		case plan.KindEnv:
			if isProd(c.Name) {
				return "environment " + c.Name
			}
		case plan.KindSecret:
			if env, _, _ := strings.Cut(c.Name, "/"); isProd(env) {
				return "the metadata of " + c.Name
			}
		case plan.KindPolicy:
			for _, a := range c.Access {
				if isProd(a.Env) {
					return a.String()
				}
			}
		}
	}
	return ""
}

// stepUp asks for MFA where the policy rule that allowed the request, or
// a shipped default, demands it. Root tokens are never asked.
func (s *Server) stepUp(ctx context.Context, req *request, op policy.Capability, d policy.Decision) error {
	if req.token.IsRoot() {
		return nil
	}
	if d.MFA {
		if err := s.requireMFA(req, "policy "+d.Policy+" requires MFA for "+string(op)+" on "+req.policyPath); err != nil {
			return err
		}
	}
	why, err := s.defaultMFA(ctx, req, op)
	if err != nil || why == "" {
		return err
	}
	return s.requireMFA(req, why)
}

// defaultMFA returns why a shipped default needs MFA for req, or "".
func (s *Server) defaultMFA(ctx context.Context, req *request, op policy.Capability) (string, error) {
	env := req.env != nil
	switch {
	case env && op == policy.CapDestroy:
		return "destroying versions requires MFA (a shipped default)", nil
	case op == policy.CapDelete && strings.HasPrefix(req.policyPath, "sys/ward/envs/"):
		return "deleting an environment requires MFA (a shipped default)", nil
	case env && op == policy.CapRead && strings.HasPrefix(req.path, req.env.Name+"/data/"):
		glass, err := breakGlass(ctx, req, req.param("path"))
		if err != nil || !glass {
			return "", err
		}
		return "reading a break-glass secret requires MFA (a shipped default)", nil
	case env && op == policy.CapUpdate && strings.HasPrefix(req.path, req.env.Name+"/metadata/"):
		glass, err := breakGlass(ctx, req, req.param("path"))
		if err != nil || !glass {
			return "", err
		}
		return "changing a break-glass secret's metadata requires MFA (a shipped default)", nil
	}
	return "", nil
}

// breakGlass reports whether the secret at p is tagged break-glass. A
// missing secret is not.
func breakGlass(ctx context.Context, req *request, p string) (bool, error) {
	md, err := req.env.KV.Metadata(ctx, p)
	if errors.Is(err, secrets.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return md.CustomMetadata[BreakGlassKey] == "true", nil
}

// requireMFA passes only if req carries a valid, unused TOTP code of its
// token's identity in X-Ward-MFA; why says what asked for it. A code is
// checked once per request: a second call returns the first answer. Root
// tokens pass. The outcome goes into the request's audit entries as
// meta "mfa"; the code itself is never recorded.
func (s *Server) requireMFA(req *request, why string) error {
	if req.token.IsRoot() || req.mfa == "verified" {
		return nil
	}
	if req.mfaErr != nil {
		return req.mfaErr
	}
	req.mfaErr = s.checkMFA(req, why)
	if req.mfaErr != nil {
		return req.mfaErr
	}
	req.mfa = "verified"
	return nil
}

func (s *Server) checkMFA(req *request, why string) error {
	deny := func(mfa string, prompt bool, status int, msg string) error {
		req.mfa = mfa
		return &apiError{status: status, msgs: []string{"permission denied: " + why + "; " + msg}, mfaPrompt: prompt}
	}
	codes := req.http.Header.Values(MFAHeader)
	if len(codes) > 1 {
		return deny("refused: malformed", false, http.StatusBadRequest, "send one X-Ward-MFA header")
	}
	identity := req.token.Meta[auth.IdentityMetaKey]
	if identity == "" {
		return deny("refused: no identity", false, http.StatusForbidden, "this token has no identity with a second factor; log in as a user (ward login) and enrol (ward mfa enroll)")
	}
	en, err := s.totpStore(req.http.Context(), identity)
	if errors.Is(err, totp.ErrNotEnrolled) || err == nil && !en.Confirmed {
		return deny("refused: not enrolled", false, http.StatusForbidden, identity+" has no confirmed TOTP enrolment; hint: ward mfa enroll")
	}
	if err != nil {
		return err
	}
	if len(codes) == 0 || codes[0] == "" {
		return deny("refused: no code", true, http.StatusForbidden, "send a TOTP code in X-Ward-MFA (the ward CLI asks for one, or reads WARD_MFA)")
	}
	var rl *totp.RateLimitError
	switch err := s.ids.codes.Verify(identity, en.Secret, codes[0]); {
	case err == nil:
		return nil
	case errors.Is(err, totp.ErrMalformedCode):
		return deny("refused: malformed", true, http.StatusForbidden, "an MFA code is exactly 6 ASCII digits, without spaces")
	case errors.Is(err, totp.ErrInvalidCode):
		return deny("refused: wrong code", true, http.StatusForbidden, "the MFA code is wrong or expired")
	case errors.Is(err, totp.ErrReplayed):
		return deny("refused: replayed", true, http.StatusForbidden, "the MFA code was already used; wait for the next one")
	case errors.As(err, &rl):
		return deny("refused: rate limited", false, http.StatusTooManyRequests, strings.TrimPrefix(err.Error(), "totp: "))
	default:
		return err
	}
}

func (s *Server) totpStore(ctx context.Context, identity string) (*totp.Enrolment, error) {
	st, err := s.v.TOTP()
	if err != nil {
		return nil, err
	}
	return st.Get(ctx, identity)
}

func (s *Server) callerIdentity(req *request) (string, error) {
	id := req.token.Meta[auth.IdentityMetaKey]
	if id == "" {
		return "", errorf(http.StatusBadRequest, "this token has no identity to enrol: log in as a user first (ward login), then run ward mfa enroll")
	}
	return id, nil
}

func (s *Server) mfaEnroll(ctx context.Context, req *request) (*response, error) {
	id, err := s.callerIdentity(req)
	if err != nil {
		return nil, err
	}
	st, err := s.v.TOTP()
	if err != nil {
		return nil, err
	}
	s.ids.usersMu.Lock()
	defer s.ids.usersMu.Unlock()
	old, err := st.Get(ctx, id)
	switch {
	case err == nil && old.Confirmed:
		return nil, errorf(http.StatusBadRequest, "%s already has a confirmed TOTP enrolment; to replace it an admin resets it first (ward mfa reset NAME)", id)
	case err != nil && !errors.Is(err, totp.ErrNotEnrolled):
		return nil, err
	}
	_, account, _ := strings.Cut(id, "/")
	key, err := totp.NewKey(nil, "ward", account)
	if err != nil {
		return nil, err
	}
	if err := st.Put(ctx, &totp.Enrolment{Identity: id, Secret: key.Secret, CreatedAt: s.cfg.Now()}); err != nil {
		return nil, err
	}
	s.ids.codes.Forget(id)
	body := envelope(req, map[string]any{"identity": id, "secret": key.Secret, "uri": key.URI, "confirmed": false})
	delete(body, "mount_type")
	// The secret and URI are not audited, not even as HMACs.
	return &response{status: http.StatusOK, body: body, auditData: map[string]any{"identity": id}}, nil
}

func (s *Server) mfaConfirm(ctx context.Context, req *request) (*response, error) {
	id, err := s.callerIdentity(req)
	if err != nil {
		return nil, err
	}
	var body struct {
		Code string `json:"code"`
	}
	if err := jsonstrict.Decode(req.body, &body); err != nil {
		return nil, errorf(http.StatusBadRequest, "%v", err)
	}
	st, err := s.v.TOTP()
	if err != nil {
		return nil, err
	}
	s.ids.usersMu.Lock()
	defer s.ids.usersMu.Unlock()
	en, err := st.Get(ctx, id)
	switch {
	case errors.Is(err, totp.ErrNotEnrolled):
		return nil, errorf(http.StatusBadRequest, "%s has no TOTP enrolment to confirm; run ward mfa enroll first", id)
	case err != nil:
		return nil, err
	case en.Confirmed:
		return nil, errorf(http.StatusBadRequest, "%s's TOTP enrolment is already confirmed", id)
	}
	if err := s.ids.codes.Verify(id, en.Secret, body.Code); err != nil {
		var rl *totp.RateLimitError
		if errors.As(err, &rl) {
			return nil, &apiError{status: http.StatusTooManyRequests, msgs: []string{strings.TrimPrefix(err.Error(), "totp: ")}}
		}
		return nil, errorf(http.StatusBadRequest, "the code does not confirm the enrolment: %s; check the authenticator app's clock and that it shows ward's entry", strings.TrimPrefix(err.Error(), "totp: "))
	}
	en.Confirmed, en.ConfirmedAt = true, s.cfg.Now()
	if err := st.Put(ctx, en); err != nil {
		return nil, err
	}
	req.mfa = "verified"
	body2 := envelope(req, map[string]any{"identity": id, "confirmed": true})
	delete(body2, "mount_type")
	return &response{status: http.StatusOK, body: body2}, nil
}

func enrolmentJSON(id string, en *totp.Enrolment, err error) (map[string]any, error) {
	data := map[string]any{"identity": id, "enrolled": false, "confirmed": false}
	switch {
	case errors.Is(err, totp.ErrNotEnrolled):
		return data, nil
	case err != nil:
		return nil, err
	}
	data["enrolled"], data["confirmed"] = true, en.Confirmed
	data["created_at"], data["confirmed_at"] = formatTime(en.CreatedAt), formatTime(en.ConfirmedAt)
	return data, nil
}

func (s *Server) mfaStatus(ctx context.Context, req *request) (*response, error) {
	id, err := s.callerIdentity(req)
	if err != nil {
		return nil, err
	}
	return s.enrolmentResponse(ctx, req, id)
}

func (s *Server) mfaUserRead(ctx context.Context, req *request) (*response, error) {
	name := req.param("user")
	return s.enrolmentResponse(ctx, req, "userpass/"+name)
}

// enrolmentResponse answers with identity id's TOTP enrolment status.
func (s *Server) enrolmentResponse(ctx context.Context, req *request, id string) (*response, error) {
	en, err := s.totpStore(ctx, id)
	data, err := enrolmentJSON(id, en, err)
	if err != nil {
		return nil, err
	}
	body := envelope(req, data)
	delete(body, "mount_type")
	return &response{status: http.StatusOK, body: body}, nil
}

func (s *Server) mfaUserReset(ctx context.Context, req *request) (*response, error) {
	name := req.param("user")
	id := "userpass/" + name
	st, err := s.v.TOTP()
	if err != nil {
		return nil, err
	}
	s.ids.usersMu.Lock()
	defer s.ids.usersMu.Unlock()
	if err := st.Delete(ctx, id); err != nil {
		if errors.Is(err, totp.ErrNotEnrolled) {
			return nil, errorf(http.StatusNotFound, "%s has no TOTP enrolment", id)
		}
		return nil, err
	}
	s.ids.codes.Forget(id)
	return &response{status: http.StatusNoContent}, nil
}

func (s *Server) mfaDefaults(_ context.Context, req *request) (*response, error) {
	list := make([]any, len(MFADefaults))
	for i, d := range MFADefaults {
		list[i] = map[string]any{"name": d.Name, "description": d.Description}
	}
	body := envelope(req, map[string]any{"defaults": list, "break_glass_key": BreakGlassKey})
	delete(body, "mount_type")
	return &response{status: http.StatusOK, body: body}, nil
}

// fetchStepUp is stepUp for one secret of a batched fetch: one code in
// the fetch's X-Ward-MFA serves every secret in it that needs MFA.
func (s *Server) fetchStepUp(ctx context.Context, req *request, p, ppath string, d policy.Decision) error {
	if req.token.IsRoot() {
		return nil
	}
	if d.MFA {
		if err := s.requireMFA(req, "policy "+d.Policy+" requires MFA for read on "+ppath); err != nil {
			return err
		}
	}
	glass, err := breakGlass(ctx, req, p)
	if err != nil || !glass {
		return err
	}
	return s.requireMFA(req, "reading a break-glass secret requires MFA (a shipped default)")
}

// readableWithoutMFA reports whether req's token may read the secret at p
// (decided by d) without a TOTP code: a fingerprint set, which cannot carry
// a code, leaves out what needs one.
func readableWithoutMFA(ctx context.Context, req *request, p string, d policy.Decision) (bool, error) {
	switch {
	case !d.Allowed:
		return false, nil
	case req.token.IsRoot():
		return true, nil
	case d.MFA:
		return false, nil
	}
	glass, err := breakGlass(ctx, req, p)
	return !glass, err
}
