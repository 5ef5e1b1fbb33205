// Command anomaly evaluates ward's detectors (internal/detect). It writes a
// realistic audit history through a real audit log, weeks of CI jobs for
// Go and Rust repositories (pull requests, merges, deploys, nightly and
// release workflows), developers and on-call engineers at the vault,
// service tokens on schedules, and plants incidents of every kind the
// detectors look for. Then it replays the log through the detectors as
// fast as they go, on one core, and reports:
//
//   - detection: the planted incidents of each kind reported by their
//     detector (an alert of that detector naming the incident's identity
//     within its time span);
//
//   - false alerts: alerts that match no incident, per 10,000 normal
//     requests;
//
//   - replay time of the whole log, and per million lines, as a ratio to
//     decoding the same lines alone (measured interleaved in the same run).
//
//     go run ./bench/anomaly                     # 4 weeks, about a million lines
//     go run ./bench/anomaly -weeks 6 -runs 5 -v
//
// The log is written to a temporary directory and removed (-dir keeps it).
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"syscall"
	"time"

	"github.com/wardhq/ward/internal/audit"
	"github.com/wardhq/ward/internal/detect"
)

func main() {
	weeks := flag.Int("weeks", 4, "weeks of history")
	repos := flag.Int("repos", 14, "repositories (half Go, half Rust)")
	humans := flag.Int("humans", 150, "people (the first three are on-call operators)")
	pushes := flag.Float64("pushes", 3.5, "pull-request pushes per developer per working day")
	perKind := flag.Int("incidents", 20, "incidents planted of each kind")
	seed := flag.Uint64("seed", 1, "random seed")
	runs := flag.Int("runs", 3, "interleaved replay runs; medians are printed")
	procs := flag.Int("procs", 1, "GOMAXPROCS during replay")
	keep := flag.String("dir", "", "write the log here and keep it (default: a temporary directory, removed)")
	verbose := flag.Bool("v", false, "list every false alert and missed incident")
	flag.Parse()

	dir := *keep
	if dir == "" {
		d, err := os.MkdirTemp("", "ward-anomaly")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(d)
		dir = d
	}
	path := filepath.Join(dir, "audit.log")
	began := time.Now()
	// The server's way: a service fed live by the log as it writes, whose
	// alerts must be the replay's.
	live := newService()
	liveCtx, stopLive := context.WithCancel(context.Background())
	live.Start(liveCtx)
	g, err := generate(path, *seed, *weeks, *repos, *humans, *pushes, *perKind, live)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("generated %s: %d lines, %d requests (%d normal, %d in %d incidents), %d MB, in %s\n",
		path, g.lines, g.requests, g.requests-g.incidentRequests, g.incidentRequests, len(g.incidents), g.bytes>>20, time.Since(began).Round(time.Millisecond))

	raw, err := os.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	runtime.GOMAXPROCS(*procs)
	var decode, replay, decodeCPU, replayCPU []time.Duration
	var svc *detect.Service
	for range *runs {
		runtime.GC()
		t0, c0 := time.Now(), cpuTime()
		decodeOnly(raw)
		decode, decodeCPU = append(decode, time.Since(t0)), append(decodeCPU, cpuTime()-c0)
		runtime.GC()
		svc = newService()
		t0, c0 = time.Now(), cpuTime()
		if err := svc.Replay(context.Background(), bytes.NewReader(raw)); err != nil {
			log.Fatal(err)
		}
		replay, replayCPU = append(replay, time.Since(t0)), append(replayCPU, cpuTime()-c0)
	}
	st := svc.Stats()
	med := func(ds []time.Duration) time.Duration { slices.Sort(ds); return ds[len(ds)/2] }
	rd, dd := med(replay), med(decode)
	perM := time.Duration(float64(rd) * 1e6 / float64(g.lines))
	fmt.Printf("replay (GOMAXPROCS=%d, median of %d): %s for %d lines = %s per million lines (%.0f lines/s); decoding alone %s; ratio %.2f\n",
		*procs, *runs, rd.Round(time.Millisecond), g.lines, perM.Round(time.Millisecond), float64(g.lines)/rd.Seconds(), dd.Round(time.Millisecond), float64(rd)/float64(dd))
	rc, dc := med(replayCPU), med(decodeCPU)
	fmt.Printf("CPU time (user+system, less sensitive to other load): replay %s = %s per million lines; decoding alone %s; ratio %.2f\n",
		rc.Round(time.Millisecond), time.Duration(float64(rc)*1e6/float64(g.lines)).Round(time.Millisecond), dc.Round(time.Millisecond), float64(rc)/float64(dc))
	fmt.Printf("engine: %d events, %d skipped, %d unparsable, %d evicted; alerts raised %d (+%d duplicates, %d rate-limited)\n",
		st.Engine.Events, st.Engine.Skipped, st.Engine.Unparsable, st.Engine.Evicted, st.Raised, st.Duplicates, st.RateLimited)
	score(g, svc.Alerts(detect.Filter{}), *verbose)
	compareLive(live, svc)
	stopLive()
}

