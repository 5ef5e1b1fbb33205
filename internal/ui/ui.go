// Package ui is ward's web dashboard, served at /ui/ by `ward server` and
// `ward dev`: environments, the secrets inventory, a secret's page, access
// simulation, the audit timeline, the detectors' alerts, and rotation
// (what is due or failing, recent rotations and retirements, drill reports),
// for the people who own the secrets.
// It never shows a secret's value.
//
// The dashboard has no access of its own. Every page is built from calls
// to ward's HTTP API, made in-process with the signed-in person's token, so
// the same policies, environment boundary and audit log apply as for the
// CLI; an allow-list (apiAllowed) keeps it from ever calling an endpoint
// that returns secret data.
//
//	api := server.New(server.Config{Vault: v, UI: func(api http.Handler) http.Handler {
//		return ui.New(ui.Config{API: api})
//	}})
//
// Pages are html/template, rendered on the server; static/ui.js only
// enhances them (search as you type, live audit updates) and every page
// works without it. Assets are embedded; the Content-Security-Policy
// allows nothing but this origin's own files.
package ui

import (
	"crypto/rand"
	"embed"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// Prefix is where the dashboard is mounted.
const Prefix = "/ui/"

// DefaultSessionTTL is the longest a session lives when Config leaves it
// zero. The token behind it is revoked when the session ends.
const DefaultSessionTTL = time.Hour

// CSP is the Content-Security-Policy of every answer.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config configures a Handler. Zero values are the documented defaults.
type Config struct {
	// API is ward's HTTP API (a *server.Server); required. The dashboard
	// calls it in-process with the signed-in person's token.
	API        http.Handler
	Now        func() time.Time // nil: time.Now
	Rand       io.Reader        // nil: crypto/rand.Reader; session ids and CSRF tokens
	SessionTTL time.Duration    // 0: DefaultSessionTTL
	Logger     *slog.Logger     // nil: slog.Default()
}

// Handler serves the dashboard under Prefix. It is an http.Handler.
type Handler struct {
	cfg      Config
	mux      *http.ServeMux
	pages    *pages
	mu       sync.Mutex
	sessions map[string]*session // guarded by mu, by cookie value
	swept    time.Time           // guarded by mu
}

// New returns the dashboard for cfg.
func New(cfg Config) *Handler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	h := &Handler{cfg: cfg, pages: loadPages(), sessions: map[string]*session{}}
	static, _ := fs.Sub(staticFS, "static")
	m := http.NewServeMux()
	m.Handle("GET /ui/static/", http.StripPrefix("/ui/static/", http.FileServerFS(static)))
	m.HandleFunc("GET /ui/{$}", h.home)
	m.HandleFunc("GET /ui/login", h.loginForm)
	m.HandleFunc("POST /ui/login", h.login)
	m.HandleFunc("POST /ui/logout", h.signedIn(h.logout))
	m.HandleFunc("POST /ui/switch", h.signedIn(h.switchEnv))
	m.HandleFunc("GET /ui/envs", h.signedIn(h.envs))
	m.HandleFunc("GET /ui/secrets", h.signedIn(h.secrets))
	m.HandleFunc("GET /ui/secrets/{path...}", h.signedIn(h.secret))
	m.HandleFunc("GET /ui/access", h.signedIn(h.access))
	m.HandleFunc("GET /ui/audit", h.signedIn(h.audit))
	m.HandleFunc("GET /ui/audit/feed", h.signedIn(h.auditFeed))
	m.HandleFunc("GET /ui/alerts", h.signedIn(h.alerts))
	m.HandleFunc("POST /ui/alerts/ack", h.signedIn(h.ackAlert))
	m.HandleFunc("GET /ui/rotation", h.signedIn(h.rotation))
	m.HandleFunc("/ui/", func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, nil, http.StatusNotFound, "There is no such page.")
	})
	h.mux = m
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", CSP)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "same-origin") // not no-referrer: it makes a form's Origin "null"
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	hd.Set("Cache-Control", "no-store")
	if r.URL.Path == "/ui" {
		http.Redirect(w, r, Prefix, http.StatusFound)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && !sameOrigin(r) {
		h.fail(w, r, nil, http.StatusForbidden, "This request came from another site, so the dashboard refused it.")
		return
	}
	h.mux.ServeHTTP(w, r)
}

// sameOrigin reports whether a state-changing request may come from this
// origin: browsers send Origin (and Sec-Fetch-Site) with every POST.
func sameOrigin(r *http.Request) bool {
	if s := r.Header.Get("Sec-Fetch-Site"); s != "" && s != "same-origin" && s != "none" {
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		return o == ""
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return o == scheme+"://"+r.Host
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	if h.session(r) == nil {
		http.Redirect(w, r, "/ui/login", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/ui/envs", http.StatusSeeOther)
}
