package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/auth/jwtauth/oidctest"
)

// BenchmarkJWTLogin measures CI logins over HTTP with the issuer's keys
// cached: validation, an fsynced token write to bbolt, and two audit
// entries per login (go test -bench JWTLogin -cpu 2 ./internal/server).
func BenchmarkJWTLogin(b *testing.B) {
	url, root := benchServer(b)
	iss := oidctest.New()
	defer iss.Close()
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	benchDo204 := func(path, body string) {
		req, _ := http.NewRequest("POST", url+path, strings.NewReader(body))
		req.Header.Set("X-Vault-Token", root)
		resp, err := c.Do(req)
		if err != nil || resp.StatusCode != 204 {
			b.Fatalf("%s: %v %v", path, resp, err)
		}
		resp.Body.Close()
	}
	benchDo204("/v1/auth/jwt/config", mustJSON(map[string]any{"oidc_discovery_url": iss.URL}))
	benchDo204("/v1/auth/jwt/role/bench", mustJSON(map[string]any{
		"bound_audiences": "ward", "bound_claims": map[string]any{"repository_id": "74"},
		"token_policies": "ci", "environment": "staging",
	}))
	body := mustJSON(map[string]any{"role": "bench", "jwt": iss.Sign(iss.GitHub(oidctest.GitHubJob{Audience: "ward"}))})
	benchDo(b, c, "POST", url+"/v1/auth/jwt/login", "", body)
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			benchDo(b, c, "POST", url+"/v1/auth/jwt/login", "", body)
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
}