// compareLive says whether the service fed live by the log raised the
// alerts the replay raised, from the same lines, and fails if not.
func compareLive(live, replay *detect.Service) {
	if err := live.Flush(context.Background()); err != nil {
		log.Fatal(err)
	}
	ls, rs := live.Stats(), replay.Stats()
	la, ra := live.Alerts(detect.Filter{}), replay.Alerts(detect.Filter{})
	same := ls.Engine.Lines == rs.Engine.Lines && ls.Engine.Events == rs.Engine.Events && ls.Dropped == 0 && fmt.Sprint(la) == fmt.Sprint(ra)
	fmt.Printf("live feed (audit.Config.OnEntries): %d lines, %d events, %d dropped, %d alerts; same as the replay: %v\n",
		ls.Engine.Lines, ls.Engine.Events, ls.Dropped, len(la), same)
	if !same {
		log.Fatal("the live feed and the replay disagree")
	}
}

// benchConfig is the default configuration with the organisation's
// break-glass and retired secrets named, as its alerts.yaml would.
func benchConfig() detect.Config {
	cfg := detect.DefaultConfig()
	cfg.SensitivePath.BreakGlass = []string{"prod/break-glass/*"}
	cfg.SensitivePath.Retired = []string{"*/legacy/*"}
	cfg.UnusualHour.Except = []string{"user:ops*"} // on call: paged at any hour
	return cfg
}

