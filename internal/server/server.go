package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wardhq/ward/internal/audit"
	"github.com/wardhq/ward/internal/metrics"
	"github.com/wardhq/ward/internal/policy"
	"github.com/wardhq/ward/internal/vault"
)

// DefaultMaxBodyBytes is the request body limit when Config leaves it zero.
const DefaultMaxBodyBytes = 1 << 20

// Config configures a Server. Zero values are the documented defaults.
type Config struct {
	Vault        *vault.Vault // required
	Logger       *slog.Logger // nil: slog.Default()
	MaxBodyBytes int64        // 0: DefaultMaxBodyBytes
	Version      string       // reported by sys/health and sys/seal-status
	StorageType  string       // reported by sys/seal-status, e.g. "bolt"
	Now          func() time.Time
	// UI, when set, makes the dashboard served under /ui/ from this API
	// (see package ui): it gets the API handler to call in-process.
	UI func(api http.Handler) http.Handler

	// Limits limit each token's requests (limits.go); zero: none.
	Limits RequestLimits
	// MaxConns is how many client connections may be open at once; one
	// more is closed at once (connlimit.go). 0: no limit.
	MaxConns int

	// Metrics, when set, counts every request (see metrics.go) and is
	// served at sys/metrics.
	Metrics *metrics.Metrics
}

// Server answers ward's HTTP API. It is an http.Handler.
type Server struct {
	cfg Config
	v   *vault.Vault
	log *slog.Logger
	ui  http.Handler // the dashboard under /ui/, or nil
	lim limiters

	refused, refusedLog atomic.Int64 // connections refused since the last log line; its time
}

// New returns a Server for cfg.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, v: cfg.Vault, log: cfg.Logger, lim: newLimiters(cfg.Limits, cfg.Now)}
	if cfg.UI != nil {
		s.ui = cfg.UI(s)
	}
	return s
}

// request is one API call as it moves through the pipeline.
type request struct {
	vault.Caller // the token, its ACL and the step-up state, once authenticated

	id     string
	http   *http.Request
	method string // GET, LIST, PUT, POST, PATCH, DELETE, HEAD
	path   string // canonical, after /v1/, may end in "/"
	query  url.Values
	body   []byte

	env     *vault.Env        // set for a route with an {env} parameter
	params  map[string]string // the route's parameters, checked
	pattern string            // the route's pattern, for metrics

	// What the policy check decided on, for the audit entry.
	op         string
	policyPath string
	// requestEntry is a read's request entry, written together with its
	// response entry: a read changes nothing and returns nothing before
	// both are in the log, and one write serves both.
	requestEntry *audit.Entry
	// audited is set for every request that reached an authenticated route,
	// allowed or not; requestWritten once its request entry is in the log.
	audited, requestWritten bool
	// auditMeta is public context a handler adds to its response entry
	// (ward apply's revision).
	auditMeta map[string]string
	// auditOmit names body fields left out of the request's audit entry,
	// not even HMAC'd: a password, a TOTP code.
	auditOmit []string
}

