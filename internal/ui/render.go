package ui

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// view is what every page template gets.
type view struct {
	Title   string
	Nav     string // the active navigation entry
	Session *session
	Envs    []string // for the environment switcher
	Data    any
	Partial bool // render only the page's main region (search as you type)
}

type pages struct{ t *template.Template }

func loadPages() *pages {
	funcs := template.FuncMap{
		"when":      when,
		"ago":       ago,
		"join":      strings.Join,
		"secretURL": secretURL,
		"query":     func(v url.Values) string { return v.Encode() },
		"with":      withParam,
		"add":       func(a, b int) int { return a + b },
		"pipeline":  pipeline,
		"statusOK":  func(s int) bool { return s >= 200 && s < 400 },
	}
	return &pages{t: template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html"))}
}

// render writes page name inside the layout, or only its main region for
// a partial request.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, v *view) {
	if v.Session != nil && len(v.Envs) == 0 {
		v.Envs = h.envNames(r, v.Session)
	}
	var buf bytes.Buffer
	tmpl := "layout"
	if v.Partial {
		tmpl = name
	}
	t, err := h.pages.t.Clone()
	if err == nil {
		_, err = t.New("content").Parse(`{{template "` + name + `" .}}`)
	}
	if err == nil {
		err = t.ExecuteTemplate(&buf, tmpl, v)
	}
	if err != nil {
		h.cfg.Logger.Error("ui: rendering a page failed", "page", name, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fail shows an error page with a message for the person.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, s *session, status int, msg string) {
	h.render(w, r, status, "error", &view{Title: http.StatusText(status), Session: s, Data: msg})
}

// failAPI shows an API error: a refusal in words, anything else as an
// internal error.
func (h *Handler) failAPI(w http.ResponseWriter, r *http.Request, s *session, err error) {
	var ae *apiError
	switch {
	case errors.As(err, &ae) && ae.Status == http.StatusServiceUnavailable:
		h.fail(w, r, s, ae.Status, "ward is sealed: an operator unseals it with 'ward operator unseal'.")
	case !errors.As(err, &ae) || ae.Status >= 500:
		h.cfg.Logger.Error("ui: an API call failed", "error_type", typeName(err))
		h.fail(w, r, s, http.StatusInternalServerError, "Something went wrong; see the server's log.")
	case ae.Status == http.StatusForbidden:
		h.fail(w, r, s, ae.Status, "Your token may not see this. ward said: "+strings.Join(ae.Msgs, "; "))
	case ae.Status == http.StatusNotFound:
		h.fail(w, r, s, ae.Status, "Not found.")
	default:
		h.fail(w, r, s, ae.Status, strings.Join(ae.Msgs, "; "))
	}
}

// envNames lists the environments for the switcher: those the token may
// list, or at least its own.
func (h *Handler) envNames(r *http.Request, s *session) []string {
	names, err := list(h, r, s, "sys/ward/envs")
	if err != nil || len(names) == 0 {
		return []string{s.env}
	}
	for i, n := range names {
		names[i] = strings.TrimSuffix(n, "/")
	}
	return names
}

func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// ago says how long ago (or how far ahead) t is, roughly.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := now.Sub(t)
	suffix := " ago"
	if d < 0 {
		d, suffix = -d, " from now"
	}
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min%s", int(d/time.Minute), suffix)
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h%s", int(d/time.Hour), suffix)
	}
	return fmt.Sprintf("%d days%s", int(d/(24*time.Hour)), suffix)
}

// secretURL is the dashboard address of a secret's page, each segment
// escaped.
func secretURL(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return "/ui/secrets/" + strings.Join(segs, "/")
}

// withParam is v with key set to value (removed when empty), encoded.
func withParam(v url.Values, kv ...string) string {
	c := url.Values{}
	for k, vs := range v {
		c[k] = vs
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			c.Del(kv[i])
		} else {
			c.Set(kv[i], kv[i+1])
		}
	}
	return c.Encode()
}

// pipeline describes a CI login's run from an audit record's meta.
func pipeline(m map[string]string) string {
	var parts []string
	for _, k := range []string{"ci_platform", "ci_repository", "ci_ref", "ci_workflow", "ci_run_id"} {
		if v := m[k]; v != "" {
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, " ")
}

func typeName(v any) string { return fmt.Sprintf("%T", v) }
