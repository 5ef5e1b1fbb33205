package server

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"testing"
)

// Password logins are limited as JWT logins are: wrong passwords for
// names that do not exist (which no per-user lockout counts) from one
// address are answered 429 with Retry-After, before the audit write, so
// the log stops growing; a real user's login from the same address is
// limited too until the limit refills, and malformed bodies count.
func TestPasswordLoginFloodLimited(t *testing.T) {
	s, _ := newMFAServer(t, nil) // a fake clock: no refill during the test
	s.mfaPolicy("dev-read", "rules:\n  - path: dev/**\n    capabilities: [read]\n")
	s.mfaCreateUser("alice", "correct horse", "dev-read")
	lines := func() int {
		b, _ := os.ReadFile(s.audit)
		return bytes.Count(b, []byte("\n"))
	}
	first429, linesAt429 := -1, 0
	for i := range 100 {
		st, body, hdr := s.send(false, "POST", fmt.Sprintf("/v1/auth/userpass/login/nobody%d", i), "", `{"password":"wrong","env":"dev"}`)
		switch {
		case st == 429:
			if first429 < 0 {
				first429, linesAt429 = i, lines()
			}
			if n, err := strconv.Atoi(hdr.Get("Retry-After")); err != nil || n < 1 {
				t.Fatalf("429 with Retry-After %q", hdr.Get("Retry-After"))
			}
		case first429 >= 0:
			t.Fatalf("attempt %d after the first 429: %d %v", i, st, body)
		case st != 400:
			t.Fatalf("attempt %d: %d %v", i, st, body)
		}
	}
	if first429 < 0 || first429 > 50 {
		t.Fatalf("first 429 at attempt %d", first429)
	}
	if grown := lines() - linesAt429; grown != 0 {
		t.Errorf("refused (429) logins added %d audit lines", grown)
	}
	if st, _, _ := s.send(false, "POST", "/v1/auth/userpass/login/alice", "", `{"password":"correct horse","env":"dev"}`); st != 429 {
		t.Errorf("a limited address logged in: %d", st)
	}
}

// Malformed password logins count against the address.
func TestMalformedPasswordLoginFloodLimited(t *testing.T) {
	s, _ := newMFAServer(t, nil)
	limited := false
	for range 100 {
		st, _, hdr := s.send(false, "POST", "/v1/auth/userpass/login/alice", "", `{"password":"x","extra":1}`)
		if st == 429 && hdr.Get("Retry-After") != "" {
			limited = true
			break
		}
		if st != 400 {
			t.Fatalf("a malformed login: %d", st)
		}
	}
	if !limited {
		t.Fatal("100 malformed password logins from one address: never a 429")
	}
}
