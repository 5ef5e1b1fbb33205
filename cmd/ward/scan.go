package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/wardhq/ward/internal/scan"
	"github.com/wardhq/ward/internal/scan/report"
)

type scanOpts struct {
	format      string
	output      string
	rules       []string
	baseline    string
	showAllowed bool
	gitignore   bool
	git         bool
	since       string
	staged      bool
	knownFile   string
	known       bool
	env         string
	maxDepth    int
	maxBytes    int64
	jobs        int
	progress    bool
}

func newScanCmd(g *globals) *cobra.Command {
	o := &scanOpts{}
	cmd := &cobra.Command{
		Use:   "scan [flags] PATH...",
		Short: "Find credentials in files, archives, binaries and logs before they are kept or published",
		Long: `Scan files, directories, archives (tar, tar.gz, zip, gzip, bzip2, container
image tarballs, nested up to --max-depth) and binaries for anything that looks
like a credential, and, with --known --env E (or --known-file), for the
secrets ward issued, in
plain and encoded forms (base64, hex, percent, JSON escapes). "-" reads stdin.

Reports never contain a secret or a part of one: each finding carries a
keyed fingerprint. Without WARD_SCAN_KEY the key is drawn for the run, so
fingerprints differ from run to run; set WARD_SCAN_KEY (a secret of your CI,
the same for every run) to keep them stable.

A baseline accepts findings you have reviewed: write one with --format json
under WARD_SCAN_KEY, then scan with --baseline under the same key. A finding
is accepted when the baseline has its fingerprint (its rule and secret) in
the same file and archive member, wherever its line has moved. A baseline
written without WARD_SCAN_KEY, or scanning with --baseline without it or
with another key, is refused rather than silently matching nothing; findings
of secrets stored in ward (--known) cannot be accepted: rotate them. A
"ward:allow" comment on a line accepts the findings on it (--show-allowed
lists them anyway).

Exit status: 1 when something was found or could not be scanned in full,
0 when the inputs are clean, 2 on a usage error.`,
		Example: `  ward scan dist/ build.log
  ward scan --format sarif --output ward.sarif .
  go build -o app . && ward scan app
  docker save app:latest | ward scan -
  ward scan --git .                          # every line the history of HEAD added
  ward scan --git --since origin/main .      # only what the commits after origin/main added
  ward scan --staged                         # what "git commit" would record now (ward hook runs this)
  ward scan --known --env prod build.log     # also the very secrets of prod this token may read
  # WARD_SCAN_KEY holds a CI secret, the same for every run
  ward scan --format json . > baseline.json  # review it, commit it
  ward scan --baseline baseline.json .       # only what is new`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.since != "" && !o.git {
				return withHint(usagef("--since is for --git"), "ward scan --git --since "+o.since+" .")
			}
			if o.staged && o.git {
				return usagef("give --git or --staged, not both")
			}
			if o.staged && len(args) == 0 {
				args = []string{"."}
			}
			if len(args) == 0 {
				return withHint(usagef("give at least one file, directory or - for stdin"), "ward scan .")
			}
			if !slices.Contains(report.Formats, report.Format(o.format)) {
				return usagef("unknown --format %q: want text, json or sarif", o.format)
			}
			return runScan(cmd.Context(), g, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "text", "report format: text, json or sarif")
	f.StringVarP(&o.output, "output", "o", "", "write the report to this file instead of stdout")
	f.StringArrayVar(&o.rules, "rules", nil, "YAML rules file adding or overriding rules (repeatable)")
	f.StringVar(&o.baseline, "baseline", "", "JSON report of accepted findings to ignore (needs WARD_SCAN_KEY, as when it was written)")
	f.BoolVar(&o.showAllowed, "show-allowed", false, "also report findings accepted by a ward:allow comment")
	f.BoolVar(&o.gitignore, "gitignore", false, "skip files the .gitignore files of scanned directories ignore")
	f.BoolVar(&o.git, "git", false, "scan the lines every commit added in the git repositories given (through the git binary)")
	f.StringVar(&o.since, "since", "", "with --git, scan only the commits after this revision (REV..HEAD)")
	f.BoolVar(&o.staged, "staged", false, "scan the lines staged for the next commit in the git repositories given (default .)")
	f.StringVar(&o.knownFile, "known-file", "", "fingerprint set of known secrets (from the vault) to find")
	f.BoolVar(&o.known, "known", false, "ask the vault for fingerprints of the secrets your token may read in --env, and find those too")
	f.StringVar(&o.env, "env", "", "environment for --known")
	f.IntVar(&o.maxDepth, "max-depth", 8, "archive and compression levels to open")
	f.Int64Var(&o.maxBytes, "max-bytes", 4<<30, "bytes to read from one input after decompression")
	f.IntVar(&o.jobs, "jobs", 0, "files to scan at once (default: one per CPU)")
	f.BoolVar(&o.progress, "progress", true, "show progress on stderr when it is a terminal")
	return cmd
}

func runScan(ctx context.Context, g *globals, o *scanOpts, paths []string) error {
	rs, err := scan.LoadRules(o.rules)
	if err != nil {
		return withHint(usagef("%v", err), "check the rules file against the format at the top of internal/scan/rules.yaml")
	}
	cfg := scan.Config{Rules: rs, MaxDepth: o.maxDepth, MaxBytes: o.maxBytes, Jobs: o.jobs, Gitignore: o.gitignore, Stdin: g.stdin}
	if k := g.getenv("WARD_SCAN_KEY"); k != "" {
		cfg.Key = []byte(k)
	}
	switch {
	case o.known && o.knownFile != "":
		return usagef("give --known --env E or --known-file FILE, not both")
	case o.known:
		km, err := fetchKnown(ctx, g, o.env)
		if err != nil {
			return err
		}
		cfg.Known = km
	case o.env != "":
		return withHint(usagef("--env is only for --known"), "ward scan --known --env "+o.env+" PATH")
	case o.knownFile != "":
		km, err := loadKnown(o.knownFile)
		if err != nil {
			return err
		}
		cfg.Known = km
	}
	var base *scan.Baseline
	if o.baseline != "" {
		if cfg.Key == nil {
			return withHint(usagef("--baseline needs WARD_SCAN_KEY: without it fingerprints change from run to run and no baseline can match"),
				"set WARD_SCAN_KEY to the key the baseline was written with, or write one: WARD_SCAN_KEY=... ward scan --format json PATH > baseline.json")
		}
		if base, err = scan.LoadBaseline(o.baseline); err == nil {
			err = base.Check(cfg.Key)
		}
		if err != nil {
			return withHint(usagef("%v", err), "write a baseline under the key you scan with: WARD_SCAN_KEY=... ward scan --format json PATH > baseline.json")
		}
	}
	stop := startProgress(g.stderr, o.progress, &cfg)
	s, err := scan.New(cfg)
	if err != nil {
		stop()
		return err
	}
	var res *scan.Result
	if o.git || o.staged {
		res, err = scanGitRepos(ctx, s, paths, o)
	} else {
		res, err = s.Scan(ctx, paths)
	}
	stop()
	if err != nil {
		return err
	}
	if base != nil {
		res.Findings = base.Filter(res.Findings)
	}
	out := g.stdout
	if o.output != "" {
		f, err := os.Create(o.output)
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		defer f.Close()
		out = f
	}
	if err := report.Write(out, report.Format(o.format), res, report.Options{ShowAllowed: o.showAllowed, Rules: rs}); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	failed := 0
	for _, sk := range res.Skipped {
		if o.format != "text" || o.output != "" {
			fmt.Fprintf(g.stderr, "ward: %s: not scanned in full: %v\n", sk.Where(), sk.Err)
		}
		if !errors.Is(sk.Err, scan.ErrSymlink) && !errors.Is(sk.Err, scan.ErrNotRegular) {
			failed++
		}
	}
	found := len(report.Visible(res.Findings, false))
	if found > 0 || failed > 0 {
		return &exitError{Code: exitFailure}
	}
	return nil
}

// scanGitRepos scans the history of each repository and merges the results.
// With --since, only the commits after it; with --staged, the index.
func scanGitRepos(ctx context.Context, s *scan.Scanner, repos []string, o *scanOpts) (*scan.Result, error) {
	all := &scan.Result{}
	for _, r := range repos {
		var res *scan.Result
		var err error
		switch {
		case o.staged:
			res, err = s.ScanStaged(ctx, r)
		case o.since != "":
			res, err = s.ScanGitSince(ctx, r, o.since)
		default:
			res, err = s.ScanGit(ctx, r)
		}
		if errors.Is(err, scan.ErrBadRevision) {
			return nil, withHint(usagef("--since: %v", err), "give one commit, branch or tag: ward scan --git --since origin/main .")
		}
		if err != nil {
			return nil, withHint(err, "--git and --staged take the directory of a git repository; --since a revision it has")
		}
		all.Findings = append(all.Findings, res.Findings...)
		all.Skipped = append(all.Skipped, res.Skipped...)
		all.Files, all.Bytes = res.Files, res.Bytes
	}
	return all, nil
}

// startProgress shows bytes scanned on stderr, when it is a terminal, once
// the scan has run for a second. The returned func stops it.
func startProgress(stderr io.Writer, enabled bool, cfg *scan.Config) func() {
	f, ok := stderr.(*os.File)
	if !enabled || !ok || !term.IsTerminal(int(f.Fd())) {
		return func() {}
	}
	var n atomic.Int64
	cfg.Progress = func(b int64) { n.Add(b) }
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		start := time.Now()
		shown := false
		for {
			select {
			case <-done:
				if shown {
					fmt.Fprint(f, "\r"+strings.Repeat(" ", 60)+"\r")
				}
				return
			case now := <-t.C:
				if now.Sub(start) < time.Second {
					continue
				}
				shown = true
				mb := float64(n.Load()) / 1e6
				fmt.Fprintf(f, "\rward: scanned %.1f MB (%.1f MB/s)   ", mb, mb/now.Sub(start).Seconds())
			}
		}
	}()
	return func() { close(done); <-finished }
}
