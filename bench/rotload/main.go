// Command rotload measures whether ward's scheduler blocks KV reads: it
// builds ward, starts `ward dev` with --rotate-interval 5s, writes N
// api-token secrets (10,000 by default) whose expires_at makes them all
// due at one moment (due = expires_at - overlap), and loads the server
// with bench/kvload's closed-loop reads (C clients, 100 secrets of their
// own) in windows: idle before that moment, during the rotations (until
// the audit log holds N rotation-rotated events), and idle after. It
// prints each window's rate and percentiles and the p99 during the
// rotations over the p99 idle (before and after pooled): the figure that
// compares across machines.
//
//	go run ./bench/rotload -n 10000 -c 8 -w 5s
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wardhq/ward/bench/internal/devserver"
	"github.com/wardhq/ward/bench/internal/loadgen"
	"github.com/wardhq/ward/client"
)

func main() {
	n := flag.Int("n", 10000, "secrets due for rotation at once")
	clients := flag.Int("c", 8, "concurrent reading clients")
	window := flag.Duration("w", 5*time.Second, "length of one load window")
	flag.Parse()

	dir, err := os.MkdirTemp("", "rotload-")
	check(err)
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "ward")
	check(devserver.Build("", "./cmd/ward", bin))
	srv, err := devserver.Start(bin, filepath.Join(dir, "data"), filepath.Join(dir, "home"), "--log-level", "warn", "--rotate-interval", "5s")
	check(err)
	defer srv.Stop()
	cleanup = func() { srv.Stop(); os.RemoveAll(dir) } // check exits without running defers
	tok, err := srv.Token()
	check(err)
	c, err := client.New(client.Config{Address: srv.Addr, Token: tok})
	check(err)
	ctx := context.Background()

	// The secrets that rotate, and the ones the readers read.
	t0 := time.Now()
	each(*n, 8, func(i int) error {
		p := fmt.Sprintf("staging/%%s/rot/k-%05d", i)
		if err := c.Do(ctx, "POST", fmt.Sprintf(p, "metadata"), map[string]any{"custom_metadata": map[string]string{"type": "api-token", "overlap": "1h", "owner": "bench"}}, nil); err != nil {
			return err
		}
		return c.Do(ctx, "POST", fmt.Sprintf(p, "data"), map[string]any{"data": map[string]string{"token": fmt.Sprintf("tok_%05d_0123456789abcdef", i)}}, nil)
	})
	each(100, 8, func(i int) error {
		return c.Do(ctx, "POST", fmt.Sprintf("staging/data/read/k-%03d", i), map[string]any{"data": map[string]string{"v": fmt.Sprintf("value-%03d-%0180d", i, 0)}}, nil)
	})
	// All due at one moment: far enough ahead to write every expires_at
	// and measure an idle window first.
	due := time.Now().Add(2**window + time.Duration(*n)*time.Millisecond + 10*time.Second).Truncate(time.Second)
	exp := due.Add(time.Hour).UTC().Format(time.RFC3339)
	each(*n, 8, func(i int) error {
		return c.Do(ctx, "POST", fmt.Sprintf("staging/metadata/rot/k-%05d", i), map[string]any{"custom_metadata": map[string]string{
			"type": "api-token", "overlap": "1h", "owner": "bench", "expires_at": exp}}, nil)
	})
	fmt.Printf("seeded %d secrets due at %s in %s\n", *n, due.Format(time.TimeOnly), time.Since(t0).Round(time.Millisecond))

	read := func(ctx context.Context, cl, call int) error {
		return c.Do(ctx, "GET", fmt.Sprintf("staging/data/read/k-%03d", (cl*31+call)%100), nil, nil)
	}
	var idle, busy []time.Duration
	report := func(name string, r *loadgen.Result) {
		fmt.Printf("%-10s %7.0f reads/s  p50 %s  p99 %s  errors %d\n", name, r.Rate(), loadgen.Ms(r.Percentile(0.5)), loadgen.Ms(r.Percentile(0.99)), r.Errors)
	}
	for time.Until(due) > *window+time.Second {
		r := loadgen.Run(*clients, *window, read)
		report("idle", r)
		idle = append(idle, r.Lat...)
	}
	time.Sleep(time.Until(due))

	rotated := &auditCounter{path: filepath.Join(dir, "data", "audit.log"), needle: []byte(`"rotation-rotated"`)}
	start := time.Now()
	for rotated.count() < *n && time.Since(start) < 10*time.Minute {
		r := loadgen.Run(*clients, *window, read)
		report("rotating", r)
		busy = append(busy, r.Lat...)
		fmt.Printf("           %d of %d rotated after %s\n", rotated.count(), *n, time.Since(start).Round(time.Second))
	}
	took := time.Since(start)
	r := loadgen.Run(*clients, *window, read)
	report("idle after", r)
	idle = append(idle, r.Lat...)

	pi, pb := p99(idle), p99(busy)
	fmt.Printf("\n%d scheduled rotations finished within %s; read p99 idle %s, during rotation %s: ratio %.2f\n",
		rotated.count(), took.Round(time.Second), loadgen.Ms(pi), loadgen.Ms(pb), float64(pb)/float64(pi))
	if rotated.count() < *n {
		check(fmt.Errorf("not every secret rotated"))
	}
}

func p99(lat []time.Duration) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	slices.Sort(lat)
	return lat[min(len(lat)-1, len(lat)*99/100)]
}

// auditCounter counts a needle in the audit log, reading only what was
// appended since the last count.
type auditCounter struct {
	path   string
	needle []byte
	off    int64
	n      int
}

func (a *auditCounter) count() int {
	f, err := os.Open(a.path)
	if err != nil {
		return a.n
	}
	defer f.Close()
	f.Seek(a.off, io.SeekStart)
	b, _ := io.ReadAll(f)
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[:i+1]
		a.off += int64(len(b))
		a.n += bytes.Count(b, a.needle)
	}
	return a.n
}

// each calls fn(0..n-1) from workers goroutines and stops at the first
// error.
func each(n, workers int, fn func(i int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	check(first)
}

// cleanup, when set, stops ward before check exits.
var cleanup func()

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "rotload:", err)
		if cleanup != nil {
			cleanup()
		}
		os.Exit(1)
	}
}
