// Package pgstore drives the real ward binary on PostgreSQL storage, and
// through migrations and snapshots between stores, against the private
// PostgreSQL of internal/pgtest.
package pgstore

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/pgtest"
)

var wardBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ward-e2e-pgstore-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	wardBin = filepath.Join(dir, "ward")
	build := exec.Command("go", "build", "-o", wardBin, "../../cmd/ward")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building ward:", err)
		os.Exit(1)
	}
	code := pgtest.Run(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// ward is a running `ward server` or `ward dev`.
type ward struct {
	t    *testing.T
	Addr string
	Home string // WARD_CONFIG_DIR
	cmd  *exec.Cmd
	mu   sync.Mutex
	logs bytes.Buffer
	done chan struct{}
}

var ready = regexp.MustCompile(`(?:export WARD_ADDR=|ward: server on )(http://127\.0\.0\.1:\d+)`)

// start runs `ward ARGS...` with env added to the environment and waits
// until it serves.
func start(t *testing.T, env []string, args ...string) *ward {
	t.Helper()
	w := &ward{t: t, Home: t.TempDir(), done: make(chan struct{})}
	w.cmd = exec.Command(wardBin, append(args, "--listen", "127.0.0.1:0")...)
	w.cmd.Env = append(append(os.Environ(), "WARD_CONFIG_DIR="+w.Home, "WARD_TOKEN=", "WARD_ADDR=", "WARD_STORAGE_DSN="), env...)
	pr, pw := io.Pipe()
	w.cmd.Stderr = pw
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			w.mu.Lock()
			w.logs.WriteString(sc.Text() + "\n")
			w.mu.Unlock()
			if m := ready.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, pr)
	}()
	go func() {
		w.cmd.Wait()
		pw.Close()
		close(w.done)
	}()
	select {
	case w.Addr = <-addr:
	case <-w.done:
		t.Fatalf("ward %s exited before serving:\n%s", strings.Join(args, " "), w.Logs())
	case <-time.After(60 * time.Second):
		w.cmd.Process.Kill()
		t.Fatalf("ward %s did not serve within 60s:\n%s", strings.Join(args, " "), w.Logs())
	}
	t.Cleanup(w.Stop)
	return w
}

func (w *ward) Logs() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.logs.String()
}

// Stop ends the server with SIGTERM and waits for it.
func (w *ward) Stop() {
	select {
	case <-w.done:
		return
	default:
	}
	w.cmd.Process.Signal(os.Interrupt)
	select {
	case <-w.done:
	case <-time.After(20 * time.Second):
		w.cmd.Process.Kill()
		<-w.done
	}
}

// run runs the ward CLI with env added and returns its outputs and exit code.
func run(t *testing.T, env []string, stdin string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, wardBin, args...)
	cmd.Env = append(append(os.Environ(), "WARD_STORAGE_DSN=", "WARD_TOKEN=", "WARD_ADDR="), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("ward %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// must runs the CLI and fails the test unless it exits 0.
func must(t *testing.T, env []string, stdin string, args ...string) string {
	t.Helper()
	out, errOut, code := run(t, env, stdin, args...)
	if code != 0 {
		t.Fatalf("ward %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// client is the environment of CLI calls to w with token.
func (w *ward) client(token string) []string {
	return []string{"WARD_ADDR=" + w.Addr, "WARD_TOKEN=" + token, "WARD_CONFIG_DIR=" + w.Home}
}

// initUnseal initialises a new server with one unseal key, unseals it and
// returns the key and the root token.
func (w *ward) initUnseal() (key, root string) {
	w.t.Helper()
	var res struct {
		Keys      []string `json:"keys"`
		RootToken string   `json:"root_token"`
	}
	out := must(w.t, w.client(""), "", "operator", "init", "--shares", "1", "--threshold", "1", "--format", "json")
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Keys) != 1 {
		w.t.Fatalf("init: %v %s", err, out)
	}
	w.unseal(res.Keys[0])
	return res.Keys[0], res.RootToken
}

func (w *ward) unseal(key string) {
	w.t.Helper()
	if out := must(w.t, w.client(""), key+"\n", "operator", "unseal"); !strings.Contains(out, "unsealed") {
		w.t.Fatalf("unseal: %s", out)
	}
}
