package server

import (
	"bytes"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/auth/jwtauth/oidctest"
)

// TestJWTLoginFloodLimited is issue 11's flood: JWT logins with unknown key
// ids from one address. After the allowed failures each attempt is a 429
// with Retry-After, answered before the audit write, so the log stops
// growing; other addresses are not affected.
func TestJWTLoginFloodLimited(t *testing.T) {
	s := newTestServer(t)
	iss := jwtSetup(t, s)
	bad := oidctest.SignWith(iss.Current(), map[string]any{"typ": "JWT", "kid": "no-such-key"}, iss.GitHub(oidctest.GitHubJob{Audience: jwtAud}))
	lines := func() int {
		b, _ := os.ReadFile(s.audit)
		return bytes.Count(b, []byte("\n"))
	}
	first429, late400s := -1, 0 // late400s: refusals let through after the first 429
	var linesAt429 int
	var at429 time.Time
	for i := range 200 {
		st, body, hdr := s.send(false, "POST", "/v1/auth/jwt/login", "", mustJSON(map[string]any{"role": "staging", "jwt": bad}))
		switch {
		case st == 429:
			if first429 < 0 {
				first429, linesAt429, at429 = i, lines(), time.Now()
			}
			if n, err := strconv.Atoi(hdr.Get("Retry-After")); err != nil || n < 1 {
				t.Fatalf("429 with Retry-After %q", hdr.Get("Retry-After"))
			}
		case st == 400 && first429 >= 0:
			late400s++ // the limit lets one more failure through per second
		case st != 400:
			t.Fatalf("attempt %d: %d %v", i, st, body)
		}
	}
	if first429 < 0 || first429 > 50 {
		t.Fatalf("first 429 at attempt %d", first429)
	}
	if allowed := int(time.Since(at429).Seconds()) + 1; late400s > allowed {
		t.Errorf("%d failed logins let through in the %v after the first 429, want at most %d", late400s, time.Since(at429), allowed)
	}
	if grown := lines() - linesAt429; grown > 2*late400s {
		t.Errorf("refused (429) logins added audit lines: %d lines for %d audited refusals", grown, late400s)
	}
}

// Malformed logins count too: a flood of them cannot grow the log either.
func TestMalformedLoginFloodLimited(t *testing.T) {
	s := newTestServer(t)
	jwtSetup(t, s)
	for _, body := range []string{`{"role":"staging"}`, `{"jwt":"x"}`, `["x"]`, `{"role":"staging","jwt":"x","extra":1}`} {
		limited := false
		for range 100 {
			st, _, hdr := s.send(false, "POST", "/v1/auth/jwt/login", "", body)
			if st == 429 && hdr.Get("Retry-After") != "" {
				limited = true
				break
			}
			if st != 400 {
				t.Fatalf("%s: %d", body, st)
			}
		}
		if !limited {
			t.Fatalf("100 malformed logins %s from one address: never a 429", body)
		}
	}
}
