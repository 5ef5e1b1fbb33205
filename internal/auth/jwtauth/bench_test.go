package jwtauth_test

import (
	"context"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/wardhq/ward/internal/auth/jwtauth"
	"github.com/wardhq/ward/internal/auth/jwtauth/oidctest"
)

// BenchmarkValidate measures one token's whole check with the issuer's
// keys cached: header, signature, claims, bound claims, metadata. Run:
//
//	go test -run='^$' -bench=Validate -count=5 ./internal/auth/jwtauth
func BenchmarkValidate(b *testing.B) {
	for _, alg := range []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA} {
		b.Run(string(alg), func(b *testing.B) {
			iss := oidctest.New()
			defer iss.Close()
			iss.Rotate(alg)
			v, err := jwtauth.NewValidator(jwtauth.Config{OIDCDiscoveryURL: iss.URL}, jwtauth.Options{})
			if err != nil {
				b.Fatal(err)
			}
			role := stagingRole()
			jwt := iss.Sign(iss.GitHub(oidctest.GitHubJob{Audience: "https://ward.example.com"}))
			ctx := context.Background()
			if _, err := v.Validate(ctx, "r", role, jwt); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := v.Validate(ctx, "r", role, jwt); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "validations/s")
		})
	}
}
