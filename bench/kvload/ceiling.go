package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wardhq/ward/bench/internal/devserver"
	"github.com/wardhq/ward/bench/internal/loadgen"
)

// ceilingRun is one window against one server.
type ceilingRun struct {
	rate float64
	p99  time.Duration
	errs int
}

// ceilingOpts configure runCeiling.
type ceilingOpts struct {
	dir     string // the ceiling server's Go module (../shared/bench/ceiling)
	clients []int
	d       time.Duration
	rounds  int
	profile string // ward dev writes a CPU profile of itself here
	ward    string // a prebuilt ward to run; "": build ./cmd/ward
	before  string // another ward build to load in the same rounds; "": none
}

// runCeiling builds ward (unless o.ward names one) and the HTTP ceiling
// server, starts both, and loads them alternately with the same client: for
// each client count, runs rounds of one window against each, the order
// rotated every round. It prints every round and the median of ward's rate
// over the ceiling's. With o.before, a second ward dev of that binary is
// loaded in the same rounds, and its ratio printed beside.
func runCeiling(o ceilingOpts, mk func(addr, token string) *runner) error {
	tmp, err := os.MkdirTemp("", "ward-kvload-ceiling-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	ward, ceiling := o.ward, filepath.Join(tmp, "ceiling")
	if ward == "" {
		ward = filepath.Join(tmp, "ward")
		if err := devserver.Build("", "./cmd/ward", ward); err != nil {
			return fmt.Errorf("%v(run from the repository root)", err)
		}
	}
	abs, err := filepath.Abs(o.dir)
	if err != nil {
		return err
	}
	if err := devserver.Build(abs, ".", ceiling); err != nil {
		return err
	}
	var args []string
	if o.profile != "" {
		profile, err := filepath.Abs(o.profile)
		if err != nil {
			return err
		}
		args = []string{"--cpuprofile", profile}
	}
	start := func(bin, name string, args ...string) (*runner, func(), error) {
		home := filepath.Join(tmp, name+"-home")
		if err := os.Mkdir(home, 0o700); err != nil {
			return nil, nil, err
		}
		srv, err := devserver.Start(bin, filepath.Join(tmp, name+"-data"), home, args...)
		if err != nil {
			return nil, nil, err
		}
		token, err := srv.Token()
		if err == nil {
			r := mk(srv.Addr, token)
			if err = r.prepare(); err == nil {
				fmt.Printf("%s: ward dev %s (pid %d)\n", name, srv.Addr, srv.Pid())
				return r, srv.Stop, nil
			}
		}
		srv.Stop()
		return nil, nil, err
	}
	w, stop, err := start(ward, "ward", args...)
	if err != nil {
		return err
	}
	defer stop()
	servers := []*runner{nil, w} // the ceiling's runner is set below
	names := []string{"ceiling", "ward"}
	if o.before != "" {
		b, stop, err := start(o.before, "before")
		if err != nil {
			return err
		}
		defer stop()
		servers, names = append(servers, b), append(names, "before")
	}
	caddr, stopCeiling, err := startCeiling(ceiling)
	if err != nil {
		return err
	}
	defer stopCeiling()
	servers[0] = mk(caddr, w.token)
	fmt.Printf("ceiling %s; %d rounds of %s windows, order rotated every round\n", caddr, o.rounds, o.d)
	for _, clients := range o.clients {
		fmt.Printf("\nclients %d\n%-6s %12s %12s %8s %12s %12s %s", clients, "round", "ceiling/s", "ward/s", "ratio", "ceiling p99", "ward p99", "p99 bound")
		if o.before != "" {
			fmt.Printf("   %12s %8s", "before/s", "ratio")
		}
		fmt.Println()
		ratios := make([][]float64, len(servers))
		var p99ok int
		for i := range o.rounds {
			res := make([]ceilingRun, len(servers))
			for k := range servers {
				j := (k + i) % len(servers)
				res[j] = window(servers[j], clients, o.d)
			}
			cr, wr := res[0], res[1]
			for j := 1; j < len(res); j++ {
				ratios[j] = append(ratios[j], res[j].rate/cr.rate)
			}
			bound := 2*cr.p99 + 5*time.Millisecond
			ok := "ok"
			if wr.p99 > bound {
				ok = "OVER " + loadgen.Ms(bound)
			} else {
				p99ok++
			}
			for j, r := range res {
				if r.errs > 0 {
					ok += fmt.Sprintf(" (errors: %s %d)", names[j], r.errs)
				}
			}
			fmt.Printf("%-6d %12.0f %12.0f %8.3f %12s %12s %s", i+1, cr.rate, wr.rate, wr.rate/cr.rate, loadgen.Ms(cr.p99), loadgen.Ms(wr.p99), ok)
			if o.before != "" {
				fmt.Printf("   %12.0f %8.3f", res[2].rate, res[2].rate/cr.rate)
			}
			fmt.Println()
		}
		fmt.Printf("median ratio ward/ceiling at %d clients: %.3f (p99 within 2x ceiling + 5 ms in %d of %d rounds)\n", clients, median(ratios[1]), p99ok, o.rounds)
		if o.before != "" {
			fmt.Printf("median ratio before/ceiling at %d clients: %.3f\n", clients, median(ratios[2]))
		}
	}
	return nil
}

func median(x []float64) float64 {
	x = slices.Clone(x)
	slices.Sort(x)
	return x[len(x)/2]
}

func window(r *runner, clients int, d time.Duration) ceilingRun {
	res := r.run(clients, d, "read")
	return ceilingRun{rate: res.Rate(), p99: res.Percentile(0.99), errs: res.Errors}
}

// startCeiling runs the ceiling binary on a free loopback port and waits
// until it accepts connections.
func startCeiling(bin string) (addr string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	hostport := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "-addr", hostport)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop = func() { cmd.Process.Kill(); cmd.Wait() }
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", hostport); err == nil {
			c.Close()
			return "http://" + hostport, stop, nil
		}
	}
	stop()
	return "", nil, fmt.Errorf("the ceiling server did not listen on %s in 30s", hostport)
}

// parseCounts parses "16,1".
func parseCounts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-c is a client count or a list of them, e.g. 16 or 16,1")
		}
		out = append(out, n)
	}
	return out, nil
}
