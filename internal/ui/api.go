package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// apiAllowed is every API call the dashboard makes: method and path, or
// path prefix when it ends in "/". Nothing that returns a secret's data is on it (ENV/data/...,
// sys/ward/fetch/...), so no page can ever show a value, whatever the
// signed-in token may read.
var apiAllowed = []struct{ method, prefix string }{
	{"POST", "auth/userpass/login/"},
	{"GET", "auth/token/lookup-self"},
	{"POST", "auth/token/revoke-self"},
	{"POST", "auth/token/create"},
	{"GET", "auth/jwt/role/"},
	{"GET", "sys/ward/mfa/totp/status"},
	{"POST", "sys/ward/mfa/totp/verify"},
	{"GET", "sys/ward/envs/"},
	{"GET", "sys/ward/inventory/"},
	{"GET", "sys/ward/audit"},
	{"GET", "sys/ward/types/"},
	{"GET", "sys/ward/usage/"},
	{"GET", "sys/policies/acl/"},
	{"GET", "sys/ward/alerts/"},
	{"GET", "sys/ward/expiring"},
	{"GET", "sys/ward/rotation/"}, // ENV/PATH: a rotation's status, never a value
	{"POST", "sys/ward/alerts/"},  // ID/ack, the one write route there
}

// apiAllowedPath reports whether the dashboard may call method on p. A
// KV metadata read (ENV/metadata/PATH) is allowed; its data never.
func apiAllowedPath(method, p string) bool {
	if strings.Contains(p, "..") || strings.Contains(p, "//") {
		return false
	}
	for _, a := range apiAllowed {
		if a.method != method {
			continue
		}
		// An entry ending in "/" allows the folder and what is below it;
		// any other, that one path.
		if p == strings.TrimSuffix(a.prefix, "/") || strings.HasSuffix(a.prefix, "/") && strings.HasPrefix(p, a.prefix) {
			return true
		}
	}
	env, rest, _ := strings.Cut(p, "/")
	return method == "GET" && env != "sys" && env != "auth" && env != "" && strings.HasPrefix(rest, "metadata/")
}

// errAPINotAllowed is a bug in the dashboard: a call off apiAllowed.
var errAPINotAllowed = errors.New("ui: API call not on the dashboard's allow-list")

// apiError is an error answer of the API.
type apiError struct {
	Status int
	Msgs   []string
	MFA    bool // the answer asked for a TOTP code
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%d: %s", e.Status, strings.Join(e.Msgs, "; "))
}

func isStatus(err error, status int) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.Status == status
}

// call is one API request.
type call struct {
	method string // GET, POST; LIST is GET with list=true
	path   string // after /v1/
	query  url.Values
	body   any // JSON-encoded when not nil
	mfa    string
}

// bufferWriter collects an in-process answer.
type bufferWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferWriter) Header() http.Header { return b.header }
func (b *bufferWriter) WriteHeader(s int) {
	if b.status == 0 {
		b.status = s
	}
}
func (b *bufferWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

// api calls ward's API in-process as from the browser's address, with
// token, and decodes the answer's JSON into out (when not nil).
func (h *Handler) api(ctx context.Context, from *http.Request, token string, c call, out any) error {
	if !apiAllowedPath(c.method, c.path) {
		return fmt.Errorf("%w: %s %s", errAPINotAllowed, c.method, c.path)
	}
	u := "/v1/" + c.path
	if len(c.query) > 0 {
		u += "?" + c.query.Encode()
	}
	var body bytes.Buffer
	if c.body != nil {
		if err := json.NewEncoder(&body).Encode(c.body); err != nil {
			return err
		}
	}
	req, err := http.NewRequestWithContext(ctx, c.method, u, &body)
	if err != nil {
		return err
	}
	req.RemoteAddr, req.Host, req.TLS = from.RemoteAddr, from.Host, from.TLS
	if token != "" {
		req.Header.Set("X-Vault-Token", token)
	}
	if c.mfa != "" {
		req.Header.Set("X-Ward-MFA", c.mfa)
	}
	if c.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	w := &bufferWriter{header: http.Header{}}
	h.cfg.API.ServeHTTP(w, req)
	if w.status >= 300 {
		var e struct {
			Errors []string `json:"errors"`
		}
		json.Unmarshal(w.body.Bytes(), &e)
		return &apiError{Status: w.status, Msgs: e.Errors, MFA: w.header.Get("X-Ward-MFA-Required") != ""}
	}
	if out == nil || w.body.Len() == 0 {
		return nil
	}
	if err := json.Unmarshal(w.body.Bytes(), out); err != nil {
		return fmt.Errorf("ui: decoding the answer of %s %s: %w", c.method, c.path, err)
	}
	return nil
}

// envelope is Vault's answer shape, with its data decoded into Data.
type envelope[T any] struct {
	Data T `json:"data"`
	Auth *struct {
		ClientToken   string            `json:"client_token"`
		Policies      []string          `json:"policies"`
		LeaseDuration int               `json:"lease_duration"`
		Metadata      map[string]string `json:"metadata"`
	} `json:"auth"`
}

// get is a GET of path into an envelope's data.
func get[T any](h *Handler, r *http.Request, s *session, path string, q url.Values) (T, error) {
	var env envelope[T]
	err := h.api(r.Context(), r, s.token, call{method: "GET", path: path, query: q}, &env)
	return env.Data, err
}

// list is a LIST of path: the keys, or none when the API answers 404.
func list(h *Handler, r *http.Request, s *session, path string) ([]string, error) {
	d, err := get[struct {
		Keys []string `json:"keys"`
	}](h, r, s, path, url.Values{"list": {"true"}})
	if isStatus(err, http.StatusNotFound) {
		return nil, nil
	}
	return d.Keys, err
}
