package jwtauth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/auth/jwtauth"
	"github.com/wardhq/ward/internal/auth/jwtauth/oidctest"
)

// FuzzValidate feeds hostile tokens to Validate: it must never panic, never
// accept a token the issuer did not sign, and refuse with ErrInvalidToken.
// Seeds, with found regressions, are in testdata/fuzz/FuzzValidate.
//
//	go test -run='^$' -fuzz=FuzzValidate -fuzztime=60s ./internal/auth/jwtauth
func FuzzValidate(f *testing.F) {
	iss := oidctest.New()
	defer iss.Close()
	now := time.Now()
	iss.Now = func() time.Time { return now }
	v, err := jwtauth.NewValidator(jwtauth.Config{JWTValidationPubkeys: []string{iss.Current().PublicPEM()}, BoundIssuer: iss.URL},
		jwtauth.Options{Now: iss.Now})
	if err != nil {
		f.Fatal(err)
	}
	role := &jwtauth.Role{BoundAudiences: []string{"ward"}, TokenPolicies: []string{"ci"}, Environment: "staging"}
	claims := iss.GitHub(oidctest.GitHubJob{Audience: "ward"})
	good := iss.Sign(claims)
	if _, err := v.Validate(context.Background(), "r", role, good); err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(oidctest.Forge(map[string]any{"alg": "none"}, map[string]any{"aud": "ward"}, nil))
	f.Add("e30.e30.")
	f.Add("..")
	f.Fuzz(func(t *testing.T, raw string) {
		res, err := v.Validate(context.Background(), "r", role, raw)
		if err == nil {
			// Only the issuer's one token verifies (base64 may spell its
			// signature another way, so compare what it says).
			if res.Claims["jti"] != claims["jti"] {
				t.Fatalf("accepted a token the issuer did not sign: %v", res.Meta)
			}
			return
		}
		if !errors.Is(err, jwtauth.ErrInvalidToken) {
			t.Fatalf("error %v does not match ErrInvalidToken", err)
		}
	})
}