// response is what a handler returns; the pipeline audits it before any
// byte of it reaches the client.
type response struct {
	status int
	body   any // JSON-encoded; nil with 204
	// auditData is what the audit entry records of the response, every leaf
	// HMAC'd by the audit log. nil: body as is when it is a map.
	auditData map[string]any
	// after, when set, runs once the response is audited and written:
	// sealing must wait until its own response is in the audit log.
	after func()
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.ui != nil && (r.URL.Path == "/ui" || strings.HasPrefix(r.URL.Path, "/ui/")) {
		s.ui.ServeHTTP(w, r)
		return
	}
	if s.ui != nil && r.URL.Path == "/" && r.Method == http.MethodGet {
		http.Redirect(w, r, "/ui/", http.StatusFound) // a browser opening the server's address
		return
	}
	start := s.cfg.Now()
	id := newRequestID()
	status := 0
	var req *request
	defer func() {
		if p := recover(); p != nil {
			// The panic value may hold request data: log its type only.
			s.log.Error("panic while serving a request", "request_id", id, "panic_type", typeName(p))
			if status == 0 {
				writeError(w, id, &apiError{status: http.StatusInternalServerError, msgs: []string{"internal error; request id " + id}})
				status = http.StatusInternalServerError
			}
		}
		s.observe(req, r.Method, status, start)
		if !s.log.Enabled(r.Context(), slog.LevelInfo) {
			return
		}
		// Only a canonical path is logged: a malformed one may carry anything.
		path := "(invalid path)"
		if req != nil {
			path = "/v1/" + req.path
		}
		// LogAttrs: the same line as Info's, without boxing each value.
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", slog.String("request_id", id), slog.String("method", safeMethod(r.Method)),
			slog.String("path", path), slog.Int("status", status),
			slog.Float64("duration_ms", float64(s.cfg.Now().Sub(start).Microseconds())/1000), slog.String("remote", r.RemoteAddr))
	}()
	h := w.Header()
	h["Cache-Control"], h["X-Content-Type-Options"] = headerNoStore, headerNoSniff
	req, resp, err := s.handle(r, id)
	if errors.Is(err, vault.ErrAudit) {
		err = auditFailed(id)
	}
	if err != nil {
		ae := toAPIError(err)
		if ae.status == http.StatusInternalServerError && len(ae.msgs) == 0 {
			s.log.Error("request failed", vault.ErrorLogArgs(err, "request_id", id)...)
			ae = &apiError{status: http.StatusInternalServerError, msgs: []string{"internal error; request id " + id}}
		}
		if req != nil && req.audited {
			if aerr := s.auditResponse(req, ae.status, ae.Error(), nil); aerr != nil {
				ae = auditFailed(id)
			}
		}
		status = ae.status
		writeError(w, id, ae)
		return
	}
	if err := s.auditResponse(req, resp.status, "", resp.auditMap()); err != nil {
		ae := auditFailed(id)
		status = ae.status
		writeError(w, id, ae)
		return
	}
	status = resp.status
	writeJSON(w, resp.status, resp.body)
	if resp.after != nil {
		resp.after()
	}
}

func auditFailed(id string) *apiError {
	return &apiError{status: http.StatusInternalServerError, msgs: []string{"the audit log cannot be written, so ward refuses to answer; request id " + id}}
}

// handle runs the pipeline up to the handler. req is returned (possibly
// partly filled) with errors, so the failure can be audited when the request
// got as far as an audited operation.
func (s *Server) handle(r *http.Request, id string) (*request, *response, error) {
	if !strings.HasPrefix(r.URL.Path, "/v1/") {
		return nil, nil, errorf(http.StatusNotFound, "unknown path; ward's API lives under /v1/")
	}
	if r.Header.Get("X-HTTP-Method-Override") != "" {
		// Accepted and ignored would let a caller believe an override took
		// effect; refusing makes the method unambiguous.
		return nil, nil, errorf(http.StatusBadRequest, "X-HTTP-Method-Override is not supported; send the real method")
	}
	p, err := policy.CanonicalPath(strings.TrimPrefix(r.URL.EscapedPath(), "/v1/"))
	if err != nil {
		return nil, nil, &apiError{status: http.StatusBadRequest, msgs: []string{err.Error()}}
	}
	req := &request{id: id, http: r, path: p, method: r.Method}
	if r.URL.RawQuery != "" {
		req.query = r.URL.Query() // else nil, which reads as empty
	}
	req.RequestID, req.RemoteAddr, req.Codes = id, r.RemoteAddr, r.Header.Values(MFAHeader)
	if r.Method == http.MethodGet && req.query.Get("list") == "true" {
		req.method = "LIST"
	}
	switch req.method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPost, http.MethodPatch, http.MethodDelete, "LIST":
	default:
		return req, nil, errorf(http.StatusMethodNotAllowed, "method %s is not supported", safeMethod(r.Method))
	}
	if err := s.readBody(r, req); err != nil {
		return req, nil, err
	}
	rt, params, err := findRoute(req.method, req.path)
	if (err != nil || rt.mode != whileSealed) && s.v.Sealed() {
		return req, nil, errSealed // sealed, any path but the documented few is 503
	}
	if err != nil {
		return req, nil, err
	}
	req.params, req.auditOmit, req.pattern = params, rt.omit, rt.pattern
	if rt.mode != unauthenticated && rt.mode != whileSealed {
		req.audited, req.op, req.policyPath = true, rt.auditName(), policyPath(rt.policy, req.path, params)
		if err := s.authenticate(req); err != nil {
			return req, nil, err
		}
		if err := s.lim.check(req); err != nil {
			req.audited = false // refused before any work: a flood cannot grow the audit log
			return req, nil, err
		}
		if err := s.authorize(req, rt); err != nil {
			return req, nil, err
		}
		if err := s.auditRequest(req, readOnly(req.method)); err != nil {
			req.audited = false // the log cannot take the response entry either
			return req, nil, auditFailed(id)
		}
	}
	resp, err := rt.handler(s, r.Context(), req)
	return req, resp, err
}

