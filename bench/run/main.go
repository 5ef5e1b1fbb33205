// Command run measures what ward run adds to starting a command: it builds
// ward as a release is built (no cgo, so a static binary; -trimpath; no
// symbol table), starts `ward dev` in a temporary directory, writes 50 secrets and a
// manifest that injects each (40 env vars, 10 files), then times `true`
// alone and `ward run --env staging -- true` alternately and prints the
// medians and their difference, in wall time and in CPU time (user and
// system of the ward process and its child, steadier on a shared machine).
// -before names a second ward binary (an older build) timed in the same
// rounds, against the same server: build it the same way (below).
// -isolation lists the --token-isolation
// modes to time, each a command of its own in every round: the token comes
// from the config directory's token file, so auto hides it from the child
// (ward's isolating init, in new namespaces) and off does not. The secret
// files go where ward puts them on a CI runner, on a tmpfs: under a new
// directory on /dev/shm, or under -runtime-dir (XDG_RUNTIME_DIR).
//
//	go run ./bench/run                 # 50 secrets, 200 runs of each
//	go run ./bench/run -secrets 10 -runs 50
//	go run ./bench/run -before /tmp/ward-main -isolation auto,off
//	go run ./bench/run -runtime-dir /tmp   # the files on /tmp's file system
//
// An older build for -before, from a checkout of it:
//
//	CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /tmp/ward-main ./cmd/ward
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
	secrets := flag.Int("secrets", 50, "secrets the manifest injects")
	runs := flag.Int("runs", 200, "runs of each command")
	before := flag.String("before", "", "another ward binary to time in the same rounds (optional)")
	isolation := flag.String("isolation", "auto", "comma-separated --token-isolation modes to time, each in every round (auto, off, require)")
	runtimeDir := flag.String("runtime-dir", "", "XDG_RUNTIME_DIR of ward run, where it writes the secret files (default: a new directory on /dev/shm)")
	flag.Parse()
	log.SetFlags(0)
	dir, err := os.MkdirTemp("", "ward-bench-run-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ward := filepath.Join(dir, "ward")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", ward, "./cmd/ward")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		log.Fatalf("building ward: %v\n%s(run from the repository root)", err, out)
	}
	home := filepath.Join(dir, "home")
	os.Mkdir(home, 0o700)
	srv, err := devserver.Start(ward, filepath.Join(dir, "data"), home)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Stop()
	if *runtimeDir == "" {
		if *runtimeDir, err = os.MkdirTemp("/dev/shm", "ward-bench-run-"); err != nil {
			log.Fatalf("%v\nhint: name a directory on a tmpfs with -runtime-dir", err)
		}
		defer os.RemoveAll(*runtimeDir)
	}
	env := append(os.Environ(), "WARD_ADDR="+srv.Addr, "WARD_CONFIG_DIR="+home, "WARD_TOKEN=", "XDG_RUNTIME_DIR="+*runtimeDir)

	var m strings.Builder
	m.WriteString("version: 1\ncomponents:\n  job:\n    language: go\n    env:\n")
	var files strings.Builder
	for i := range *secrets {
		put := exec.Command(ward, "kv", "put", "--env", "staging", fmt.Sprintf("svc/s%02d", i))
		put.Env = env
		put.Stdin = strings.NewReader(fmt.Sprintf(`{"password":"bench-secret-value-%02d-0123456789abcdef"}`, i))
		if out, err := put.CombinedOutput(); err != nil {
			log.Fatalf("ward kv put: %v\n%s", err, out)
		}
		if i%5 == 4 {
			fmt.Fprintf(&files, "      f%02d.txt: {from: svc/s%02d, field: password}\n", i, i)
		} else {
			fmt.Fprintf(&m, "      S%02d: {from: svc/s%02d, field: password}\n", i, i)
		}
	}
	if files.Len() > 0 {
		m.WriteString("    files:\n" + files.String())
	}
	manifest := filepath.Join(dir, "ward.yaml")
	if err := os.WriteFile(manifest, []byte(m.String()), 0o600); err != nil {
		log.Fatal(err)
	}
	truePath, err := exec.LookPath("true")
	if err != nil {
		log.Fatal(err)
	}
	alone := exec.Command(truePath)
	var cmds []*exec.Cmd
	var names []string
	for _, mode := range strings.Split(*isolation, ",") {
		cmds = append(cmds, exec.Command(ward, "run", "--env", "staging", "-f", manifest, "--token-isolation", mode, "--", truePath))
		names = append(names, "ward run, "+mode)
		if *before != "" {
			cmds = append(cmds, exec.Command(*before, "run", "--env", "staging", "-f", manifest, "--token-isolation", mode, "--", truePath))
			names = append(names, "before, "+mode)
		}
	}
	var a timings
	w := make([]timings, len(cmds))
	for range *runs {
		a.add(timeRun(alone, env))
		for i, c := range cmds {
			w[i].add(timeRun(c, env))
		}
	}
	fmt.Printf("secrets %d, runs %d each, interleaved (medians), secret files under %s\n", *secrets, *runs, *runtimeDir)
	fmt.Printf("%-22s wall %-10v cpu %v\n", "true alone:", a.wall(), a.cpu())
	for i, n := range names {
		fmt.Printf("%-22s wall %-10v cpu %-10v added: wall %v, cpu %v\n", n+":", w[i].wall(), w[i].cpu(),
			(w[i].wall() - a.wall()).Round(10*time.Microsecond), (w[i].cpu() - a.cpu()).Round(10*time.Microsecond))
	}
}

// timings collects the wall and CPU times of the runs of one command.
type timings struct{ walls, cpus []time.Duration }

func (t *timings) add(wall, cpu time.Duration) {
	t.walls, t.cpus = append(t.walls, wall), append(t.cpus, cpu)
}
func (t *timings) wall() time.Duration { return median(t.walls).Round(10 * time.Microsecond) }
func (t *timings) cpu() time.Duration  { return median(t.cpus).Round(10 * time.Microsecond) }

// timeRun runs a fresh copy of c and returns its wall time and the CPU
// time of the process and the children it waited for.
func timeRun(c *exec.Cmd, env []string) (wall, cpu time.Duration) {
	cmd := exec.Command(c.Path, c.Args[1:]...)
	cmd.Env = env
	var errb strings.Builder
	cmd.Stderr = &errb
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		log.Fatalf("%s: %v\n%s", strings.Join(c.Args, " "), err, errb.String())
	}
	wall = time.Since(t0)
	return wall, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

func median(d []time.Duration) time.Duration {
	d = slices.Clone(d)
	slices.Sort(d)
	return d[len(d)/2]
}
