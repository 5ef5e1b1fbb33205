package server

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/vault"
)

// A token over its rate gets 429 with Retry-After in Vault's error shape,
// before anything is audited; another token and the root token are not
// limited; after Retry-After (a fake clock) it is served again.
func TestRateLimitPerToken(t *testing.T) {
	clk := &mfaClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	s := startServer(t, vault.Config{Now: clk.now}, Config{Now: clk.now, Limits: RequestLimits{PerSecond: 2, Burst: 3}})
	s.do("POST", "/v1/dev/data/app", s.root, `{"data":{"k":"v"}}`)
	s.do("PUT", "/v1/sys/policies/acl/reader", s.root, `{"policy":"rules:\n  - path: dev/*\n    capabilities: [read]\n"}`)
	a, b := limitToken(t, s), limitToken(t, s)
	for i := range 3 {
		if st, body := s.do("GET", "/v1/dev/data/app", a, ""); st != 200 {
			t.Fatalf("request %d within the burst: %d %v", i+1, st, body)
		}
	}
	lines := func() int {
		out, _ := os.ReadFile(s.audit)
		return bytes.Count(out, []byte("\n"))
	}
	before := lines()
	st, body, hdr := s.send(false, "GET", "/v1/dev/data/app", a, "")
	if st != 429 {
		t.Fatalf("a fourth request at once: %d %v, want 429", st, body)
	}
	if ra, err := strconv.Atoi(hdr.Get("Retry-After")); err != nil || ra != 1 {
		t.Errorf("Retry-After %q, want 1", hdr.Get("Retry-After"))
	}
	errs, _ := body["errors"].([]any)
	if len(errs) != 1 || !strings.Contains(errs[0].(string), "rate limit exceeded") || !strings.Contains(errs[0].(string), "hint:") {
		t.Errorf("body %v, want Vault's errors list naming the rate limit with a hint", body)
	}
	if lines() != before {
		t.Errorf("a refused request grew the audit log by %d lines", lines()-before)
	}
	if st, _ := s.do("GET", "/v1/dev/data/app", b, ""); st != 200 {
		t.Errorf("another token is limited too: %d", st)
	}
	for range 10 {
		if st, _ := s.do("GET", "/v1/dev/data/app", s.root, ""); st != 200 {
			t.Fatalf("the root token is limited: %d", st)
		}
	}
	clk.advance(500 * time.Millisecond) // one request's worth at 2/s
	if st, _ := s.do("GET", "/v1/dev/data/app", a, ""); st != 200 {
		t.Errorf("after Retry-After: %d", st)
	}
	if st, _ := s.do("GET", "/v1/dev/data/app", a, ""); st != 429 {
		t.Errorf("a second request for half a second's worth: %d, want 429", st)
	}
}

// A token over its hourly quota waits for the next request's share of the
// hour; the rate limit, off here, plays no part.
func TestRequestQuotaPerToken(t *testing.T) {
	clk := &mfaClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	s := startServer(t, vault.Config{Now: clk.now}, Config{Now: clk.now, Limits: RequestLimits{PerHour: 4}})
	s.do("POST", "/v1/dev/data/app", s.root, `{"data":{"k":"v"}}`)
	s.do("PUT", "/v1/sys/policies/acl/reader", s.root, `{"policy":"rules:\n  - path: dev/*\n    capabilities: [read]\n"}`)
	a := limitToken(t, s)
	for i := range 4 {
		if st, _ := s.do("GET", "/v1/dev/data/app", a, ""); st != 200 {
			t.Fatalf("request %d within the quota: %d", i+1, st)
		}
	}
	st, body, hdr := s.send(false, "GET", "/v1/dev/data/app", a, "")
	if st != 429 || hdr.Get("Retry-After") != "900" || !strings.Contains(body["errors"].([]any)[0].(string), "4 requests per hour") {
		t.Fatalf("over the quota: %d Retry-After %q %v, want 429, 900 (a quarter hour)", st, hdr.Get("Retry-After"), body)
	}
	clk.advance(15 * time.Minute)
	if st, _ := s.do("GET", "/v1/dev/data/app", a, ""); st != 200 {
		t.Errorf("after Retry-After: %d", st)
	}
}

// With no limits configured nothing is limited.
func TestNoLimitsByDefault(t *testing.T) {
	s := newTestServer(t)
	s.do("PUT", "/v1/sys/policies/acl/reader", s.root, `{"policy":"rules:\n  - path: dev/*\n    capabilities: [read]\n"}`)
	a := limitToken(t, s)
	for i := range 200 {
		if st, _ := s.do("GET", "/v1/dev/data/missing", a, ""); st == 429 {
			t.Fatalf("request %d: 429 with no limits configured", i+1)
		}
	}
}

func limitToken(t *testing.T, s *testServer) string {
	t.Helper()
	st, body := s.do("POST", "/v1/auth/token/create", s.root, `{"env":"dev","policies":["reader"]}`)
	if st != 200 {
		t.Fatalf("token create: %d %v", st, body)
	}
	return body["auth"].(map[string]any)["client_token"].(string)
}

func TestRequestLimitsString(t *testing.T) {
	for _, tc := range []struct {
		l    RequestLimits
		want string
	}{
		{RequestLimits{}, "no rate limit, no quota"},
		{RequestLimits{PerSecond: 0.5}, "0.5 requests/s per token (burst 1), no quota"},
		{RequestLimits{PerSecond: 100, PerHour: 10000}, "100 requests/s per token (burst 200), 10000 requests/hour per token"},
	} {
		if got := tc.l.String(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.l, got, tc.want)
		}
	}
}
