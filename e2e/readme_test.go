package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// notRun is the comment that, on the line before a ```sh fence, keeps a
// README block out of TestREADME, with the reason after the colon.
const notRun = "<!-- not run by the README test:"

// readmeBlock is one ```sh block of the README.
type readmeBlock struct {
	line   int    // of the opening fence
	body   string // the commands
	reason string // why it is not run; "" when it is
}

func readmeBlocks(t *testing.T, path string) []readmeBlock {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks []readmeBlock
	var cur *readmeBlock
	prev := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil && strings.TrimSpace(line) == "```sh":
			cur = &readmeBlock{line: n}
			if prev = strings.TrimSpace(prev); strings.HasPrefix(prev, notRun) {
				cur.reason = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(prev, notRun), "-->"))
				if cur.reason == "" {
					t.Errorf("README.md:%d: %s needs a reason", n-1, notRun)
				}
			}
		case cur != nil && strings.TrimSpace(line) == "```":
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.body += line + "\n"
		}
		prev = line
	}
	if cur != nil {
		t.Fatalf("README.md:%d: a ```sh block is never closed", cur.line)
	}
	return blocks
}

// TestREADME runs the README's shell blocks in order, as written, as a new
// user would: in a copy of the repository's files, with a `ward dev` on the
// default address that the quick start's first block starts, a home of its
// own, and the binary the quick start builds on PATH. A block that cannot
// run on one machine (a TLS certificate, a CI platform, a PostgreSQL server,
// a prompt at a terminal) says so in a comment before its fence, with the
// reason, and the test that covers it instead.
func TestREADME(t *testing.T) {
	if testing.Short() {
		t.Skip("builds ward and runs the README; skipped with -short")
	}
	blocks := readmeBlocks(t, "../README.md")
	var run []readmeBlock
	for _, b := range blocks {
		if b.reason == "" {
			run = append(run, b)
		}
	}
	if len(run) < 3 {
		t.Fatalf("only %d of the README's %d shell blocks run", len(run), len(blocks))
	}

	// A fresh copy of what the repository holds: the files git tracks.
	clone := t.TempDir()
	files, err := exec.Command("git", "-C", "..", "ls-files", "-z").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	for _, name := range strings.Split(strings.TrimRight(string(files), "\x00"), "\x00") {
		src := filepath.Join("..", name)
		data, err := os.ReadFile(src)
		if err != nil {
			continue // deleted in the work tree
		}
		fi, _ := os.Stat(src)
		dst := filepath.Join(clone, name)
		os.MkdirAll(filepath.Dir(dst), 0o755)
		os.WriteFile(dst, data, fi.Mode().Perm())
	}

	// The quick start's `go run ./cmd/ward dev`, on its default address.
	ln, err := net.Listen("tcp", "127.0.0.1:8200")
	if err != nil {
		t.Skipf("the README's address 127.0.0.1:8200 is taken (%v): stop what listens there", err)
	}
	ln.Close()
	home, tmp := t.TempDir(), t.TempDir()
	env := ciEnv("HOME="+home, "TMPDIR="+tmp, "PATH="+clone+":"+os.Getenv("PATH"), "NO_COLOR=1")
	// A new home, but this machine's Go caches: the reader's `go build`
	// should not download and compile everything again.
	goenv, err := exec.Command("go", "env", "GOPATH", "GOMODCACHE", "GOCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"GOPATH", "GOMODCACHE", "GOCACHE"} {
		env = append(env, name+"="+strings.Split(string(goenv), "\n")[i])
	}
	dev := exec.Command(wardBin, "dev")
	dev.Dir, dev.Env = clone, env // from the repository, as the reader runs it: seeded with examples/ward
	devOut, _ := dev.StderrPipe()
	if err := dev.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dev.Process.Signal(os.Interrupt); dev.Wait() })
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(devOut)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "export WARD_ADDR=") {
				close(ready)
				break
			}
		}
		for sc.Scan() {
		}
	}()
	select {
	case <-ready:
	case <-time.After(60 * time.Second):
		t.Fatal("ward dev did not start")
	}

	// One shell for all the blocks, as a reader types them one after the
	// other; a marker before each says which one failed.
	var script strings.Builder
	script.WriteString("set -euo pipefail\n")
	for _, b := range run {
		fmt.Fprintf(&script, "echo '=== README.md:%d'\n%s\n", b.line, b.body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	sh := exec.CommandContext(ctx, "bash", "-c", script.String())
	sh.Dir, sh.Env = clone, env
	sh.WaitDelay = 10 * time.Second // a child left holding the output does not hang the test
	out, err := sh.CombinedOutput()
	if err != nil {
		last := "the start"
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "=== README.md:") {
				last = strings.TrimPrefix(line, "=== ")
			}
		}
		t.Fatalf("the README block at %s failed: %v\n%s", last, err, out)
	}
	t.Logf("ran %d of the README's %d shell blocks:\n%s", len(run), len(blocks), out)
}
