// Command mfa measures password logins per second against a running ward
// server: C clients log in as one user for a duration over keep-alive
// HTTP, then it prints logins per second, latency percentiles and errors.
// TOTP-checked requests cannot be driven this way (a code is single-use
// and an identity gets one per 30-second step); they are measured with a
// fake clock by `go test -bench MFA ./internal/server` (see README.md).
//
//	go run ./cmd/ward dev --login-max-failures 1000000 &
//	go run ./bench/mfa -c 2 -d 20s
//
// The address and root token come from WARD_ADDR and WARD_TOKEN or
// ~/.ward/token, as for the ward CLI; it creates user bench-login.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/wardhq/ward/bench/internal/loadgen"
	"github.com/wardhq/ward/client"
)

func main() {
	clients := flag.Int("c", 2, "concurrent clients")
	dur := flag.Duration("d", 20*time.Second, "how long to run")
	env := flag.String("env", "staging", "environment the logins are bound to")
	flag.Parse()
	cfg := client.DefaultConfig()
	if cfg.Token == "" {
		fmt.Fprintln(os.Stderr, "mfa: no token; run 'ward dev' (it writes ~/.ward/token) or set WARD_TOKEN")
		os.Exit(2)
	}
	root, err := client.New(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mfa:", err)
		os.Exit(1)
	}
	ctx := context.Background()
	const user, pw = "bench-login", "bench-password-0123"
	p := pw
	if err := root.PutPolicy(ctx, "bench-login", []byte("rules:\n  - path: "+*env+"/bench/*\n    capabilities: [read]\n")); err != nil {
		fail(err)
	}
	if err := root.PutUser(ctx, user, client.UserRequest{Password: &p, Policies: []string{"bench-login"}, TTL: time.Minute}); err != nil {
		fail(err)
	}
	anon, _ := client.New(client.Config{Address: cfg.Address, MaxRetries: -1})
	res := loadgen.Run(*clients, *dur, func(ctx context.Context, _, _ int) error {
		_, err := anon.Login(ctx, user, pw, *env)
		return err
	})
	fmt.Printf("logins: %d clients, %s: %d ok, %d errors\n", *clients, dur.String(), len(res.Lat)-res.Errors, res.Errors)
	fmt.Printf("logins/s: %.1f\n", float64(len(res.Lat)-res.Errors)/res.Wall.Seconds())
	fmt.Printf("latency: p50 %s  p90 %s  p99 %s\n", loadgen.Ms(res.Percentile(0.5)), loadgen.Ms(res.Percentile(0.9)), loadgen.Ms(res.Percentile(0.99)))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "mfa:", err)
	os.Exit(1)
}
