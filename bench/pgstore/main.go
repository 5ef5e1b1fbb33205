// Command pgstore compares ward's KV throughput on PostgreSQL storage with
// the embedded bbolt store: it builds ward, starts `ward dev` (bbolt) and
// `ward server --storage postgres` on the database in WARD_STORAGE_DSN
// (which must be empty), both with their audit logs on, and loads them in
// turn with the same closed-loop client (C clients, keep-alive HTTP), reads
// then writes, rotating which goes first, for several rounds. It prints
// every run and the median of each, and PostgreSQL's as a ratio of bbolt's.
//
//	WARD_STORAGE_DSN='postgres://ward:PW@127.0.0.1:5432/wardbench?sslmode=disable' \
//	    go run ./bench/pgstore -c 16 -d 10s -rounds 5
//
// -before BIN adds a third server: a prebuilt ward (an earlier build) on
// PostgreSQL too, on the empty database in WARD_STORAGE_DSN_BEFORE, loaded
// in the same rounds, so that a change is measured as a ratio against the
// build before it under the same load. -ops read runs the reads only.
// -cpuprofile FILE makes this build's PostgreSQL server profile itself
// (go tool pprof -top FILE).
//
// Run it from the repository root. The databases need no preparation
// beyond being empty: ward creates its tables.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/wardhq/ward/bench/internal/loadgen"
	"github.com/wardhq/ward/client"
)

