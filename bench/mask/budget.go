package main

import (
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"slices"
	"time"
)

// A run is one timed pipeline: its wall time and the CPU seconds of each
// of its two processes.
type run struct {
	wall            float64
	catUser, catSys float64 // the feeding cat; zero without one
	user, sys       float64 // the filter
}

func (r run) cpu() float64 { return r.catUser + r.catSys + r.user + r.sys }

func wallOf(r run) float64    { return r.wall }
func catCPUOf(r run) float64  { return r.catUser + r.catSys }
func userOf(r run) float64    { return r.user }
func sysOf(r run) float64     { return r.sys }
func filterCPU(r run) float64 { return r.user + r.sys }

// timing gathers the runs of one pipeline.
type timing struct{ runs []run }

func (t *timing) add(r run) { t.runs = append(t.runs, r) }
func (t *timing) last() run { return t.runs[len(t.runs)-1] }

// median is the median of f over the runs.
func (t *timing) median(f func(run) float64) float64 {
	xs := make([]float64, len(t.runs))
	for i, r := range t.runs {
		xs[i] = f(r)
	}
	return median(xs)
}

// pipeline runs `feed | filter > /dev/null` in dir, or `filter < /dev/null
// > /dev/null` when feed is nil, and times it and each of its processes.
func pipeline(dir string, feed, filter []string) run {
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		log.Fatal(err)
	}
	defer null.Close()
	f := exec.Command(filter[0], filter[1:]...)
	f.Dir, f.Stdin, f.Stdout, f.Stderr = dir, null, null, os.Stderr
	var c *exec.Cmd
	var pr, pw *os.File
	if feed != nil {
		if pr, pw, err = os.Pipe(); err != nil {
			log.Fatal(err)
		}
		c = exec.Command(feed[0], feed[1:]...)
		c.Dir, c.Stdout, c.Stderr = dir, pw, os.Stderr
		f.Stdin = pr
	}
	start := time.Now()
	if err := f.Start(); err != nil {
		log.Fatal(err)
	}
	if c != nil {
		if err := c.Start(); err != nil {
			log.Fatal(err)
		}
		pr.Close() // the children hold their ends
		pw.Close()
	}
	var r run
	if c != nil {
		if err := c.Wait(); err != nil {
			log.Fatalf("%v: %v", feed, err)
		}
		r.catUser, r.catSys = c.ProcessState.UserTime().Seconds(), c.ProcessState.SystemTime().Seconds()
	}
	if err := f.Wait(); err != nil {
		log.Fatalf("%v: %v", filter, err)
	}
	r.wall = time.Since(start).Seconds()
	r.user, r.sys = f.ProcessState.UserTime().Seconds(), f.ProcessState.SystemTime().Seconds()
	return r
}

// printBudget prints what a filter may spend on its scan to reach target
// times copy1m's throughput here: the target's wall time on every core,
// less cat, the filter's system time (its reads of the pipe and its
// start-up's) and its start-up's user time, each a median from the same
// rounds. It is an upper bound: it takes every core to be busy from the
// first instant to the last, start-up included.
func printBudget(w io.Writer, cores int, target, bytes float64, copy1m, ward, noValues, start timing) {
	wall := copy1m.median(wallOf) / target
	cpu := float64(cores) * wall
	cat := ward.median(catCPUOf)
	sys := ward.median(sysOf)
	startUser := start.median(userOf)
	left := cpu - cat - sys - startUser
	scan := ward.median(userOf) - startUser
	perCore := func(s float64) string {
		if s <= 0 {
			return "nothing left"
		}
		return fmt.Sprintf("%.2f GB/s a core", bytes/s/1e9)
	}
	fmt.Fprintf(w, "budget for %.0f %% of copy1m on %d cores: %.3f s of wall time, at most %.3f s of CPU\n", 100*target, cores, wall, cpu)
	fmt.Fprintf(w, "  %-44s %6.3f s\n", "cat, in the ward mask runs", cat)
	fmt.Fprintf(w, "  %-44s %6.3f s\n", "ward mask's system time (reads, start-up)", sys)
	fmt.Fprintf(w, "  %-44s %6.3f s  (no input: %.3f s of wall time, %.3f s of CPU)\n", "ward mask's start-up, user time", startUser, start.median(wallOf), start.median(filterCPU))
	fmt.Fprintf(w, "  %-44s %6.3f s  %s\n", "left for the scan", left, perCore(left))
	ratio := ""
	if left > 0 {
		ratio = fmt.Sprintf(", %.2f times the budget", scan/left)
	}
	fmt.Fprintf(w, "  %-44s %6.3f s  %s%s\n", "the scan now (user time less start-up)", scan, perCore(scan), ratio)
	fmt.Fprintf(w, "ward mask with no values (reading and writing alone): %.3f s, %.1f %% of copy1m\n",
		noValues.median(wallOf), 100*copy1m.median(wallOf)/noValues.median(wallOf))
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
