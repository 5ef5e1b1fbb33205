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

// runCeiling builds ward and the HTTP ceiling server (the Go module in
// dir, ../shared/bench/ceiling), starts both, and loads them alternately
// with the same client: for each client count, runs rounds of one window
// against each, the order swapped every round. It prints every round and
// the median of ward's rate over the ceiling's.
// With profile set, ward dev writes a CPU profile of itself there.
func runCeiling(dir string, clientCounts []int, d time.Duration, rounds int, profile string, mk func(addr, token string) *runner) error {
	tmp, err := os.MkdirTemp("", "ward-kvload-ceiling-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	ward, ceiling := filepath.Join(tmp, "ward"), filepath.Join(tmp, "ceiling")
	if err := devserver.Build("", "./cmd/ward", ward); err != nil {
		return fmt.Errorf("%v(run from the repository root)", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := devserver.Build(abs, ".", ceiling); err != nil {
		return err
	}
	home := filepath.Join(tmp, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		return err
	}
	var args []string
	if profile != "" {
		if profile, err = filepath.Abs(profile); err != nil {
			return err
		}
		args = []string{"--cpuprofile", profile}
	}
	srv, err := devserver.Start(ward, filepath.Join(tmp, "data"), home, args...)
	if err != nil {
		return err
	}
	defer srv.Stop()
	token, err := srv.Token()
	if err != nil {
		return err
	}
	caddr, stopCeiling, err := startCeiling(ceiling)
	if err != nil {
		return err
	}
	defer stopCeiling()

	w := mk(srv.Addr, token)
	if err := w.prepare(); err != nil {
		return err
	}
	c := mk(caddr, token)
	fmt.Printf("ward dev %s (pid %d) against the ceiling %s, %d rounds of %s windows, order swapped every round\n",
		srv.Addr, srv.Pid(), caddr, rounds, d)
	for _, clients := range clientCounts {
		fmt.Printf("\nclients %d\n%-6s %12s %12s %8s %12s %12s %s\n", clients, "round", "ceiling/s", "ward/s", "ratio", "ceiling p99", "ward p99", "p99 bound")
		var ratios []float64
		var p99ok int
		for i := range rounds {
			var cr, wr ceilingRun
			if i%2 == 0 {
				cr, wr = window(c, clients, d), window(w, clients, d)
			} else {
				wr, cr = window(w, clients, d), window(c, clients, d)
			}
			ratio := wr.rate / cr.rate
			ratios = append(ratios, ratio)
			bound := 2*cr.p99 + 5*time.Millisecond
			ok := "ok"
			if wr.p99 > bound {
				ok = "OVER " + loadgen.Ms(bound)
			} else {
				p99ok++
			}
			if wr.errs+cr.errs > 0 {
				ok += fmt.Sprintf(" (errors: ward %d, ceiling %d)", wr.errs, cr.errs)
			}
			fmt.Printf("%-6d %12.0f %12.0f %8.3f %12s %12s %s\n", i+1, cr.rate, wr.rate, ratio, loadgen.Ms(cr.p99), loadgen.Ms(wr.p99), ok)
		}
		slices.Sort(ratios)
		fmt.Printf("median ratio ward/ceiling at %d clients: %.3f (p99 within 2x ceiling + 5 ms in %d of %d rounds)\n", clients, ratios[len(ratios)/2], p99ok, rounds)
	}
	return nil
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
