package ui

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// loginPage is what the sign-in template shows.
type loginPage struct {
	CSRF     string
	Username string
	Env      string
	Method   string // "password" or "token"
	Error    string
	Current  *session // set when signing in to another environment
}

func (h *Handler) loginForm(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s := h.session(r)
	p := &loginPage{Username: q.Get("username"), Env: q.Get("env"), Method: "password", Current: s}
	if s != nil && p.Username == "" {
		p.Username = s.username
	}
	h.showLogin(w, r, p, http.StatusOK)
}

func (h *Handler) showLogin(w http.ResponseWriter, r *http.Request, p *loginPage, status int) {
	p.CSRF = h.random()
	http.SetCookie(w, &http.Cookie{Name: preCookie, Value: p.CSRF, Path: Prefix, MaxAge: 3600,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	h.render(w, r, status, "login", &view{Title: "Sign in", Session: p.Current, Data: p})
}

// login signs in with a user's password (and TOTP code, where the user has
// one) or with a pasted token, then replaces the browser's session, if
// any, revoking its token.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	pre, err := r.Cookie(preCookie)
	form := &loginPage{Username: strings.TrimSpace(r.PostFormValue("username")), Env: strings.TrimSpace(r.PostFormValue("env")),
		Method: r.PostFormValue("method"), Current: h.session(r)}
	if err != nil || !tokensEqual(r.PostFormValue("csrf"), pre.Value) {
		form.Error = "The sign-in form's CSRF token is missing or wrong; reload the page and try again."
		h.showLogin(w, r, form, http.StatusForbidden)
		return
	}
	var s *session
	if form.Method == "token" {
		s, err = h.tokenLogin(r, strings.TrimSpace(r.PostFormValue("token")), form.Env)
	} else {
		form.Method = "password"
		s, err = h.passwordLogin(r, form.Username, r.PostFormValue("password"), strings.TrimSpace(r.PostFormValue("totp")), form.Env)
	}
	if err != nil {
		form.Error = signInError(err)
		h.showLogin(w, r, form, http.StatusUnauthorized)
		return
	}
	if old := form.Current; old != nil {
		h.end(w, r, old)
	}
	h.start(w, r, s)
	http.SetCookie(w, &http.Cookie{Name: preCookie, Value: "", Path: Prefix, MaxAge: -1, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/ui/envs", http.StatusSeeOther)
}

// errSignIn is a sign-in refusal whose text is for the person.
type errSignIn struct{ msg string }

func (e *errSignIn) Error() string { return e.msg }

func signInError(err error) string {
	var se *errSignIn
	var ae *apiError
	switch {
	case errors.As(err, &se):
		return se.msg
	case errors.As(err, &ae) && len(ae.Msgs) > 0 && ae.Status < 500:
		return "ward refused: " + strings.Join(ae.Msgs, "; ")
	}
	return "Signing in failed; see the server's log."
}

type selfInfo struct {
	DisplayName string            `json:"display_name"`
	Policies    []string          `json:"policies"`
	Env         string            `json:"env"`
	TTL         int64             `json:"ttl"`
	Meta        map[string]string `json:"meta"`
}

func (h *Handler) lookupSelf(r *http.Request, token string) (*selfInfo, error) {
	var env envelope[selfInfo]
	if err := h.api(r.Context(), r, token, call{method: "GET", path: "auth/token/lookup-self"}, &env); err != nil {
		return nil, err
	}
	return &env.Data, nil
}

func (h *Handler) passwordLogin(r *http.Request, username, password, code, env string) (*session, error) {
	if username == "" || password == "" {
		return nil, &errSignIn{"Give your user name and password."}
	}
	var auth envelope[any]
	err := h.api(r.Context(), r, "", call{method: "POST", path: "auth/userpass/login/" + url.PathEscape(username),
		body: map[string]string{"password": password, "env": env}}, &auth)
	if err != nil {
		return nil, err
	}
	if auth.Auth == nil || auth.Auth.ClientToken == "" {
		return nil, errors.New("ui: a login answered without a token")
	}
	token := auth.Auth.ClientToken
	s, err := h.newSession(r, token)
	if err != nil {
		h.revoke(r, &session{token: token})
		return nil, err
	}
	s.username = auth.Auth.Metadata["username"]
	var st envelope[struct {
		Confirmed bool `json:"confirmed"`
	}]
	if err := h.api(r.Context(), r, token, call{method: "GET", path: "sys/ward/mfa/totp/status"}, &st); err != nil {
		h.revoke(r, s)
		return nil, err
	}
	if !st.Data.Confirmed {
		s.noMFA = true
		return s, nil
	}
	if code == "" {
		h.revoke(r, s)
		return nil, &errSignIn{"Your account has a second factor: give the 6-digit code from your authenticator app."}
	}
	if err := h.api(r.Context(), r, token, call{method: "POST", path: "sys/ward/mfa/totp/verify", mfa: code}, nil); err != nil {
		h.revoke(r, s)
		var ae *apiError
		if errors.As(err, &ae) && ae.Status == http.StatusTooManyRequests {
			return nil, &errSignIn{"Too many wrong codes; wait a minute and try again."}
		}
		return nil, &errSignIn{"The authenticator code is wrong, expired or already used; wait for the next one."}
	}
	return s, nil
}

// tokenLogin signs in with a pasted token. The dashboard keeps a child
// of it (short-lived, bound to the environment), so signing out leaves
// the pasted token alive; a token that may not make children is used
// itself and revoked at sign-out.
func (h *Handler) tokenLogin(r *http.Request, token, env string) (*session, error) {
	if token == "" {
		return nil, &errSignIn{"Paste a ward token."}
	}
	pasted := token
	info, err := h.lookupSelf(r, token)
	if isStatus(err, http.StatusForbidden) {
		return nil, &errSignIn{"ward does not know this token, or it has expired."}
	}
	if err != nil {
		return nil, err
	}
	root := slices.Contains(info.Policies, "root")
	if root && env == "" {
		return nil, &errSignIn{"A root token reaches every environment: name the one to open."}
	}
	if env == "" {
		env = info.Env
	}
	body := map[string]any{"ttl": fmt.Sprintf("%ds", int(h.cfg.SessionTTL/time.Second)), "display_name": "ui"}
	if root {
		body["policies"] = []string{"root"} // reaches every environment, as its parent
	} else {
		body["env"] = env
	}
	var child envelope[any]
	err = h.api(r.Context(), r, token, call{method: "POST", path: "auth/token/create", body: body}, &child)
	switch {
	case err == nil && child.Auth != nil:
		token = child.Auth.ClientToken
	case isStatus(err, http.StatusForbidden) && !root:
		// May not make children: the pasted token serves, and is revoked
		// at sign-out, as the form says.
	default:
		if err == nil {
			err = errors.New("ui: token create answered without a token")
		}
		return nil, err
	}
	s, err := h.newSession(r, token)
	if err != nil {
		if token != pasted {
			h.revoke(r, &session{token: token})
		}
		return nil, err
	}
	if root {
		s.env = env
		if _, err := get[any](h, r, s, "sys/ward/envs/"+url.PathEscape(env), nil); err != nil {
			h.revoke(r, s)
			return nil, &errSignIn{"There is no environment " + env + "."}
		}
	}
	return s, nil
}

// newSession describes token as a session, not yet started.
func (h *Handler) newSession(r *http.Request, token string) (*session, error) {
	info, err := h.lookupSelf(r, token)
	if err != nil {
		return nil, err
	}
	s := &session{token: token, env: info.Env, who: info.DisplayName, policies: info.Policies, root: slices.Contains(info.Policies, "root")}
	if info.TTL > 0 {
		s.expires = h.cfg.Now().Add(time.Duration(info.TTL) * time.Second)
	}
	if s.env == "" && !s.root {
		return nil, &errSignIn{"This token is bound to no environment."}
	}
	return s, nil
}

// switchEnv answers the environment switcher. A root session moves at
// once: a root token reaches every environment. Any other signs in to
// the environment, which replaces the session when it succeeds.
func (h *Handler) switchEnv(w http.ResponseWriter, r *http.Request, s *session) {
	env := strings.TrimSpace(r.PostFormValue("env"))
	if !s.root {
		http.Redirect(w, r, "/ui/login?"+url.Values{"env": {env}}.Encode(), http.StatusSeeOther)
		return
	}
	if _, err := get[any](h, r, s, "sys/ward/envs/"+url.PathEscape(env), nil); err != nil {
		h.fail(w, r, s, http.StatusNotFound, "There is no environment "+env+".")
		return
	}
	moved := *s
	moved.env = env
	h.mu.Lock()
	h.sessions[s.id] = &moved
	h.mu.Unlock()
	http.Redirect(w, r, "/ui/envs", http.StatusSeeOther)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request, s *session) {
	h.end(w, r, s)
	http.Redirect(w, r, "/ui/login", http.StatusSeeOther)
}
