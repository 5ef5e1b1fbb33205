package server

import (
	"context"
	"net/http"

	"github.com/wardhq/ward/internal/jsonstrict"
	"github.com/wardhq/ward/internal/vault"
)

// MFAHeader carries a TOTP code for a request that needs step-up MFA.
const MFAHeader = "X-Ward-MFA"

// MFARequiredHeader is set to "required" on an error answer that a
// request with a valid code in MFAHeader could turn into a success, so a
// client knows to ask for one and retry.
const MFARequiredHeader = "X-Ward-MFA-Required"

func (s *Server) mfaEnroll(ctx context.Context, req *request) (*response, error) {
	id, key, err := s.v.EnrollTOTP(ctx, &req.Caller)
	if err != nil {
		return nil, err
	}
	body := envelope(req, map[string]any{"identity": id, "secret": key.Secret, "uri": key.URI, "confirmed": false})
	delete(body, "mount_type")
	// The secret and URI are not audited, not even as HMACs.
	return &response{status: http.StatusOK, body: body, auditData: map[string]any{"identity": id}}, nil
}

func (s *Server) mfaConfirm(ctx context.Context, req *request) (*response, error) {
	var body struct {
		Code string `json:"code"`
	}
	if _, err := vault.CallerIdentity(&req.Caller); err != nil {
		return nil, err
	}
	if err := jsonstrict.Decode(req.body, &body); err != nil {
		return nil, errorf(http.StatusBadRequest, "%v", err)
	}
	id, err := s.v.ConfirmTOTP(ctx, &req.Caller, body.Code)
	if err != nil {
		return nil, err
	}
	out := envelope(req, map[string]any{"identity": id, "confirmed": true})
	delete(out, "mount_type")
	return &response{status: http.StatusOK, body: out}, nil
}

func (s *Server) mfaStatus(ctx context.Context, req *request) (*response, error) {
	id, err := vault.CallerIdentity(&req.Caller)
	if err != nil {
		return nil, err
	}
	return s.enrolmentResponse(ctx, req, id)
}

func (s *Server) mfaUserRead(ctx context.Context, req *request) (*response, error) {
	return s.enrolmentResponse(ctx, req, "userpass/"+req.param("user"))
}

// enrolmentResponse answers with identity id's TOTP enrolment status.
func (s *Server) enrolmentResponse(ctx context.Context, req *request, id string) (*response, error) {
	en, err := s.v.Enrolment(ctx, id)
	if err != nil {
		return nil, err
	}
	data := map[string]any{"identity": id, "enrolled": en.Enrolled, "confirmed": en.Confirmed}
	if en.Enrolled {
		data["created_at"], data["confirmed_at"] = formatTime(en.CreatedAt), formatTime(en.ConfirmedAt)
	}
	body := envelope(req, data)
	delete(body, "mount_type")
	return &response{status: http.StatusOK, body: body}, nil
}

func (s *Server) mfaUserReset(ctx context.Context, req *request) (*response, error) {
	if err := s.v.ResetTOTPAs(ctx, &req.Caller, req.param("user")); err != nil {
		return nil, err
	}
	return &response{status: http.StatusNoContent}, nil
}

func (s *Server) mfaDefaults(_ context.Context, req *request) (*response, error) {
	list := make([]any, len(vault.MFADefaults))
	for i, d := range vault.MFADefaults {
		list[i] = map[string]any{"name": d.Name, "description": d.Description}
	}
	body := envelope(req, map[string]any{"defaults": list, "break_glass_key": vault.BreakGlassKey})
	delete(body, "mount_type")
	return &response{status: http.StatusOK, body: body}, nil
}
