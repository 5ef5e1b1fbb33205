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
	"slices"
	"sync"
	"time"

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
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	deadline := time.Now().Add(*dur)
	var wg sync.WaitGroup
	start := time.Now()
	for range *clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			bad := 0
			for time.Now().Before(deadline) {
				t0 := time.Now()
				if _, err := anon.Login(ctx, user, pw, *env); err != nil {
					bad++
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat, errs = append(lat, mine...), errs+bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	el := time.Since(start)
	slices.Sort(lat)
	pct := func(q float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[int(q*float64(len(lat)-1))]
	}
	fmt.Printf("logins: %d clients, %s: %d ok, %d errors\n", *clients, dur.String(), len(lat), errs)
	fmt.Printf("logins/s: %.1f\n", float64(len(lat))/el.Seconds())
	fmt.Printf("latency: p50 %s  p90 %s  p99 %s\n", pct(0.5).Round(time.Microsecond), pct(0.9).Round(time.Microsecond), pct(0.99).Round(time.Microsecond))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "mfa:", err)
	os.Exit(1)
}