func (s *Server) readBody(r *http.Request, req *request) error {
	if r.Body == nil || r.Body == http.NoBody {
		return nil // a request without a body (most reads): nothing to read
	}
	if r.ContentLength > s.cfg.MaxBodyBytes {
		return errorf(http.StatusRequestEntityTooLarge, "request body is %d bytes; the limit is %d", r.ContentLength, s.cfg.MaxBodyBytes)
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errorf(http.StatusRequestEntityTooLarge, "request body is larger than the limit of %d bytes", s.cfg.MaxBodyBytes)
		}
		return errorf(http.StatusBadRequest, "reading the request body failed")
	}
	req.body = body
	return nil
}

// tokenFromHeaders returns the caller's token from X-Vault-Token or
// Authorization: Bearer. Two different tokens in one request are refused.
func tokenFromHeaders(h http.Header) (string, error) {
	vt := h.Values("X-Vault-Token")
	var bearer []string
	for _, a := range h.Values("Authorization") {
		if len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
			bearer = append(bearer, strings.TrimSpace(a[7:]))
		}
	}
	all := append(vt, bearer...)
	if len(all) == 0 {
		return "", nil
	}
	for _, t := range all[1:] {
		if t != all[0] {
			return "", errorf(http.StatusBadRequest, "the request carries two different tokens (X-Vault-Token and Authorization, or repeated headers); send one")
		}
	}
	return all[0], nil
}

func (s *Server) authenticate(req *request) error {
	secret, err := tokenFromHeaders(req.http.Header)
	if err != nil {
		return err
	}
	if secret == "" {
		return &apiError{status: http.StatusForbidden, msgs: []string{"permission denied: no token; send it in X-Vault-Token or Authorization: Bearer"}}
	}
	tok, err := s.v.LookupToken(req.http.Context(), secret)
	if err != nil {
		return err
	}
	acl, err := s.v.ACL(tok.Policies)
	if err != nil {
		return err
	}
	req.Token, req.Secret, req.ACL = tok, secret, acl
	return nil
}

// authorize checks the environment boundary and then, for a byPolicy
// route, the policy, for the operation the route really performs.
func (s *Server) authorize(req *request, rt *route) error {
	if name, ok := req.params["env"]; ok {
		env, err := s.v.EnvFor(&req.Caller, name)
		if err != nil {
			return err
		}
		req.env = env
	}
	if rt.mode == byRoot {
		req.op = string(rt.cap)
		return s.v.RequireRoot(&req.Caller, req.method+" "+req.path)
	}
	if rt.mode != byPolicy {
		return nil // bySelf: a token's own operations; perSecret: checked per secret
	}
	op := rt.cap
	if rt.capFor != nil {
		var err error
		if op, err = rt.capFor(req.http.Context(), s, req); err != nil {
			return err
		}
	}
	req.op = string(op)
	t := vault.Target{Cap: op, PolicyPath: req.policyPath, Env: req.env}
	if req.env != nil {
		t.Secret = req.param("path")
		t.View, _, _ = strings.Cut(strings.TrimPrefix(rt.pattern, "{env}/"), "/") // data, metadata, ...
	}
	return s.v.Authorize(req.http.Context(), &req.Caller, t)
}

// auditName is the operation a request entry records before the policy
// check decides it: the capability, "write" for a create-or-update, or
// what the route names.
func (rt *route) auditName() string {
	switch {
	case rt.mode != byPolicy && rt.mode != byRoot:
		return rt.auditOp
	case rt.capFor != nil:
		return "write"
	}
	return string(rt.cap)
}

// readOnly reports whether a method only reads: its request entry can wait
// for its response entry.
func readOnly(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == "LIST"
}

