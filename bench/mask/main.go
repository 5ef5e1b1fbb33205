// Command mask measures ward mask against the pipe-copy ceiling and the
// naive line-by-line masker, on a CI log from the shared bench tools
// (../shared/bench from the repository root: loggen, copy1m, naive; see its
// README, sections 5 and 6). It builds them and ward into a temporary
// directory, generates a log with K secrets, then runs the filters
// interleaved, several times, each as `cat LOG ... | FILTER > /dev/null`
// (a new process each time, so start-up is included), and prints the median
// throughput of each, its ratio to copy1m, and the median CPU time of the
// pipeline (steadier than wall time on a loaded machine). Then it prints
// the budget that a target ratio to copy1m leaves ward's scan on this
// machine (-target, 0.70 by default): the target's wall time on all the
// cores, less what cat, ward's reads of the pipe and ward's start-up take,
// each timed in the same rounds; beside it what the scan takes now, and
// ward mask with no values at all, its reading and writing alone. Last it
// counts, per planted form, the log lines that still hold a planted string
// after each masker.
//
//	go run ./bench/mask                  # 200 MB, 1,000 secrets, start-up included
//	go run ./bench/mask -long            # 2,000 MB: a 500 MB log pushed 4 times
//	go run ./bench/mask -before OLD -naive=false   # this build against another
//
// Use -ward to time a prebuilt binary instead of building ./cmd/ward.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/wardhq/ward/bench/internal/sharedbench"
)

