// Package devserver builds ward and runs `ward dev` for ward's benchmark
// programs: a real server in its own process, with its data, audit log and
// root token in a directory the caller owns.
package devserver

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Build compiles the package at pkg (a path relative to dir, e.g.
// "./cmd/ward") into out. dir is the module to build in; "" is the
// current directory.
func Build(dir, pkg, out string) error {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building %s: %v\n%s", pkg, err, b)
	}
	return nil
}

var ready = regexp.MustCompile(`export WARD_ADDR=(http://127\.0\.0\.1:\d+)`)

// Server is a running ward dev.
type Server struct {
	Addr string // http://127.0.0.1:PORT
	Home string // its WARD_CONFIG_DIR: the root token is in Home/token
	cmd  *exec.Cmd
	pw   *io.PipeWriter
}

// Start starts ward (a built binary) as `ward dev` on a free loopback
// port with its data in data and its root token written under home, and
// waits until it answers. args are added to its command line.
func Start(ward, data, home string, args ...string) (*Server, error) {
	var err error
	if ward, err = filepath.Abs(ward); err != nil {
		return nil, err
	}
	if data, err = filepath.Abs(data); err != nil {
		return nil, err
	}
	if home, err = filepath.Abs(home); err != nil {
		return nil, err
	}
	cmd := exec.Command(ward, append([]string{"dev", "--listen", "127.0.0.1:0", "--data", data}, args...)...)
	cmd.Env = append(os.Environ(), "WARD_CONFIG_DIR="+home, "WARD_TOKEN=", "WARD_ADDR=")
	// Started in home, not in the repository, so a build that seeds a
	// new store from ./examples/ward leaves this one empty, as benchmarks
	// expect, and an older build without --seed starts alike.
	cmd.Dir = home
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := ready.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case a := <-addr:
		return &Server{Addr: a, Home: home, cmd: cmd, pw: pw}, nil
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		return nil, fmt.Errorf("ward dev did not start in 60s")
	}
}

// Token is the root token the server wrote.
func (s *Server) Token() (string, error) {
	b, err := os.ReadFile(filepath.Join(s.Home, "token"))
	return strings.TrimSpace(string(b)), err
}

// Stop interrupts the server and waits for it to exit.
func (s *Server) Stop() {
	s.cmd.Process.Signal(os.Interrupt)
	s.cmd.Wait()
	s.pw.Close()
}

// Pid is the server's process id, for a profiler.
func (s *Server) Pid() int { return s.cmd.Process.Pid }
