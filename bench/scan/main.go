// Command scanbench measures ward scan against gitleaks 8.30.1 on the same
// synthetic corpus, in one run, and prints a table: throughput, peak memory,
// recall and precision as scored by the shared corpus scorer.
//
//	go run ./bench/scan                      # 200 MB corpus, 3 interleaved runs
//	go run ./bench/scan -size 20MB -runs 1   # a quick look
//
// It generates the corpus into a temporary directory with
// ../shared/bench/corpus/gen.go (or reuses -corpus DIR), installs gitleaks
// with "go install" when it is not on PATH or in $(go env GOPATH)/bin,
// builds ward from ./cmd/ward (falling back to ./bench/scan/wardscan, the
// same scanner library, when cmd/ward does not build), runs the two
// scanners alternately -runs times each from the corpus's parent directory,
// and scores each report with ../shared/bench/corpus/eval.go in location
// mode (ward's with -columns too, since its columns are exact bytes).
// Throughput is corpus bytes on disk / wall seconds (median of the runs);
// peak memory is the largest max RSS of the runs. Nothing is written outside
// the temporary directory, which is removed unless -keep.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/wardhq/ward/bench/internal/sharedbench"
)

const gitleaksModule = "github.com/zricethezav/gitleaks/v8@v8.30.1"

type measure struct {
	wall  time.Duration
	rssKB int64
}

type tool struct {
	name    string
	cmd     func(report, target string) *exec.Cmd
	report  string
	runs    []measure
	summary map[string]any
	colsSum map[string]any
}