func (s *Server) auditRequest(req *request, deferred bool) error {
	e := s.auditEntry(req, "request")
	if len(req.body) > 0 {
		var data map[string]any
		if json.Unmarshal(req.body, &data) == nil {
			for _, k := range req.auditOmit {
				delete(data, k)
			}
			e.Data = data
		}
	}
	if deferred {
		req.requestEntry = e
		return nil
	}
	if err := s.v.WriteAudit(req.http.Context(), e); err != nil {
		return err
	}
	req.requestWritten = true
	return nil
}

func (s *Server) auditResponse(req *request, status int, msg string, data map[string]any) error {
	if req == nil || !req.audited {
		return nil
	}
	if !req.requestWritten && req.requestEntry == nil {
		// Refused before its request entry was written (a bad token, a
		// denied policy): both entries go in now.
		if err := s.auditRequest(req, true); err != nil {
			return err
		}
	}
	e := s.auditEntry(req, "response")
	e.Status, e.Error, e.Data = status, msg, data
	ctx := context.WithoutCancel(req.http.Context())
	if req.requestEntry != nil {
		return s.v.WriteAudit(ctx, req.requestEntry, e)
	}
	return s.v.WriteAudit(ctx, e)
}

func (s *Server) auditEntry(req *request, typ string) *audit.Entry {
	e := req.Entry(typ, req.path, req.op, req.env)
	if len(req.auditMeta) > 0 && typ == "response" {
		meta := make(map[string]string, len(e.Meta)+len(req.auditMeta))
		maps.Copy(meta, e.Meta) // a copy: e.Meta may be the token's own
		maps.Copy(meta, req.auditMeta)
		e.Meta = meta
	}
	return e
}

func (r *response) auditMap() map[string]any {
	if r.auditData != nil {
		return r.auditData
	}
	if m, ok := r.body.(map[string]any); ok {
		return m
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	if status == http.StatusNoContent || body == nil {
		w.WriteHeader(status)
		return
	}
	if t, ok := body.(*textBody); ok {
		t.write(w, status)
		return
	}
	if a, ok := body.(jsonAppender); ok {
		bp := bodyBufs.Get().(*[]byte)
		b := append(a.appendJSON((*bp)[:0]), '\n')
		w.Header()["Content-Type"] = headerJSON
		w.WriteHeader(status)
		w.Write(b)
		clear(b) // the pooled buffer keeps no secret value
		if cap(b) <= 64<<10 {
			*bp = b[:0]
			bodyBufs.Put(bp)
		}
		return
	}
	b, err := json.Marshal(body)
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// Header values every response shares, set without allocating. Each
// slice is full (len == cap), so that an Add to one allocates anew rather
// than writing into the shared array; net/http copies them when it writes
// the header. Nothing may write a header value in place.
var (
	headerNoStore = []string{"no-store"}[:1:1]
	headerNoSniff = []string{"nosniff"}[:1:1]
	headerJSON    = []string{"application/json"}[:1:1]
)

// bodyBufs holds the buffers response bodies are written into.
var bodyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

func writeError(w http.ResponseWriter, id string, e *apiError) {
	msgs := e.msgs
	if msgs == nil {
		msgs = []string{}
	}
	w.Header().Set("X-Ward-Request-Id", id)
	if e.mfaPrompt {
		w.Header().Set(MFARequiredHeader, "required")
	}
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.retryAfter+time.Second-1)/time.Second)))
	}
	body := map[string]any{"errors": msgs}
	for k, v := range e.extra {
		body[k] = v
	}
	writeJSON(w, e.status, body)
}

func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	var h [36]byte // 8-4-4-4-12 hex digits
	hex.Encode(h[0:8], b[0:4])
	hex.Encode(h[9:13], b[4:6])
	hex.Encode(h[14:18], b[6:8])
	hex.Encode(h[19:23], b[8:10])
	hex.Encode(h[24:36], b[10:16])
	h[8], h[13], h[18], h[23] = '-', '-', '-', '-'
	return string(h[:])
}

func safeMethod(m string) string {
	if len(m) > 16 {
		return m[:16] + "..."
	}
	return m
}

func typeName(v any) string { return fmt.Sprintf("%T", v) }
