// Command jwtlogin measures CI logins per second at a running ward server:
// it starts a local OIDC issuer, points the server's JWT auth method at it,
// and has C clients exchange GitHub-Actions-shaped tokens at
// auth/jwt/login for a duration. The server fetches the issuer's keys once
// and then serves every login from its cache, so this measures what a busy
// CI fleet costs: parsing, signature verification, claim checks, a token
// written to storage and two audit entries per login.
//
//	go run ./cmd/ward dev &                  # a throwaway server: this overwrites auth/jwt/config
//	go run ./bench/jwtlogin -c 16 -d 10s -runs 3
//
// The address and root token come from WARD_ADDR and WARD_TOKEN or
// ~/.ward/token, as for the ward CLI.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/wardhq/ward/bench/internal/loadgen"
	"github.com/wardhq/ward/client"
	"github.com/wardhq/ward/internal/auth/jwtauth/oidctest"
)

func main() {
	clients := flag.Int("c", 16, "concurrent clients")
	dur := flag.Duration("d", 20*time.Second, "how long to run")
	env := flag.String("env", "staging", "environment the role's tokens reach")
	pool := flag.Int("tokens", 512, "distinct JWTs minted before the run and used in turn")
	runs := flag.Int("runs", 1, "runs of -d each; with more than one, the median logins/s is printed last")
	flag.Parse()
	cfg := client.DefaultConfig()
	if cfg.Address == "" {
		cfg.Address = client.DefaultAddress
	}
	if cfg.Token == "" {
		fmt.Fprintln(os.Stderr, "jwtlogin: no token; run 'ward dev' (it writes ~/.ward/token) or set WARD_TOKEN")
		os.Exit(2)
	}
	iss := oidctest.New()
	defer iss.Close()
	if err := setup(cfg, iss, *env); err != nil {
		fmt.Fprintln(os.Stderr, "jwtlogin:", err)
		os.Exit(1)
	}
	bodies := make([][]byte, *pool)
	for i := range bodies {
		jwt := iss.Sign(iss.GitHub(oidctest.GitHubJob{Audience: "ward-bench", RunID: fmt.Sprint(1000 + i)}))
		bodies[i], _ = json.Marshal(map[string]string{"role": "bench", "jwt": jwt})
	}
	hc := &http.Client{Transport: &http.Transport{
		MaxIdleConns: *clients * 2, MaxIdleConnsPerHost: *clients * 2, IdleConnTimeout: time.Minute,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}}
	url := strings.TrimRight(cfg.Address, "/") + "/v1/auth/jwt/login"
	// One login first, so the key fetch is not in the measurement.
	if status, err := login(context.Background(), hc, url, bodies[0]); err != nil || status != 200 {
		fmt.Fprintf(os.Stderr, "jwtlogin: first login: HTTP %d %v\n", status, err)
		os.Exit(1)
	}
	var rates []float64
	for range max(*runs, 1) {
		res := run(hc, url, bodies, *clients, *dur)
		_, jwks := iss.Hits()
		printResult(os.Stdout, res, *clients, *dur, jwks)
		rates = append(rates, res.Rate())
	}
	if len(rates) > 1 {
		slices.Sort(rates)
		fmt.Printf("median logins/s over %d runs: %.0f (%v)\n", len(rates), rates[len(rates)/2], fmtRates(rates))
	}
}

func fmtRates(r []float64) string {
	parts := make([]string, len(r))
	for i, x := range r {
		parts[i] = fmt.Sprintf("%.0f", x)
	}
	return strings.Join(parts, " / ")
}

func setup(cfg client.Config, iss *oidctest.Issuer, env string) error {
	c, err := client.New(cfg)
	if err != nil {
		return err
	}
	ctx := context.Background()
	if err := c.Do(ctx, "PUT", "sys/policies/acl/jwt-bench", map[string]any{"policy": "rules:\n  - path: " + env + "/bench/*\n    capabilities: [read]\n"}, nil); err != nil {
		return fmt.Errorf("writing the bench policy (is the token root?): %w", err)
	}
	if err := c.Do(ctx, "POST", "auth/jwt/config", map[string]any{"oidc_discovery_url": iss.URL}, nil); err != nil {
		return fmt.Errorf("configuring auth/jwt: %w", err)
	}
	role := map[string]any{
		"bound_audiences": []string{"ward-bench"}, "bound_claims_type": "glob",
		"bound_claims":   map[string]any{"repository_id": "74", "ref": "refs/heads/*"},
		"token_policies": []string{"jwt-bench"}, "token_ttl": "5m", "environment": env,
	}
	if err := c.Do(ctx, "POST", "auth/jwt/role/bench", role, nil); err != nil {
		return fmt.Errorf("writing the bench role (does environment %q exist?): %w", env, err)
	}
	return nil
}

func login(ctx context.Context, hc *http.Client, url string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

func run(hc *http.Client, url string, bodies [][]byte, clients int, d time.Duration) *loadgen.Result {
	return loadgen.Run(clients, d, func(ctx context.Context, c, call int) error {
		return loadgen.StatusError(login(ctx, hc, url, bodies[(c+call*clients)%len(bodies)]))
	})
}

func printResult(w io.Writer, res *loadgen.Result, clients int, d time.Duration, jwksFetches int) {
	fmt.Fprintf(w, "op=jwt-login clients=%d duration=%s\n", clients, d)
	fmt.Fprintf(w, "logins       %d\n", len(res.Lat))
	fmt.Fprintf(w, "logins/s     %.0f\n", res.Rate())
	fmt.Fprintf(w, "p50          %s\n", loadgen.Ms(res.Percentile(0.50)))
	fmt.Fprintf(w, "p99          %s\n", loadgen.Ms(res.Percentile(0.99)))
	fmt.Fprintf(w, "errors       %d\n", res.Errors)
	fmt.Fprintf(w, "jwks fetches %d\n", jwksFetches)
}
