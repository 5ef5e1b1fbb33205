// Command hook measures what ward's pre-commit hook adds to a commit: it
// builds ward, makes a git repository holding the parent of a typical
// commit of this repository (2c459ef: 2 files, +227 lines), installs the
// hook with `ward hook install`, and then replays that commit again and
// again, alternating with the hook and without it (core.hooksPath pointing
// at an empty directory), timing each `git commit`. It also times `ward
// version` and `ward scan --staged` on the same staged change, interleaved.
// It prints the medians and the ratio of commit times.
//
//	go run ./bench/hook              # 21 rounds
//	go run ./bench/hook -rounds 11 -commit 2c459ef
//	go run ./bench/hook -ward /tmp/ward-variant   # measure another build
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/wardhq/ward/bench/internal/devserver"
)

func main() {
	rounds := flag.Int("rounds", 21, "commits with the hook, and as many without")
	commit := flag.String("commit", "2c459ef", "the commit of this repository to replay")
	prebuilt := flag.String("ward", "", "a ward binary to measure instead of building ./cmd/ward")
	flag.Parse()
	log.SetFlags(0)
	dir, err := os.MkdirTemp("", "ward-bench-hook-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "bin")
	ward := filepath.Join(bin, "ward")
	if *prebuilt != "" {
		b, err := os.ReadFile(*prebuilt)
		if err != nil {
			log.Fatal(err)
		}
		if err := os.MkdirAll(bin, 0o755); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(ward, b, 0o755); err != nil {
			log.Fatal(err)
		}
	} else if err := devserver.Build("", "./cmd/ward", ward); err != nil {
		log.Fatalf("%v(run from the repository root)", err)
	}
	files := strings.Fields(run("", nil, "git", "diff-tree", "--no-commit-id", "--name-only", "-r", *commit))
	repo := filepath.Join(dir, "repo")
	env := append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"GIT_AUTHOR_NAME=bench", "GIT_AUTHOR_EMAIL=bench@example.invalid", "GIT_COMMITTER_NAME=bench", "GIT_COMMITTER_EMAIL=bench@example.invalid")
	run("", env, "git", "init", "-q", repo)
	// write puts the files as they are at rev; one that rev lacks is removed.
	write := func(rev string) {
		for _, f := range files {
			p := filepath.Join(repo, f)
			b, err := exec.Command("git", "show", rev+":"+f).Output()
			if err != nil {
				os.Remove(p)
				continue
			}
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				log.Fatal(err)
			}
			if err := os.WriteFile(p, b, 0o644); err != nil {
				log.Fatal(err)
			}
		}
	}
	write(*commit + "^")
	run(repo, env, "git", "add", "-A")
	run(repo, env, "git", "commit", "-q", "-m", "base")
	run(repo, env, ward, "hook", "install")
	hooks := filepath.Join(repo, ".git", "hooks")
	none := filepath.Join(dir, "nohooks")
	os.Mkdir(none, 0o755)

	timed := map[string][]time.Duration{}
	measure := func(name string, f func()) {
		start := time.Now()
		f()
		timed[name] = append(timed[name], time.Since(start))
	}
	for range *rounds {
		for _, h := range []struct{ name, path string }{{"commit without the hook", none}, {"commit with the hook", hooks}} {
			write(*commit)
			run(repo, env, "git", "add", "-A")
			if h.name == "commit with the hook" {
				measure("ward version", func() { run(repo, env, ward, "version") })
				measure("ward scan --staged", func() { run(repo, env, ward, "scan", "--staged", "--progress=false", ".") })
			}
			run(repo, env, "git", "config", "core.hooksPath", h.path)
			measure(h.name, func() { run(repo, env, "git", "commit", "-q", "-m", "replay") })
			run(repo, env, "git", "reset", "-q", "--hard", "HEAD~1")
		}
	}
	med := map[string]time.Duration{}
	for _, name := range []string{"ward version", "ward scan --staged", "commit without the hook", "commit with the hook"} {
		d := slices.Clone(timed[name])
		slices.Sort(d)
		med[name] = d[len(d)/2]
		fmt.Printf("%-26s median %6.1f ms  (min %.1f, max %.1f, n=%d)\n", name, ms(med[name]), ms(d[0]), ms(d[len(d)-1]), len(d))
	}
	with, without := med["commit with the hook"], med["commit without the hook"]
	fmt.Printf("the hook adds %.1f ms to a commit: %.2fx the commit without it\n", ms(with-without), float64(with)/float64(without))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// run runs a command and returns its stdout; it stops the benchmark when
// the command fails.
func run(dir string, env []string, name string, args ...string) string {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		log.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, msg)
	}
	return string(out)
}
