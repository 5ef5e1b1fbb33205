// Command kvload measures a running ward server's KV v2 throughput and
// latency: C clients read or write secrets for a duration over keep-alive
// HTTP connections, then it prints requests per second, latency
// percentiles and errors.
//
//	go run ./cmd/ward dev &                       # or any ward server
//	go run ./bench/kvload -c 16 -d 20s -op read
//	go run ./bench/kvload -c 16 -d 20s -op write
//	go run ./bench/kvload -c 16 -d 20s -op write -type postgres
//
// With -type postgres the secrets name the built-in postgres type in their
// metadata, so every write is validated against it; the value is the same
// as without. -meta gives every secret custom metadata, so that an untyped
// run can carry as much metadata as a typed one and the two differ only by
// the validation:
//
//	go run ./bench/kvload -op write -meta owner=kvload
//	go run ./bench/kvload -op write -meta owner=kvload -type postgres
//
// The address and token come from WARD_ADDR and WARD_TOKEN or ~/.ward/token,
// as for the ward CLI. Run it against a server with bbolt storage and the
// audit log on (ward dev is both) to measure what a user gets.
//
// With -ceiling DIR it measures reads against the HTTP ceiling instead: it
// builds ward and the ceiling server in DIR (../shared/bench/ceiling, a
// net/http server answering a fixed KV v2 body), starts a `ward dev` of its
// own and the ceiling, loads them alternately with the same client for
// -rounds windows each, and prints each round and the median of ward's
// rate over the ceiling's. -c takes a list, run in turn:
//
//	go run ./bench/kvload -ceiling ../shared/bench/ceiling -c 16,1 -d 10s -rounds 5 -size 32
//
// -cpuprofile FILE there makes that ward dev write a CPU profile of itself
// (go tool pprof -top FILE). -ward BIN runs a prebuilt ward instead of
// building ./cmd/ward; -before BIN starts a second ward dev of another
// build (main, say) and loads it in the same rounds, so that the two builds
// are compared against the same ceiling in one run:
//
//	go run ./bench/kvload -ceiling ../shared/bench/ceiling -c 16,1 -d 8s -rounds 5 -size 32 -before /tmp/ward-main
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/wardhq/ward/bench/internal/loadgen"
	"github.com/wardhq/ward/client"
)

func main() {
	clientList := flag.String("c", "16", "concurrent clients (with -ceiling, a list: 16,1)")
	ceiling := flag.String("ceiling", "", "directory of the HTTP ceiling server (../shared/bench/ceiling): measure reads against it")
	rounds := flag.Int("rounds", 5, "with -ceiling: windows against each server, interleaved")
	profile := flag.String("cpuprofile", "", "with -ceiling: ward dev writes a CPU profile of itself to this file")
	wardBin := flag.String("ward", "", "with -ceiling: a prebuilt ward binary to run (default: build ./cmd/ward)")
	before := flag.String("before", "", "with -ceiling: another ward binary (an older build) loaded in the same rounds")
	dur := flag.Duration("d", 20*time.Second, "how long to run")
	op := flag.String("op", "read", "read or write")
	env := flag.String("env", "staging", "environment to use")
	keys := flag.Int("keys", 100, "number of distinct secrets")
	size := flag.Int("size", 200, "approximate bytes of each secret value")
	typ := flag.String("type", "", `"postgres": the secrets are typed postgres, so each write is validated`)
	meta := flag.String("meta", "", "custom metadata of every secret, KEY=VALUE,KEY=VALUE")
	flag.Parse()
	if *typ != "" && *typ != "postgres" {
		fmt.Fprintln(os.Stderr, "kvload: -type must be postgres or empty")
		os.Exit(2)
	}
	if *op != "read" && *op != "write" {
		fmt.Fprintln(os.Stderr, "kvload: -op must be read or write")
		os.Exit(2)
	}
	counts, err := parseCounts(*clientList)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kvload:", err)
		os.Exit(2)
	}
	clients := counts[0]
	if *ceiling != "" {
		mk := func(addr, token string) *runner { return newRunner(addr, token, *env, *keys, *size, "", nil, counts) }
		o := ceilingOpts{dir: *ceiling, clients: counts, d: *dur, rounds: *rounds, profile: *profile, ward: *wardBin, before: *before}
		if err := runCeiling(o, mk); err != nil {
			fmt.Fprintln(os.Stderr, "kvload:", err)
			os.Exit(1)
		}
		return
	}
	cfg := client.DefaultConfig()
	if cfg.Address == "" {
		cfg.Address = client.DefaultAddress
	}
	if cfg.Token == "" {
		fmt.Fprintln(os.Stderr, "kvload: no token; run 'ward dev' (it writes ~/.ward/token) or set WARD_TOKEN")
		os.Exit(2)
	}
	metaMap := map[string]string{}
	for _, kv := range strings.Split(*meta, ",") {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" && v != "" {
			metaMap[k] = v
		} else if kv != "" {
			fmt.Fprintln(os.Stderr, "kvload: -meta is KEY=VALUE,KEY=VALUE")
			os.Exit(2)
		}
	}
	r := newRunner(strings.TrimRight(cfg.Address, "/"), cfg.Token, *env, *keys, *size, *typ, metaMap, counts)
	if err := r.prepare(); err != nil {
		fmt.Fprintln(os.Stderr, "kvload:", err)
		os.Exit(1)
	}
	res := r.run(clients, *dur, *op)
	printResult(os.Stdout, res, *op, *typ, *meta, clients, *dur)
}

