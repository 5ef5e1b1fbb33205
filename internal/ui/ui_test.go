package ui

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestAPIAllowList(t *testing.T) {
	for _, c := range []struct {
		method, path string
		want         bool
	}{
		{"GET", "staging/metadata/payments/db", true},
		{"GET", "sys/ward/inventory/staging", true},
		{"GET", "sys/ward/audit", true},
		{"POST", "auth/userpass/login/alice", true},
		{"GET", "staging/data/payments/db", false}, // a value
		{"GET", "staging/data/", false},
		{"POST", "sys/ward/fetch/staging", false}, // values in a batch
		{"POST", "sys/ward/fingerprints/staging", false},
		{"GET", "sys/metadata/x", false},
		{"POST", "staging/metadata/payments/db", false}, // a write
		{"DELETE", "auth/token/revoke-self", false},
		{"GET", "staging/metadata/../data/payments/db", false},
		{"GET", "sys/ward/auditx", false},
		{"GET", "sys/policies/acl/../../staging/data/x", false},
		{"GET", "sys/ward/expiring", true},
		{"GET", "sys/ward/rotation/staging/payments/db", true},
		{"POST", "sys/ward/rotate/staging/payments/db", false}, // a rotation
		{"POST", "sys/ward/retire/staging/payments/db", false},
		{"POST", "sys/ward/drill/staging", false},
	} {
		if got := apiAllowedPath(c.method, c.path); got != c.want {
			t.Errorf("%s %s: allowed %v, want %v", c.method, c.path, got, c.want)
		}
	}
}

// apiRecorder is an API that records what it was asked and refuses it.
type apiRecorder struct{ paths []string }

func (a *apiRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.paths = append(a.paths, r.Method+" "+r.URL.Path)
	w.WriteHeader(http.StatusForbidden)
	io.WriteString(w, `{"errors":["permission denied"]}`)
}

func newTestHandler() (*Handler, *apiRecorder) {
	api := &apiRecorder{}
	return New(Config{API: api, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}), api
}

func TestAPIRefusesOffTheList(t *testing.T) {
	h, api := newTestHandler()
	r := httptest.NewRequest("GET", "/ui/secrets", nil)
	err := h.api(r.Context(), r, "tok", call{method: "GET", path: "staging/data/payments/db"}, nil)
	if err == nil || len(api.paths) != 0 {
		t.Errorf("a data read: %v; the API saw %v", err, api.paths)
	}
}

func TestSignInNeedsItsCSRFToken(t *testing.T) {
	h, api := newTestHandler()
	form := url.Values{"method": {"password"}, "username": {"alice"}, "password": {"pw"}, "csrf": {"guess"}}
	for name, cookie := range map[string]string{"no cookie": "", "another token": "other"} {
		r := httptest.NewRequest("POST", "/ui/login", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if cookie != "" {
			r.AddCookie(&http.Cookie{Name: preCookie, Value: cookie})
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusForbidden || len(api.paths) != 0 {
			t.Errorf("%s: %d; the API saw %v", name, w.Code, api.paths)
		}
	}
}

func TestStateChangesFromAnotherSiteRefused(t *testing.T) {
	h, api := newTestHandler()
	for _, hdr := range [][2]string{{"Origin", "https://evil.example"}, {"Origin", "null"}, {"Sec-Fetch-Site", "cross-site"}, {"Sec-Fetch-Site", "same-site"}} {
		r := httptest.NewRequest("POST", "/ui/login", strings.NewReader("method=token&token=x"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set(hdr[0], hdr[1])
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusForbidden || len(api.paths) != 0 {
			t.Errorf("%s: %s: %d; the API saw %v", hdr[0], hdr[1], w.Code, api.paths)
		}
	}
}

func TestHeadersOnEveryAnswer(t *testing.T) {
	h, _ := newTestHandler()
	for _, p := range []string{"/ui/login", "/ui/nowhere", "/ui/static/ui.css", "/ui/envs", "/ui"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", p, nil))
		if w.Header().Get("Content-Security-Policy") != CSP || w.Header().Get("X-Frame-Options") != "DENY" || w.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s: headers %v", p, w.Header())
		}
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/ui/login", nil))
	body := w.Body.String()
	if strings.Contains(body, "<script>") || strings.Contains(body, " style=") || strings.Contains(body, " onclick=") {
		t.Error("the sign-in page has inline script or style, which the CSP blocks")
	}
	if c := w.Result().Cookies(); len(c) != 1 || !c[0].HttpOnly || c[0].SameSite != http.SameSiteStrictMode || c[0].Secure {
		t.Errorf("sign-in cookie over plain HTTP: %+v", c)
	}
}
