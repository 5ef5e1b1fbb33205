package client

import (
	"context"
	"errors"
	"net/http"
	"net/url"
)

const (
	mfaHeader         = "X-Ward-MFA"
	mfaRequiredHeader = "X-Ward-MFA-Required"
)

// ErrMFARequired matches a *ResponseError that a request carrying a valid
// TOTP code would not have had: retry with WithMFACode.
var ErrMFARequired = errors.New("MFA required")

type mfaKey struct{}

// WithMFACode returns a context whose requests carry code in X-Ward-MFA,
// for operations that need step-up MFA. A code is single-use: give each
// operation its own.
//
//	ctx := client.WithMFACode(ctx, "123456")
//	err := c.KV("prod").Destroy(ctx, "payments/old", []int{1})
func WithMFACode(ctx context.Context, code string) context.Context {
	return context.WithValue(ctx, mfaKey{}, code)
}

func mfaCode(ctx context.Context) string {
	s, _ := ctx.Value(mfaKey{}).(string)
	return s
}

// TOTPEnrolment is an identity's TOTP state. Secret and URI are set only
// in the answer to EnrollTOTP, once.
type TOTPEnrolment struct {
	Identity    string `json:"identity"`
	Enrolled    bool   `json:"enrolled"`
	Confirmed   bool   `json:"confirmed"`
	Secret      string `json:"secret"`
	URI         string `json:"uri"`
	CreatedAt   string `json:"created_at"`
	ConfirmedAt string `json:"confirmed_at"`
}

// EnrollTOTP makes a new TOTP secret for the caller's identity (a user
// logged in with Login). It takes effect once ConfirmTOTP is given a code.
func (c *Client) EnrollTOTP(ctx context.Context) (*TOTPEnrolment, error) {
	var out envelope[TOTPEnrolment]
	if err := c.do(ctx, http.MethodPost, "sys/ward/mfa/totp/enroll", nil, nil, &out, nil); err != nil {
		return nil, err
	}
	out.Data.Enrolled = true
	return &out.Data, nil
}

// ConfirmTOTP confirms the caller's enrolment with a first code.
func (c *Client) ConfirmTOTP(ctx context.Context, code string) error {
	return c.do(ctx, http.MethodPost, "sys/ward/mfa/totp/confirm", nil, map[string]any{"code": code}, nil, nil)
}

// TOTPStatus is the caller's enrolment state.
func (c *Client) TOTPStatus(ctx context.Context) (*TOTPEnrolment, error) {
	var out envelope[TOTPEnrolment]
	return &out.Data, c.do(ctx, http.MethodGet, "sys/ward/mfa/totp/status", nil, nil, &out, nil)
}

// UserTOTP is user's enrolment state, for an admin.
func (c *Client) UserTOTP(ctx context.Context, user string) (*TOTPEnrolment, error) {
	var out envelope[TOTPEnrolment]
	return &out.Data, c.do(ctx, http.MethodGet, "sys/ward/mfa/totp/users/"+url.PathEscape(user), nil, nil, &out, nil)
}

// ResetTOTP deletes user's enrolment, so the user can enrol again.
func (c *Client) ResetTOTP(ctx context.Context, user string) error {
	return c.do(ctx, http.MethodDelete, "sys/ward/mfa/totp/users/"+url.PathEscape(user), nil, nil, nil, nil)
}

// MFADefault is a step-up rule the server applies to every non-root
// token, whatever its policies.
type MFADefault struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// MFADefaults lists the server's shipped step-up rules.
func (c *Client) MFADefaults(ctx context.Context) ([]MFADefault, error) {
	var out envelope[struct {
		Defaults []MFADefault `json:"defaults"`
	}]
	return out.Data.Defaults, c.do(ctx, http.MethodGet, "sys/ward/mfa/defaults", nil, nil, &out, nil)
}

// mayPrompt reports whether MFAPrompt may be asked for a code, prompts
// having been asked already for this request: never when the caller gave
// the code (WithMFACode), and at most MaxMFAPrompts times.
func (c *Client) mayPrompt(ctx context.Context, prompts int) bool {
	return c.cfg.MFAPrompt != nil && (mfaCode(ctx) == "" || prompts > 0) && prompts < MaxMFAPrompts
}

// fetchMFA asks Config.MFAPrompt for a code when a fetch had secrets
// denied for want of one (or for a code MFAPrompt gave before, refused);
// ok says to fetch again with ctx.
func (c *Client) fetchMFA(ctx context.Context, path string, results []FetchResult, prompts int) (_ context.Context, ok bool) {
	if !c.mayPrompt(ctx, prompts) {
		return ctx, false
	}
	for _, r := range results {
		if !r.MFARequired {
			continue
		}
		refusal := &ResponseError{Method: http.MethodPost, Path: "/v1/" + path, StatusCode: http.StatusForbidden, Errors: []string{r.Path + ": " + r.Error}, MFARequired: true}
		code, err := c.cfg.MFAPrompt(ctx, refusal)
		if err != nil || code == "" {
			return ctx, false // the denied results stand, each saying why
		}
		return WithMFACode(ctx, code), true
	}
	return ctx, false
}