type runner struct {
	http       *http.Client
	addr       string
	token      string
	env        string
	keys, size int
	typ        string            // "" or the type the secrets name
	meta       map[string]string // the secrets' custom metadata
	prefix     string            // the folder of the secrets
}

// newRunner makes a runner of secrets under kvload/ (kvload-TYPE/ when
// typed, with -meta added when they carry metadata), with keep-alive
// connections for the largest of the client counts.
func newRunner(addr, token, env string, keys, size int, typ string, meta map[string]string, counts []int) *runner {
	r := &runner{addr: addr, token: token, env: env, keys: keys, size: size, typ: typ, prefix: "kvload/", meta: meta}
	if r.meta == nil {
		r.meta = map[string]string{}
	}
	if typ != "" {
		r.prefix = "kvload-" + typ + "/"
		r.meta["type"] = typ
	}
	if len(r.meta) > 0 {
		r.prefix = strings.TrimSuffix(r.prefix, "/") + "-meta/"
	}
	conns := 2 * slices.Max(counts)
	r.http = &http.Client{Transport: &http.Transport{
		MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: time.Minute,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}}
	return r
}

func (r *runner) body(i int) []byte {
	pad := strings.Repeat("x", r.size)
	return []byte(fmt.Sprintf(`{"data":{"user":"svc-%d","password":"%s-%d","host":"db-%d.internal","port":5432,"database":"payments","sslmode":"require"}}`, i, pad, rand.Int(), i))
}

func (r *runner) do(ctx context.Context, method, path string, body []byte) (int, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.addr+"/v1/"+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("X-Vault-Token", r.token)
	resp, err := r.http.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// prepare writes the secrets that reads will fetch.
func (r *runner) prepare() error {
	for i := 0; i < r.keys; i++ {
		if len(r.meta) > 0 {
			meta, _ := json.Marshal(map[string]any{"custom_metadata": r.meta})
			status, err := r.do(context.Background(), "POST", fmt.Sprintf("%s/metadata/%sk%d", r.env, r.prefix, i), meta)
			if err != nil {
				return fmt.Errorf("cannot reach ward at %s: %w", r.addr, err)
			}
			if status != 204 {
				return fmt.Errorf("writing the metadata of %sk%d in %s: HTTP %d (does the server know type %q?)", r.prefix, i, r.env, status, r.typ)
			}
		}
		status, err := r.do(context.Background(), "POST", fmt.Sprintf("%s/data/%sk%d", r.env, r.prefix, i), r.body(i))
		if err != nil {
			return fmt.Errorf("cannot reach ward at %s: %w", r.addr, err)
		}
		if status != 200 {
			return fmt.Errorf("writing %sk%d in %s: HTTP %d (is the environment there, does it require metadata (-meta), and is the token root? a `ward dev` started in ward's repository is seeded from examples/ward: start it with --seed '')", r.prefix, i, r.env, status)
		}
	}
	return nil
}

func (r *runner) run(clients int, d time.Duration, op string) *loadgen.Result {
	return loadgen.Run(clients, d, func(ctx context.Context, _, _ int) error {
		i := rand.N(r.keys)
		path := fmt.Sprintf("%s/data/%sk%d", r.env, r.prefix, i)
		var body []byte
		method := "GET"
		if op == "write" {
			method, body = "POST", r.body(i)
		}
		return loadgen.StatusError(r.do(ctx, method, path, body))
	})
}

func printResult(w io.Writer, res *loadgen.Result, op, typ, meta string, clients int, d time.Duration) {
	fmt.Fprintf(w, "op=%s type=%q meta=%q clients=%d duration=%s\n", op, typ, meta, clients, d)
	fmt.Fprintf(w, "requests  %d\n", len(res.Lat))
	fmt.Fprintf(w, "req/s     %.0f\n", res.Rate())
	fmt.Fprintf(w, "p50       %s\n", loadgen.Ms(res.Percentile(0.50)))
	fmt.Fprintf(w, "p99       %s\n", loadgen.Ms(res.Percentile(0.99)))
	fmt.Fprintf(w, "p999      %s\n", loadgen.Ms(res.Percentile(0.999)))
	fmt.Fprintf(w, "errors    %d\n", res.Errors)
}