func newService() *detect.Service {
	return detect.NewService(detect.ServiceConfig{Config: benchConfig(), Store: detect.NewStore(1<<20, nil)})
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// decodeOnly is the reference: read and decode every line, detect nothing.
func decodeOnly(raw []byte) {
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var ev detect.Event
	for sc.Scan() {
		detect.ParseLine(sc.Bytes(), &ev)
	}
}

type generated struct {
	lines, requests, incidentRequests int
	bytes                             int64
	incidents                         []incident
	incidentAt                        map[int64]int // time (ns) of an incident's request -> 1 + its index
}

func generate(path string, seed uint64, weeks, nRepos, nHumans int, pushes float64, perKind int, live *detect.Service) (*generated, error) {
	start := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC) // a Monday
	w := newWorld(seed, nRepos, nHumans, start)
	days := weeks * 7
	// Incidents go after the learning week and a margin, kinds in turn.
	plan := map[int][]string{}
	for range perKind {
		for _, kind := range detect.Detectors {
			d := 10 + w.rnd.IntN(max(1, days-10))
			plan[d] = append(plan[d], kind)
		}
	}
	key := bytes.Repeat([]byte{0x42}, 32)
	l, err := audit.Open(audit.Config{Path: path, HMACKey: key, OnEntries: live.OfferEntries})
	if err != nil {
		return nil, err
	}
	g := &generated{incidentAt: map[int64]int{}}
	ctx := context.Background()
	for di := range days {
		d := start.AddDate(0, 0, di)
		reqs := w.day(d, pushes)
		for _, kind := range plan[di] {
			extra, inc := w.plant(kind, d, nil)
			g.incidents = append(g.incidents, inc)
			for _, r := range extra {
				g.incidentAt[r.t.UnixNano()] = len(g.incidents)
			}
			reqs = append(reqs, extra...)
		}
		sort.SliceStable(reqs, func(i, j int) bool { return reqs[i].t.Before(reqs[j].t) })
		for i := range reqs {
			r := &reqs[i]
			g.requests++
			if r.incident != 0 {
				g.incidentRequests++
			}
			a, b := r.entries(fmt.Sprintf("req-%d", g.requests))
			if err := l.WriteAll(ctx, a, b); err != nil {
				return nil, err
			}
			g.lines += 2
		}
		// Let the live detectors catch up once a day, so that their
		// backlog never overflows: a generator writes faster than a
		// server's clients.
		if err := live.Flush(ctx); err != nil {
			return nil, err
		}
	}
	if err := l.Close(); err != nil {
		return nil, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	g.bytes = fi.Size()
	return g, nil
}

// score matches alerts with incidents and prints detection per kind and
// the false-alert rate.
func score(g *generated, alerts []detect.Alert, verbose bool) {
	found := make([]bool, len(g.incidents))
	var falses []detect.Alert
	falseBy := map[string]int{}
	for _, a := range alerts {
		// An alert is about an incident if an incident's request raised it
		// (its time is that request's), or if it names the incident's
		// identity within the incident's span.
		matched := false
		if i := g.incidentAt[a.Time.UnixNano()]; i > 0 {
			matched = true
			if a.Detector == g.incidents[i-1].kind {
				found[i-1] = true
			}
		}
		for i, inc := range g.incidents {
			if a.DisplayName == inc.display && !a.Time.Before(inc.start.Add(-time.Second)) && !a.Time.After(inc.end.Add(time.Minute)) {
				matched = true
				if a.Detector == inc.kind {
					found[i] = true
				}
			}
		}
		if !matched {
			falses = append(falses, a)
			falseBy[a.Detector]++
		}
	}
	fmt.Printf("\n%-18s %9s %9s %7s %13s\n", "detector", "planted", "detected", "rate", "false alerts")
	totalP, totalD := 0, 0
	for _, kind := range detect.Detectors {
		p, d := 0, 0
		for i, inc := range g.incidents {
			if inc.kind == kind {
				p++
				if found[i] {
					d++
				}
			}
		}
		totalP, totalD = totalP+p, totalD+d
		fmt.Printf("%-18s %9d %9d %6.1f%% %13d\n", kind, p, d, 100*float64(d)/float64(max(p, 1)), falseBy[kind])
	}
	normal := g.requests - g.incidentRequests
	fmt.Printf("%-18s %9d %9d %6.1f%% %13d\n", "all", totalP, totalD, 100*float64(totalD)/float64(max(totalP, 1)), len(falses))
	fmt.Printf("\nfalse alerts: %d over %d normal requests = %.3f per 10,000 (target <= 1)\n", len(falses), normal, 1e4*float64(len(falses))/float64(normal))
	if verbose {
		for _, a := range falses {
			fmt.Printf("  false: %s %s %s\n", a.Time.Format(time.RFC3339), a.Detector, a.Summary)
			for _, inc := range g.incidents {
				if inc.display == a.DisplayName && a.Time.Sub(inc.end).Abs() < 6*time.Hour {
					fmt.Printf("         near %s incident %s to %s\n", inc.kind, inc.start.Format(time.RFC3339), inc.end.Format(time.RFC3339))
				}
			}
		}
		for i, inc := range g.incidents {
			if !found[i] {
				fmt.Printf("  missed: %s %s %s (%s)\n", inc.start.Format(time.RFC3339), inc.kind, inc.display, inc.desc)
			}
		}
	}
}