func main() {
	clients := flag.Int("c", 16, "concurrent clients")
	dur := flag.Duration("d", 10*time.Second, "length of each run")
	rounds := flag.Int("rounds", 3, "rounds; each runs reads and writes on both stores")
	keys := flag.Int("keys", 100, "distinct secrets")
	before := flag.String("before", "", "a prebuilt ward to run on PostgreSQL as well, on the database in WARD_STORAGE_DSN_BEFORE")
	opsFlag := flag.String("ops", "read,write", "what to load: read, write or both, comma-separated")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of this build's PostgreSQL server to this file")
	flag.Parse()
	ops := strings.Split(*opsFlag, ",")
	for _, op := range ops {
		if op != "read" && op != "write" {
			log.Fatalf("pgstore: -ops %q: each must be read or write", *opsFlag)
		}
	}
	beforeDSN := os.Getenv("WARD_STORAGE_DSN_BEFORE")
	if *before != "" && (beforeDSN == "" || beforeDSN == os.Getenv("WARD_STORAGE_DSN")) {
		log.Fatal("pgstore: -before needs WARD_STORAGE_DSN_BEFORE: another empty database than WARD_STORAGE_DSN's")
	}
	log.SetFlags(0)
	dsn := os.Getenv("WARD_STORAGE_DSN")
	if dsn == "" {
		log.Fatal("pgstore: set WARD_STORAGE_DSN to an empty PostgreSQL database ward may create tables in")
	}
	dir, err := os.MkdirTemp("", "ward-bench-pgstore-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ward := filepath.Join(dir, "ward")
	if out, err := exec.Command("go", "build", "-o", ward, "./cmd/ward").CombinedOutput(); err != nil {
		log.Fatalf("building ward (run from the repository root): %v\n%s", err, out)
	}

	boltHome := filepath.Join(dir, "bolt-home")
	os.Mkdir(boltHome, 0o700)
	boltAddr, stopBolt := startWard(ward, []string{"WARD_CONFIG_DIR=" + boltHome}, "dev", "--data", filepath.Join(dir, "bolt"))
	defer stopBolt()
	tok, err := os.ReadFile(filepath.Join(boltHome, "token"))
	if err != nil {
		log.Fatal(err)
	}
	pgArgs := []string{"server", "--storage", "postgres", "--data", filepath.Join(dir, "pg")}
	if *cpuProfile != "" {
		abs, err := filepath.Abs(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		pgArgs = append(pgArgs, "--cpuprofile", abs)
	}
	pgAddr, stopPG := startWard(ward, []string{"WARD_STORAGE_DSN=" + dsn}, pgArgs...)
	defer stopPG()
	pgToken := initPG(pgAddr)

	targets := []*target{
		{name: "bbolt", addr: boltAddr, token: strings.TrimSpace(string(tok))},
		{name: "postgres", addr: pgAddr, token: pgToken},
	}
	if *before != "" {
		bin, err := filepath.Abs(*before)
		if err != nil {
			log.Fatal(err)
		}
		addr, stop := startWard(bin, []string{"WARD_STORAGE_DSN=" + beforeDSN}, "server", "--storage", "postgres", "--data", filepath.Join(dir, "pg-before"))
		defer stop()
		targets = append(targets, &target{name: "pg-before", addr: addr, token: initPG(addr)})
	}
	hc := &http.Client{Transport: &http.Transport{
		MaxIdleConns: *clients * 4, MaxIdleConnsPerHost: *clients * 2, IdleConnTimeout: time.Minute,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}}
	for _, tg := range targets {
		tg.http, tg.keys = hc, *keys
		tg.prepare()
	}
	fmt.Printf("clients=%d duration=%s rounds=%d keys=%d (audit log on for both)\n", *clients, *dur, *rounds, *keys)
	rates := map[string][]float64{}
	for r := range *rounds {
		order := append(slices.Clone(targets[r%len(targets):]), targets[:r%len(targets)]...)
		for _, op := range ops {
			for _, tg := range order {
				res := tg.run(op, *clients, *dur)
				k := op + " " + tg.name
				rates[k] = append(rates[k], res.Rate())
				fmt.Printf("round %d  %-5s %-9s  %7.0f req/s  p50 %s  p99 %s  errors %d\n",
					r+1, op, tg.name, res.Rate(), loadgen.Ms(res.Percentile(0.5)), loadgen.Ms(res.Percentile(0.99)), res.Errors)
			}
		}
	}
	fmt.Println()
	for _, op := range ops {
		b, p := median(rates[op+" bbolt"]), median(rates[op+" postgres"])
		fmt.Printf("median %-5s  bbolt %7.0f req/s  postgres %7.0f req/s  postgres/bbolt %.2f\n", op, b, p, p/b)
		if *before != "" {
			pb := median(rates[op+" pg-before"])
			fmt.Printf("median %-5s  pg-before %7.0f req/s  pg-before/bbolt %.2f  postgres/pg-before %.2f\n", op, pb, pb/b, p/pb)
		}
	}
}

type target struct {
	name, addr, token string
	http              *http.Client
	keys              int
}

func (tg *target) do(ctx context.Context, method, path string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, tg.addr+"/v1/"+path, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("X-Vault-Token", tg.token)
	resp, err := tg.http.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

func body(i int) []byte {
	return fmt.Appendf(nil, `{"data":{"user":"svc-%d","password":"%s-%d","host":"db-%d.internal","port":5432}}`, i, strings.Repeat("x", 200), rand.Int(), i)
}

func (tg *target) prepare() {
	for i := range tg.keys {
		if status, err := tg.do(context.Background(), "POST", fmt.Sprintf("staging/data/bench/k%d", i), body(i)); err != nil || status != 200 {
			log.Fatalf("pgstore: preparing %s: HTTP %d %v", tg.name, status, err)
		}
	}
}

func (tg *target) run(op string, clients int, d time.Duration) *loadgen.Result {
	return loadgen.Run(clients, d, func(ctx context.Context, _, _ int) error {
		i := rand.N(tg.keys)
		path := fmt.Sprintf("staging/data/bench/k%d", i)
		if op == "write" {
			return loadgen.StatusError(tg.do(ctx, "POST", path, body(i)))
		}
		return loadgen.StatusError(tg.do(ctx, "GET", path, nil))
	})
}

var ready = regexp.MustCompile(`(?:export WARD_ADDR=|ward: server on )(http://127\.0\.0\.1:\d+)`)

// startWard starts ward with args on a free loopback port and returns its
// address once it serves, and a function that stops it.
func startWard(ward string, env []string, args ...string) (string, func()) {
	cmd := exec.Command(ward, append(args, "--listen", "127.0.0.1:0", "--log-level", "error")...)
	cmd.Env = append(append(os.Environ(), "WARD_TOKEN=", "WARD_ADDR="), env...)
	cmd.Dir = filepath.Dir(ward) // not the repository: no store seeded from examples/ward
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	var logs strings.Builder
	for sc.Scan() {
		logs.WriteString(sc.Text() + "\n")
		if m := ready.FindStringSubmatch(sc.Text()); m != nil {
			go io.Copy(io.Discard, stderr)
			return m[1], func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }
		}
	}
	cmd.Wait()
	log.Fatalf("ward %s did not start:\n%s", strings.Join(args, " "), logs.String())
	return "", nil
}

// initPG initialises the new PostgreSQL server with one key, unseals it,
// creates the staging environment and returns the root token.
func initPG(addr string) string {
	ctx := context.Background()
	c, err := client.New(client.Config{Address: addr})
	if err != nil {
		log.Fatal(err)
	}
	res, err := c.Init(ctx, 1, 1)
	if err != nil {
		log.Fatalf("pgstore: init the PostgreSQL server (is the database empty?): %v", err)
	}
	share, err := hex.DecodeString(res.Keys[0])
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.Unseal(ctx, share); err != nil {
		log.Fatal(err)
	}
	c, _ = client.New(client.Config{Address: addr, Token: res.RootToken})
	if _, err := c.CreateEnv(ctx, "staging"); err != nil {
		log.Fatal(err)
	}
	return res.RootToken
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}
