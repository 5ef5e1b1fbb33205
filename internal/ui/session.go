package ui

import (
	"crypto/subtle"
	"encoding/base64"
	"io"
	"net/http"
	"time"
)

// Cookie names. The session cookie holds only a random id; the ward token
// it stands for stays on the server.
const (
	sessionCookie = "ward_ui"
	preCookie     = "ward_ui_pre" // the sign-in form's CSRF token, before a session exists
)

// session is one signed-in browser: a ward token bound to one environment.
type session struct {
	id       string
	token    string // the ward token; never sent to the browser
	env      string
	who      string // the token's display name
	username string // userpass name, for signing in to another environment
	root     bool   // a root token: every environment, switched without signing in
	policies []string
	csrf     string // synchronizer token of every state change
	expires  time.Time
	noMFA    bool // a user without a confirmed TOTP enrolment
}

func (h *Handler) random() string {
	var b [32]byte
	if _, err := io.ReadFull(h.cfg.Rand, b[:]); err != nil {
		panic("ui: no randomness: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// session returns the request's live session, or nil.
func (h *Handler) session(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.sessions[c.Value]
	if s == nil || !h.cfg.Now().Before(s.expires) {
		return nil
	}
	return s
}

// start stores s and sets its cookie; expired sessions' tokens are revoked.
func (h *Handler) start(w http.ResponseWriter, r *http.Request, s *session) {
	s.id, s.csrf = h.random(), h.random()
	now := h.cfg.Now()
	if exp := now.Add(h.cfg.SessionTTL); s.expires.IsZero() || exp.Before(s.expires) {
		s.expires = exp
	}
	h.mu.Lock()
	h.sessions[s.id] = s
	var expired []*session
	for id, o := range h.sessions {
		if !now.Before(o.expires) {
			expired = append(expired, o)
			delete(h.sessions, id)
		}
	}
	h.mu.Unlock()
	for _, o := range expired {
		h.revoke(r, o)
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: s.id, Path: Prefix, Expires: s.expires,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode,
	})
}

// end forgets s, revokes its token and clears the cookie.
func (h *Handler) end(w http.ResponseWriter, r *http.Request, s *session) {
	h.mu.Lock()
	delete(h.sessions, s.id)
	h.mu.Unlock()
	h.revoke(r, s)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: Prefix, MaxAge: -1,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
}

func (h *Handler) revoke(r *http.Request, s *session) {
	if err := h.api(r.Context(), r, s.token, call{method: "POST", path: "auth/token/revoke-self"}, nil); err != nil && !isStatus(err, http.StatusForbidden) {
		h.cfg.Logger.Warn("ui: revoking a session's token failed", "error_type", typeName(err))
	}
}

// signedIn wraps a page that needs a session; a POST must also carry the
// session's CSRF token in its "csrf" field.
func (h *Handler) signedIn(next func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := h.session(r)
		if s == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/ui/login", http.StatusSeeOther)
				return
			}
			h.fail(w, r, nil, http.StatusForbidden, "You are not signed in.")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !tokensEqual(r.PostFormValue("csrf"), s.csrf) {
			h.fail(w, r, s, http.StatusForbidden, "The form's CSRF token is missing or wrong; reload the page and try again.")
			return
		}
		next(w, r, s)
	}
}

func tokensEqual(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// For the templates, which see no unexported field (and never the token).
func (s *session) Env() string  { return s.env }
func (s *session) Who() string  { return s.who }
func (s *session) CSRF() string { return s.csrf }
func (s *session) Root() bool   { return s.root }
