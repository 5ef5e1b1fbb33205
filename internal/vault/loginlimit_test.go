package vault

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/auth/jwtauth"
	"github.com/wardhq/ward/internal/auth/jwtauth/oidctest"
	"github.com/wardhq/ward/internal/ratelimit"
)

func newJWTClockVault(t *testing.T, clock *fakeClock) (*Vault, *oidctest.Issuer) {
	t.Helper()
	ctx := context.Background()
	v, _ := openTestVault(t, Config{Now: clock.Now})
	if _, err := v.CreateEnv(ctx, "staging"); err != nil {
		t.Fatal(err)
	}
	iss := oidctest.New()
	t.Cleanup(iss.Close)
	if err := v.PutJWTConfig(ctx, jwtauth.Config{JWKSURL: iss.JWKSURL(), BoundIssuer: iss.URL}); err != nil {
		t.Fatal(err)
	}
	role := jwtauth.Role{BoundAudiences: []string{"ward"}, BoundClaims: map[string]any{"repository_id": "74"}, TokenPolicies: []string{"ci"}, Environment: "staging"}
	if err := v.PutJWTRole(ctx, "ci", role); err != nil {
		t.Fatal(err)
	}
	return v, iss
}

func limitedErr(err error) *ratelimit.LimitedError {
	var le *ratelimit.LimitedError
	errors.As(err, &le)
	return le
}

// TestJWTLoginFailuresLimited: failed logins are limited per source, then
// refused before the JWT is even looked at (a good one too), with a wait
// that a fake clock can pass.
func TestJWTLoginFailuresLimited(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{time.Now()} // the issuer signs with the real time
	v, iss := newJWTClockVault(t, clock)
	good := iss.Sign(iss.GitHub(oidctest.GitHubJob{Audience: "ward", RepositoryID: "74"}))
	for i := range loginSourceBurst {
		if _, _, err := v.JWTLoginFrom(ctx, "192.0.2.1", "ci", "not.a.jwt"); !errors.Is(err, jwtauth.ErrInvalidToken) {
			t.Fatalf("failure %d: %v, want an invalid JWT", i+1, err)
		}
	}
	_, _, err := v.JWTLoginFrom(ctx, "192.0.2.1", "ci", good)
	le := limitedErr(err)
	if le == nil || le.RetryAfter != time.Second {
		t.Fatalf("login after %d failures: %v, want limited for 1s", loginSourceBurst, err)
	}
	if err := v.CheckLogin("192.0.2.1", "ci"); limitedErr(err) == nil {
		t.Fatalf("CheckLogin: %v, want limited", err)
	}
	// Another source is not limited; nor is the role yet.
	if _, _, err := v.JWTLoginFrom(ctx, "192.0.2.2", "ci", good); err != nil {
		t.Fatalf("a good login from another source: %v", err)
	}
	clock.t = clock.t.Add(time.Second)
	if _, _, err := v.JWTLoginFrom(ctx, "192.0.2.1", "ci", good); err != nil {
		t.Fatalf("a good login once the wait is over: %v", err)
	}
	// Success does not count: a CI system logging in all day is never limited.
	for range 3 * loginSourceBurst {
		if _, _, err := v.JWTLoginFrom(ctx, "192.0.2.3", "ci", good); err != nil {
			t.Fatalf("good logins: %v", err)
		}
	}
}

// Failures from many sources limit the role; unknown roles count against
// the source only; failures that are not the caller's do not count.
func TestJWTLoginRoleLimited(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{time.Now()} // the issuer signs with the real time
	v, _ := newJWTClockVault(t, clock)
	for i := range loginRoleBurst { // one failure from each of 200 sources
		v.JWTLoginFrom(ctx, fmt.Sprintf("[2001:db8:%x::1]:4000", i), "ci", "not.a.jwt")
	}
	_, _, err := v.JWTLoginFrom(ctx, "203.0.113.9", "ci", "not.a.jwt")
	if le := limitedErr(err); le == nil || le.What != "logins with this role or user" {
		t.Fatalf("after %d failures on the role: %v, want the role limited", loginRoleBurst, err)
	}
	for range 2 * loginSourceBurst {
		v.JWTLoginFrom(ctx, "203.0.113.10", "made-up", "x")
	}
	if err := v.CheckLogin("203.0.113.10", "other"); limitedErr(err) == nil {
		t.Fatal("unknown roles did not count against the source")
	}
	if err := v.CheckLogin("203.0.113.11", "made-up"); err != nil {
		t.Fatalf("an unknown role's name was limited: %v", err)
	}
}

func TestLoginSource(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1:5000":             "192.0.2.1",
		"[2001:db8:1:2:3:4:5:6]:443": "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:443": "2001:db8:1:2::/64",
		"[::ffff:192.0.2.1]:80":      "192.0.2.1",
		"192.0.2.1":                  "192.0.2.1",
		"not an address":             "not an address",
	} {
		if got := LoginSource(in); got != want {
			t.Errorf("LoginSource(%q) = %q, want %q", in, got, want)
		}
	}
}

// Another login method counts its failures with LoginFailed and checks
// with CheckLogin, under the same limits.
func TestLoginFailedForOtherMethods(t *testing.T) {
	clock := &fakeClock{time.Now()}
	v, _ := openTestVault(t, Config{Now: clock.Now})
	for range loginSourceBurst {
		if err := v.CheckLogin("192.0.2.7", "userpass/alice"); err != nil {
			t.Fatal(err)
		}
		v.LoginFailed("192.0.2.7", "userpass/alice")
	}
	if err := v.CheckLogin("192.0.2.7", "userpass/bob"); limitedErr(err) == nil {
		t.Fatalf("source after %d failed password logins: %v", loginSourceBurst, err)
	}
	if err := v.CheckLogin("192.0.2.8", "userpass/alice"); err != nil {
		t.Fatalf("alice from another address: %v", err)
	}
}