func main() {
	size := flag.String("size", "200MB", "corpus size (gen.go -size)")
	seed := flag.Int("seed", 1, "corpus seed")
	runs := flag.Int("runs", 3, "runs of each scanner, interleaved")
	corpus := flag.String("corpus", "", "use this existing corpus directory (its .truth.jsonl beside it) instead of generating one")
	shared := flag.String("shared", "", "the shared bench folder (default: ../shared/bench from the repository root)")
	keep := flag.Bool("keep", false, "keep the temporary directory (corpus, reports)")
	wild := flag.Int("wild", 100, "also score both scanners on this many of each form of bench/scan/wildcorpus (0: skip)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("scanbench: ")

	root, err := sharedbench.RepoRoot()
	if err != nil {
		log.Fatal(err)
	}
	if *shared, err = sharedbench.Dir(*shared, root, "corpus/gen.go"); err != nil {
		log.Fatal(err)
	}
	tmp, err := os.MkdirTemp("", "ward-scanbench-")
	check(err)
	if *keep {
		log.Printf("working in %s", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}

	if *corpus == "" {
		*corpus = filepath.Join(tmp, "corpus")
		log.Printf("generating a %s corpus (seed %d)", *size, *seed)
		run(*shared, "go", "run", "./corpus/gen.go", "-out", *corpus, "-size", *size, "-seed", fmt.Sprint(*seed))
	}
	*corpus, err = filepath.Abs(*corpus)
	check(err)
	base, name := filepath.Dir(*corpus), filepath.Base(*corpus)
	bytesOnDisk := duBytes(*corpus)

	gitleaks := findGitleaks()
	ward, wardFrom := buildWard(root, tmp)
	log.Printf("ward: %s; gitleaks: %s", wardFrom, gitleaks)

	tools := []*tool{
		{name: "gitleaks 8.30.1 (dir, --max-archive-depth 8)", report: filepath.Join(tmp, "gitleaks.json"), cmd: func(report, target string) *exec.Cmd {
			return exec.Command(gitleaks, "dir", target, "--no-banner", "--report-format", "json", "--report-path", report,
				"--exit-code", "0", "--log-level", "error", "--max-archive-depth", "8")
		}},
		{name: "ward scan (" + wardFrom + ")", report: filepath.Join(tmp, "ward.json"), cmd: func(_, target string) *exec.Cmd {
			return exec.Command(ward, "scan", "--format", "json", "--progress=false", target)
		}},
	}
	if wardFrom != "cmd/ward" {
		tools[1].cmd = func(_, target string) *exec.Cmd { return exec.Command(ward, "--format", "json", target) }
	}
	warm(*corpus)
	for i := range *runs {
		for _, t := range tools {
			t.runs = append(t.runs, timeRun(t, base, name))
			log.Printf("run %d %-45s %6.2f s  %7.1f MiB", i+1, t.name, t.runs[i].wall.Seconds(), float64(t.runs[i].rssKB)/1024)
		}
	}
	for _, t := range tools {
		t.summary = score(*shared, *corpus, base, t.report, tmp, false)
		if strings.HasPrefix(t.name, "ward") {
			t.colsSum = score(*shared, *corpus, base, t.report, tmp, true)
		}
	}
	printTable(os.Stdout, tools, bytesOnDisk, *runs)
	if *wild > 0 {
		wildRecall(root, *shared, tmp, *wild, tools)
	}
}

// wildRecall generates the corpus of bench/scan/wildcorpus, runs each
// scanner on it once and prints their recall per form and precision, as
// the shared scorer gives them (ward's with -columns: its columns are
// exact, and the packed binaries are one long line).
func wildRecall(root, shared, tmp string, n int, tools []*tool) {
	dir := filepath.Join(tmp, "wild")
	run(root, "go", "run", "./bench/scan/wildcorpus", "-out", dir, "-n", fmt.Sprint(n))
	fmt.Printf("\nforms found in the wild (go run ./bench/scan/wildcorpus -n %d), one run each:\n", n)
	for _, t := range tools {
		t.report = filepath.Join(tmp, "wild-"+filepath.Base(t.report))
		timeRun(t, tmp, "wild")
		sum := filepath.Join(tmp, "wild-summary.json")
		args := []string{"run", "./corpus/eval.go", "-root", dir, "-base", tmp, "-report", t.report, "-match", "location", "-summary", sum}
		if strings.HasPrefix(t.name, "ward") {
			args = append(args, "-columns")
		}
		c := exec.Command("go", args...)
		c.Dir = shared
		out, err := c.CombinedOutput()
		if err != nil {
			log.Fatalf("eval: %v\n%s", err, out)
		}
		data, err := os.ReadFile(sum)
		check(err)
		var m map[string]any
		check(json.Unmarshal(data, &m))
		fmt.Printf("\n%s: recall %s, precision %s, decoys fired %v/%v\n", t.name,
			pct(m, "recall", "detected", "truth"), pct(m, "precision", "true_findings", "findings"), m["decoys_fired"], m["decoys"])
		section := false
		for _, line := range strings.Split(string(out), "\n") {
			switch {
			case strings.HasPrefix(line, "recall by variant"):
				section = true
			case section && strings.TrimSpace(line) == "":
				section = false
			case section:
				fmt.Println(line)
			}
		}
	}
}

// timeRun runs one scanner. Peak memory comes from /usr/bin/time (GNU
// time's %M) when it is there: the rusage Go gets from wait4 may count the
// parent's memory too, since the child starts as a vfork of it.
func timeRun(t *tool, dir, target string) measure {
	c := t.cmd(t.report, target)
	if gnuTime != "" {
		c = exec.Command(gnuTime, append([]string{"-f", rssMarker + "%M"}, c.Args...)...)
	}
	c.Dir = dir
	var out *os.File
	if strings.HasPrefix(t.name, "ward") {
		f, err := os.Create(t.report)
		check(err)
		out = f
		c.Stdout = f
	}
	var stderr bytes.Buffer
	c.Stderr = &stderr
	start := time.Now()
	err := c.Run()
	wall := time.Since(start)
	if out != nil {
		out.Close()
	}
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 && strings.HasPrefix(t.name, "ward") && !strings.Contains(stderr.String(), "Command terminated by signal") {
		err = nil // ward exits 1 when it finds something
	}
	if err != nil {
		log.Fatalf("%s: %v\n%s", t.name, err, stderr.String())
	}
	if gnuTime != "" {
		if i := strings.LastIndex(stderr.String(), rssMarker); i >= 0 {
			var kb int64
			fmt.Sscan(stderr.String()[i+len(rssMarker):], &kb)
			return measure{wall: wall, rssKB: kb}
		}
	}
	ru := c.ProcessState.SysUsage().(*syscall.Rusage)
	return measure{wall: wall, rssKB: ru.Maxrss}
}

const rssMarker = "scanbench-maxrss-kb "

// gnuTime is /usr/bin/time when it is GNU time, else "".
var gnuTime = func() string {
	if err := exec.Command("/usr/bin/time", "-f", "%M", "true").Run(); err != nil {
		return ""
	}
	return "/usr/bin/time"
}()

func score(shared, corpus, base, report, tmp string, columns bool) map[string]any {
	sum := filepath.Join(tmp, "summary.json")
	args := []string{"run", "./corpus/eval.go", "-root", corpus, "-base", base, "-report", report, "-match", "location", "-summary", sum}
	if columns {
		args = append(args, "-columns")
	}
	c := exec.Command("go", args...)
	c.Dir = shared
	if out, err := c.CombinedOutput(); err != nil {
		log.Fatalf("eval: %v\n%s", err, out)
	}
	data, err := os.ReadFile(sum)
	check(err)
	var m map[string]any
	check(json.Unmarshal(data, &m))
	return m
}

func printTable(w *os.File, tools []*tool, size int64, runs int) {
	fmt.Fprintf(w, "\ncorpus: %.1f MB on disk; %d run(s) of each scanner, interleaved; median wall time\n\n", float64(size)/1e6, runs)
	fmt.Fprintf(w, "| scanner | throughput | peak RSS | recall | precision | recall, precision (-columns) |\n|---|---|---|---|---|---|\n")
	var speeds []float64
	for _, t := range tools {
		walls := make([]time.Duration, len(t.runs))
		var rss int64
		for i, m := range t.runs {
			walls[i] = m.wall
			rss = max(rss, m.rssKB)
		}
		slices.Sort(walls)
		med := walls[len(walls)/2]
		mbps := float64(size) / 1e6 / med.Seconds()
		speeds = append(speeds, mbps)
		cols := "n/a (columns not exact)"
		if t.colsSum != nil {
			cols = fmt.Sprintf("%s, %s", pct(t.colsSum, "recall", "detected", "truth"), pct(t.colsSum, "precision", "true_findings", "findings"))
		}
		fmt.Fprintf(w, "| %s | %.1f MB/s | %.0f MiB | %s | %s | %s |\n", t.name, mbps, float64(rss)/1024,
			pct(t.summary, "recall", "detected", "truth"), pct(t.summary, "precision", "true_findings", "findings"), cols)
	}
	if len(speeds) == 2 && speeds[0] > 0 {
		fmt.Fprintf(w, "\nward / gitleaks throughput: %.1fx\n", speeds[1]/speeds[0])
	}
}

func pct(m map[string]any, key, num, den string) string {
	return fmt.Sprintf("%.1f%% (%v/%v)", 100*m[key].(float64), m[num], m[den])
}

func findGitleaks() string {
	if p, err := exec.LookPath("gitleaks"); err == nil {
		return p
	}
	gopath := strings.TrimSpace(output("go", "env", "GOPATH"))
	p := filepath.Join(gopath, "bin", "gitleaks")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	log.Printf("installing gitleaks: go install %s", gitleaksModule)
	run("", "go", "install", gitleaksModule)
	return p
}

func buildWard(root, tmp string) (bin, from string) {
	bin = filepath.Join(tmp, "ward")
	c := exec.Command("go", "build", "-o", bin, "./cmd/ward")
	c.Dir = root
	if out, err := c.CombinedOutput(); err == nil {
		return bin, "cmd/ward"
	} else {
		log.Printf("cmd/ward does not build (%v); using bench/scan/wardscan\n%s", err, firstLines(string(out), 3))
	}
	run(root, "go", "build", "-o", bin, "./bench/scan/wardscan")
	return bin, "bench/scan/wardscan"
}

func duBytes(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// warm reads every file once so that both scanners find it in the page cache.
func warm(dir string) {
	buf := make([]byte, 1<<20)
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if f, err := os.Open(p); err == nil {
				for {
					if _, err := f.Read(buf); err != nil {
						break
					}
				}
				f.Close()
			}
		}
		return nil
	})
}

func run(dir, name string, args ...string) {
	c := exec.Command(name, args...)
	c.Dir = dir
	c.Stdout, c.Stderr = os.Stderr, os.Stderr
	check(c.Run())
}

func output(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	check(err)
	return string(out)
}

func firstLines(s string, n int) string {
	ls := strings.SplitN(s, "\n", n+1)
	return strings.Join(ls[:min(n, len(ls))], "\n")
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