func main() {
	shared := flag.String("shared", "", "directory of the shared bench tools (default: ../shared/bench from the repository root)")
	size := flag.String("size", "200MB", "log size for loggen")
	k := flag.Int("k", 1000, "number of secrets")
	repeat := flag.Int("repeat", 1, "times the log is pushed through each filter per run")
	long := flag.Bool("long", false, "the 2,000 MB mode: -size 500MB -repeat 4")
	runs := flag.Int("runs", 5, "interleaved runs of each filter; medians are printed")
	wardBin := flag.String("ward", "", "ward binary to time (default: build ./cmd/ward)")
	keep := flag.String("dir", "", "work directory to use and keep (default: a temporary one, removed)")
	before := flag.String("before", "", "another ward binary (an older build, say) to time interleaved with the first")
	naive := flag.Bool("naive", true, "also time the naive masker (slow: about 2 s per 100 MB)")
	target := flag.Float64("target", 0.70, "the ratio to copy1m whose budget is printed")
	flag.Parse()
	if *long {
		*size, *repeat = "500MB", 4
	}
	root, err := sharedbench.RepoRoot()
	if err != nil {
		log.Fatal(err)
	}
	if *shared, err = sharedbench.Dir(*shared, root, "loggen"); err != nil {
		log.Fatal(err)
	}

	dir := *keep
	if dir == "" {
		d, err := os.MkdirTemp("", "wardbench-mask-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(d)
		dir = d
	}
	bin := func(name string) string { return filepath.Join(dir, name) }
	for _, tool := range []string{"copy1m", "naive", "loggen"} {
		sh(*shared, "go", "build", "-o", bin(tool), "./"+tool)
	}
	ward := *wardBin
	if ward == "" {
		ward = bin("ward")
		sh(root, "go", "build", "-o", ward, "./cmd/ward")
	}
	logPath, secrets, truth := bin("log.txt"), bin("secrets.txt"), bin("planted.tsv")
	sh(dir, "sh", "-c", fmt.Sprintf("%s -size %s -k %d -secrets-out %s -truth-out %s > %s",
		bin("loggen"), *size, *k, secrets, truth, logPath))
	values := bin("values.json")
	writeValues(secrets, values)

	st, err := os.Stat(logPath)
	if err != nil {
		log.Fatal(err)
	}
	bytesPerRun := st.Size() * int64(*repeat)
	feed := append([]string{"cat"}, slices.Repeat([]string{logPath}, *repeat)...)
	empty := bin("empty.json")
	if err := os.WriteFile(empty, []byte("{}"), 0o600); err != nil {
		log.Fatal(err)
	}
	type filter struct {
		name string
		cmd  []string
	}
	wardMask := func(exe, values string) []string { return []string{exe, "mask", "--values-file", values} }
	filters := []filter{{"copy1m", []string{bin("copy1m")}}, {"ward mask", wardMask(ward, values)}}
	if *before != "" {
		filters = append(filters, filter{"ward mask (-before)", wardMask(*before, values)})
	}
	if *naive {
		filters = append(filters,
			filter{"naive", []string{bin("naive"), "-secrets", secrets}},
			filter{"naive -flush-lines", []string{bin("naive"), "-secrets", secrets, "-flush-lines"}})
	}
	// For the budget, not in the table: ward mask with no values (reading
	// and writing alone), and its start-up with no input.
	noValues := filter{"ward mask, no values", wardMask(ward, empty)}
	sh(dir, "sh", "-c", "cat "+logPath+" > /dev/null") // warm the page cache
	timed := make([]timing, len(filters))
	var noValuesT, startT timing
	for r := range *runs {
		for i, f := range filters {
			timed[i].add(pipeline(dir, feed, f.cmd))
			last := timed[i].last()
			fmt.Fprintf(os.Stderr, "run %d %-20s %.3fs  cpu %.3fs\n", r+1, f.name, last.wall, last.cpu())
		}
		noValuesT.add(pipeline(dir, feed, noValues.cmd))
		startT.add(pipeline(dir, nil, filters[1].cmd))
	}
	fmt.Printf("%d secrets, %d MB per run (%d × log), %d runs, medians (cpu: user+system seconds of cat and the filter):\n", *k, bytesPerRun/1e6, *repeat, *runs)
	copyRate := float64(bytesPerRun) / timed[0].median(wallOf) / 1e9
	for i, f := range filters {
		rate := float64(bytesPerRun) / timed[i].median(wallOf) / 1e9
		fmt.Printf("  %-20s %6.3f s  %5.2f GB/s  %5.1f %% of copy1m   cpu %6.3f s\n", f.name, timed[i].median(wallOf), rate, 100*rate/copyRate, timed[i].median(run.cpu))
	}
	printBudget(os.Stdout, runtime.NumCPU(), *target, float64(bytesPerRun), timed[0], timed[1], noValuesT, startT)

	fmt.Println("leaks: log lines holding a planted string, before → after masking")
	naiveOut, wardOut := bin("naive.out"), bin("ward.out")
	sh(dir, "sh", "-c", bin("naive")+" -secrets "+secrets+" < "+logPath+" > "+naiveOut)
	sh(dir, "sh", "-c", strings.Join(filters[1].cmd, " ")+" < "+logPath+" > "+wardOut)
	for _, form := range []string{"raw", "base64", "urlenc", "json", "split-head", "split"} {
		pats := bin("pat-" + form)
		sh(dir, "sh", "-c", fmt.Sprintf("awk -F'\\t' -v f=%s '$1 == f {print $2}' %s > %s", form, truth, pats))
		if st, err := os.Stat(pats); err != nil || st.Size() == 0 {
			continue
		}
		fmt.Printf("  %-10s before %6d   naive %6d   ward mask %6d\n", form,
			grepCount(pats, logPath), grepCount(pats, naiveOut), grepCount(pats, wardOut))
	}
}

// writeValues turns a secrets file (one per line) into a values file.
func writeValues(secrets, values string) {
	f, err := os.Open(secrets)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	obj := map[string]string{}
	sc := bufio.NewScanner(f)
	for i := 0; sc.Scan(); i++ {
		if sc.Text() != "" {
			obj[fmt.Sprintf("s%04d", i)] = sc.Text()
		}
	}
	data, err := json.Marshal(obj)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(values, data, 0o600); err != nil {
		log.Fatal(err)
	}
}

func grepCount(pats, file string) int {
	out, _ := exec.Command("grep", "-c", "-F", "-f", pats, file).Output() // exit 1: none
	n, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	return n
}

// sh runs a command in dir and stops the benchmark if it fails.
func sh(dir, name string, args ...string) {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Stderr = dir, os.Stderr
	if err := cmd.Run(); err != nil {
		log.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
}
