// Package e2e drives the real ward binary over real sockets: it builds
// ./cmd/ward once, starts `ward dev` servers in temporary directories and
// talks to them with ward's CLI and with HashiCorp Vault's own Go client.
package e2e

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
	"syscall"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/pgtest"
)

// wardBin is the binary under test, built by TestMain.
var wardBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ward-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	wardBin = filepath.Join(dir, "ward")
	build := exec.Command("go", "build", "-o", wardBin, "../cmd/ward")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building ward:", err)
		os.Exit(1)
	}
	code := pgtest.Run(m) // stops the PostgreSQL of internal/pgtest, if a test started one
	os.RemoveAll(dir)
	os.Exit(code)
}

// devServer is a running `ward dev`.
type devServer struct {
	t       *testing.T
	Addr    string // http://127.0.0.1:PORT
	Data    string // its data directory
	Home    string // WARD_CONFIG_DIR, where the root token file is
	Token   string // the root token
	cmd     *exec.Cmd
	mu      sync.Mutex
	stderr  bytes.Buffer // everything the server logged
	done    chan struct{}
	waitErr error
}

// readyLine is the last line ward dev or ward server prints before serving.
var readyLine = regexp.MustCompile(`export WARD_ADDR=(http://127\.0\.0\.1:\d+)|ward: server on (https?://127\.0\.0\.1:\d+)`)

// startDev starts `ward dev` on a free loopback port with data in dataDir
// ("" for a new temporary directory) and waits until it serves.
func startDev(t *testing.T, dataDir string, extraArgs ...string) *devServer {
	t.Helper()
	return startWard(t, "dev", dataDir, extraArgs...)
}

// startWard starts `ward dev` or `ward server` and waits until it serves.
func startWard(t *testing.T, command, dataDir string, extraArgs ...string) *devServer {
	t.Helper()
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	home := t.TempDir()
	s := &devServer{t: t, Data: dataDir, Home: home, done: make(chan struct{})}
	args := append([]string{command, "--listen", "127.0.0.1:0", "--data", dataDir, "--log-level", "debug"}, extraArgs...)
	s.cmd = exec.Command(wardBin, args...)
	s.cmd.Env = append(os.Environ(), "WARD_CONFIG_DIR="+home, "WARD_TOKEN=", "WARD_ADDR=")
	pr, pw := io.Pipe()
	s.cmd.Stderr = pw
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.stderr.WriteString(line + "\n")
			s.mu.Unlock()
			if m := readyLine.FindStringSubmatch(line); m != nil && !sent {
				addrc <- m[1] + m[2]
				sent = true
			}
		}
		io.Copy(io.Discard, pr)
	}()
	go func() {
		s.waitErr = s.cmd.Wait()
		pw.Close()
		close(s.done)
	}()
	select {
	case s.Addr = <-addrc:
	case <-s.done:
		t.Fatalf("ward %s exited before serving: %v\n%s", command, s.waitErr, s.Logs())
	case <-time.After(60 * time.Second):
		s.Kill()
		t.Fatalf("ward dev did not start in 60s\n%s", s.Logs())
	}
	if b, err := os.ReadFile(filepath.Join(home, "token")); err == nil {
		s.Token = strings.TrimSpace(string(b))
	}
	t.Cleanup(s.Stop)
	return s
}

// Logs returns what the server wrote to stderr so far.
func (s *devServer) Logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.String()
}

// Stop ends the server with SIGTERM and waits for it.
func (s *devServer) Stop() {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// Kill ends the server with SIGKILL, as a crash would.
func (s *devServer) Kill() {
	s.cmd.Process.Kill()
	<-s.done
}

// ward runs the CLI against s with the given token ("" for none) and stdin.
func (s *devServer) ward(token, stdin string, args ...string) (stdout, stderr string, code int) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, wardBin, args...)
	cmd.Env = append(os.Environ(), "WARD_ADDR="+s.Addr, "WARD_TOKEN="+token, "WARD_CONFIG_DIR="+s.Home)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code = 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		s.t.Fatalf("running ward %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// mustWard runs the CLI as root and fails the test on a non-zero exit.
func (s *devServer) mustWard(stdin string, args ...string) string {
	s.t.Helper()
	out, errOut, code := s.ward(s.Token, stdin, args...)
	if code != 0 {
		s.t.Fatalf("ward %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// decodeJSON unmarshals a command's JSON output or fails the test.
func decodeJSON(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
}
