package e2e

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Values of ward run's tests; any of them in an output is a leak.
const (
	runPW   = "pw-7e3f9a1c2b4d5e6f"
	runCert = "cert-body-0123456789abcdef"
)

const runManifest = `version: 1
components:
  api:
    language: go
    env:
      DB_PASSWORD: {from: payments/db, field: password}
      SENTRY_DSN:  {from: shared/sentry, field: dsn, optional: true}
    files:
      tls/client.pem: {from: payments/tls, field: cert}
`

// runSetup starts ward dev with ward run's secrets and returns the server,
// the manifest's path and a directory to use as XDG_RUNTIME_DIR.
func runSetup(t *testing.T) (s *devServer, manifest, xdg string) {
	t.Helper()
	s = startDev(t, "")
	s.mustWard(`{"password":"`+runPW+`"}`, "kv", "put", "--env", "staging", "payments/db")
	s.mustWard(`{"cert":"`+runCert+`"}`, "kv", "put", "--env", "staging", "payments/tls")
	manifest = filepath.Join(t.TempDir(), "ward.yaml")
	if err := os.WriteFile(manifest, []byte(runManifest), 0o600); err != nil {
		t.Fatal(err)
	}
	return s, manifest, t.TempDir()
}

// lockedBuf collects a process's output while it runs.
type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// runningWard is a ward run started in the background.
type runningWard struct {
	cmd         *exec.Cmd
	out, errOut lockedBuf
	done        chan struct{}
	code        int
}

// startRun starts `[wrapper...] ward run --env staging -f manifest -- child...`
// with XDG_RUNTIME_DIR=xdg and the extra environment.
func startRun(t *testing.T, s *devServer, manifest, xdg string, extraEnv, wrapper []string, child ...string) *runningWard {
	t.Helper()
	return startRunFlags(t, s, manifest, xdg, extraEnv, wrapper, nil, child...)
}

// startRunFlags is startRun with more flags for ward run.
func startRunFlags(t *testing.T, s *devServer, manifest, xdg string, extraEnv, wrapper, flags []string, child ...string) *runningWard {
	t.Helper()
	args := append(append(append(append(wrapper, wardBin, "run", "--env", "staging", "-f", manifest), flags...), "--"), child...)
	r := &runningWard{cmd: exec.Command(args[0], args[1:]...), done: make(chan struct{})}
	r.cmd.Env = append(os.Environ(), append([]string{"WARD_ADDR=" + s.Addr, "WARD_TOKEN=" + s.Token, "WARD_CONFIG_DIR=" + s.Home, "XDG_RUNTIME_DIR=" + xdg}, extraEnv...)...)
	r.cmd.Stdout, r.cmd.Stderr = &r.out, &r.errOut
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		r.cmd.Wait()
		r.code = r.cmd.ProcessState.ExitCode()
		if st := r.cmd.ProcessState.Sys().(syscall.WaitStatus); st.Signaled() {
			r.code = 128 + int(st.Signal())
		}
		close(r.done)
	}()
	t.Cleanup(func() { r.cmd.Process.Kill(); <-r.done })
	return r
}

// wait waits for ward to exit and returns its exit code.
func (r *runningWard) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(60 * time.Second):
		t.Fatalf("ward run did not exit\nstdout: %s\nstderr: %s", r.out.String(), r.errOut.String())
	}
	r.assertNoValue(t)
	return r.code
}

func (r *runningWard) assertNoValue(t *testing.T) {
	t.Helper()
	all := r.out.String() + r.errOut.String()
	for _, v := range []string{runPW, runCert, base64.StdEncoding.EncodeToString([]byte(runPW))} {
		if strings.Contains(all, v) {
			t.Errorf("a value reached ward run's output:\nstdout: %s\nstderr: %s", r.out.String(), r.errOut.String())
		}
	}
}

// waitFile waits until path holds a line and returns its content.
func waitFile(t *testing.T, path string) string {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if b, err := os.ReadFile(path); err == nil && bytes.HasSuffix(b, []byte("\n")) {
			return strings.TrimSpace(string(b))
		}
	}
	t.Fatalf("%s was never written", path)
	return ""
}

// noValueIn fails when /proc/PID/cmdline holds a value.
func noValueIn(t *testing.T, pid int) {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || len(b) == 0 {
		t.Fatalf("reading the cmdline of %d: %v", pid, err)
	}
	if bytes.Contains(b, []byte(runPW)) || bytes.Contains(b, []byte(runCert)) {
		t.Errorf("a value is in /proc/%d/cmdline", pid)
	}
}

func TestRunMasksInjectsAndExits(t *testing.T) {
	s, manifest, xdg := runSetup(t)
	script := `echo "plain $DB_PASSWORD"
printf %s "$DB_PASSWORD" | base64
i=1; while [ $i -le ${#DB_PASSWORD} ]; do printf %s "$DB_PASSWORD" | cut -c$i | tr -d '\n'; i=$((i+1)); done; echo
cat "$WARD_SECRETS_DIR/tls/client.pem"; echo
echo "missing=$WARD_MISSING"
env | grep -E '^(WARD_TOKEN|WARD_ADDR|WARD_CONFIG_DIR)=' || echo "no ward credentials"
echo "stderr $DB_PASSWORD" >&2
tr '\0' ' ' < /proc/$$/cmdline; echo
tr '\0' ' ' < /proc/$PPID/cmdline; echo
exit 7`
	r := startRun(t, s, manifest, xdg, nil, nil, "sh", "-c", script)
	if code := r.wait(t); code != 7 {
		t.Fatalf("exit %d, want the child's 7\nstderr: %s", code, r.errOut.String())
	}
	out := r.out.String()
	for _, want := range []string{
		"plain [masked:payments/db.password]\n[masked:payments/db.password]\n[masked:payments/db.password]\n",
		"[masked:payments/tls.cert]\n",
		"missing=SENTRY_DSN\n",
		"no ward credentials\n",
		"sh -c echo", // the child's own cmdline, read by itself
		wardBin + " run --env staging -f " + manifest + " -- sh -c", // ward's
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, s.Token) {
		t.Error("the child saw ward's token")
	}
	if !strings.Contains(r.errOut.String(), "stderr [masked:payments/db.password]\n") {
		t.Errorf("stderr: %s", r.errOut.String())
	}
	if left, _ := os.ReadDir(xdg); len(left) != 0 {
		t.Errorf("secrets directory left after a normal exit: %v", left)
	}

	r = startRun(t, s, manifest, xdg, nil, nil, "sh", "-c", "kill -TERM $$")
	if code := r.wait(t); code != 143 {
		t.Errorf("a child ended by SIGTERM: exit %d, want 143", code)
	}
	if left, _ := os.ReadDir(xdg); len(left) != 0 {
		t.Errorf("secrets directory left after the child's crash: %v", left)
	}
}

// sleeper is a child that records its PID and secrets directory, says when
// it gets SIGTERM and exits 3 then.
const sleeper = `trap 'echo got TERM > "$STATE.term"; exit 3' TERM
echo "$$ $WARD_SECRETS_DIR" > "$STATE"
while :; do sleep 0.05; done`

// startSleeper starts ward run with the sleeper and returns it with the
// child's PID and secrets directory once the child runs.
func startSleeper(t *testing.T, s *devServer, manifest, xdg string, extraEnv, wrapper []string) (r *runningWard, child int, dir string) {
	t.Helper()
	state := filepath.Join(t.TempDir(), "state")
	r = startRun(t, s, manifest, xdg, append(extraEnv, "STATE="+state), wrapper, "sh", "-c", sleeper)
	pid, dir, _ := strings.Cut(waitFile(t, state), " ")
	child, _ = strconv.Atoi(pid)
	t.Cleanup(func() { syscall.Kill(-child, syscall.SIGKILL) })
	if _, err := os.Stat(filepath.Join(dir, "tls/client.pem")); err != nil {
		t.Fatalf("the secret file is not there while the child runs: %v", err)
	}
	noValueIn(t, r.cmd.Process.Pid)
	noValueIn(t, child)
	return r, child, dir
}

func TestRunSIGTERMReachesChildAndCleansUp(t *testing.T) {
	s, manifest, xdg := runSetup(t)
	r, _, dir := startSleeper(t, s, manifest, xdg, nil, nil)
	r.cmd.Process.Signal(syscall.SIGTERM)
	if code := r.wait(t); code != 3 {
		t.Errorf("exit %d, want the child's 3\nstderr: %s", code, r.errOut.String())
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("secrets directory %s after SIGTERM: %v", dir, err)
	}
}

func TestRunKill9ThenNextRunRemovesStaleDir(t *testing.T) {
	s, manifest, xdg := runSetup(t)
	r, child, dir := startSleeper(t, s, manifest, xdg, nil, nil)
	r.cmd.Process.Kill()
	<-r.done
	syscall.Kill(-child, syscall.SIGKILL)
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("a ward killed with -9 cannot clean up, yet %s is gone: %v", dir, err)
	}
	next := startRun(t, s, manifest, xdg, nil, nil, "true")
	if code := next.wait(t); code != 0 {
		t.Fatalf("next run: exit %d\n%s", code, next.errOut.String())
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("stale %s not removed by the next run: %v", dir, err)
	}
	if !strings.Contains(next.errOut.String(), "ward: removed "+dir+", left by a ward run that was killed") {
		t.Errorf("stderr: %s", next.errOut.String())
	}
}

// ward under `ulimit -c unlimited` and GOTRACEBACK=crash (a Go program then
// dumps core on SIGABRT and SIGSEGV) has a core limit of 0 and leaves no
// core file. (Some kernels, gVisor's among them, write no core for any
// process: the core limit is what fails here when ward does not set it.)
func TestRunLeavesNoCore(t *testing.T) {
	s, manifest, xdg := runSetup(t)
	for _, sig := range []syscall.Signal{syscall.SIGABRT, syscall.SIGSEGV} {
		t.Run(sig.String(), func(t *testing.T) {
			wd := t.TempDir()
			wrapper := []string{"sh", "-c", `cd "$1" && shift && ulimit -c unlimited && exec "$@"`, "sh", wd}
			r, child, _ := startSleeper(t, s, manifest, xdg, []string{"GOTRACEBACK=crash"}, wrapper)
			limits, err := os.ReadFile("/proc/" + strconv.Itoa(r.cmd.Process.Pid) + "/limits")
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range strings.Split(string(limits), "\n") {
				if f := strings.Fields(l); strings.HasPrefix(l, "Max core file size") && (f[4] != "0" || f[5] != "0") {
					t.Errorf("ward's core limit: %s", l)
				}
			}
			r.cmd.Process.Signal(sig)
			time.Sleep(100 * time.Millisecond)
			syscall.Kill(-child, syscall.SIGKILL) // it holds ward's stdout open
			// The runtime ends a crash with SIGABRT, after about 10 s here
			// (it waits for every thread's traceback).
			if code := r.wait(t); code != 128+int(syscall.SIGABRT) {
				t.Errorf("ward exited %d after %v", code, sig)
			}
			files, _ := os.ReadDir(wd)
			for _, f := range files {
				t.Errorf("%s left in ward's working directory", f.Name())
			}
		})
	}
}

func TestRunRefusesAndServerDown(t *testing.T) {
	s, manifest, xdg := runSetup(t)
	marker := filepath.Join(t.TempDir(), "started")
	s.mustWard("", "kv", "delete", "--env", "staging", "payments/tls")
	r := startRun(t, s, manifest, xdg, nil, nil, "touch", marker)
	if code := r.wait(t); code != 1 || !strings.Contains(r.errOut.String(), "staging/payments/tls: its current version is deleted or destroyed (needed by tls/client.pem)") {
		t.Errorf("a deleted required secret: exit %d\nstderr: %s", code, r.errOut.String())
	}
	s.Kill()
	r = startRun(t, s, manifest, xdg, nil, nil, "touch", marker)
	if code := r.wait(t); code != 1 || !strings.Contains(r.errOut.String(), "ward: touch not started:") {
		t.Errorf("server down: exit %d\nstderr: %s", code, r.errOut.String())
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the child was started")
	}
	if left, _ := os.ReadDir(xdg); len(left) != 0 {
		t.Errorf("secrets directory made: %v", left)
	}
}

// openPTY opens a new pseudo-terminal pair.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

// On a terminal the child is the foreground process group: it gets ^C
// itself, and ward passes on the code the signal gave.
func TestRunOnTerminal(t *testing.T) {
	s, manifest, xdg := runSetup(t)
	master, slave := openPTY(t)
	go io.Copy(io.Discard, master) // the terminal's echo
	state := filepath.Join(t.TempDir(), "state")
	// The child records its process group and the terminal's foreground
	// group (fields 5 and 8 of /proc/PID/stat).
	script := `set -- $(cat /proc/$$/stat); echo "$5 $8" > "$STATE"; exec sleep 30`
	r := &runningWard{cmd: exec.Command(wardBin, "run", "--env", "staging", "-f", manifest, "--", "sh", "-c", script), done: make(chan struct{})}
	r.cmd.Env = append(os.Environ(), "WARD_ADDR="+s.Addr, "WARD_TOKEN="+s.Token, "XDG_RUNTIME_DIR="+xdg, "STATE="+state)
	r.cmd.Stdin, r.cmd.Stdout, r.cmd.Stderr = slave, &r.out, &r.errOut
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		r.cmd.Wait()
		r.code = r.cmd.ProcessState.ExitCode()
		close(r.done)
	}()
	t.Cleanup(func() { r.cmd.Process.Kill(); <-r.done })
	groups := strings.Fields(waitFile(t, state))
	if len(groups) != 2 || groups[0] != groups[1] {
		t.Fatalf("child's process group and the terminal's foreground group: %q, want the same", groups)
	}
	if groups[0] == strconv.Itoa(r.cmd.Process.Pid) {
		t.Errorf("the child runs in ward's process group %s", groups[0])
	}
	master.Write([]byte{3}) // ^C
	if code := r.wait(t); code != 130 {
		t.Errorf("exit %d after ^C, want 130\nstderr: %s", code, r.errOut.String())
	}
}

// ward run ... & from a shell with job control: ward is not in the
// terminal's foreground group, so it leaves its child in the background
// rather than taking the terminal (which would stop the child).
func TestRunInBackgroundOnTerminal(t *testing.T) {
	s, manifest, xdg := runSetup(t)
	master, slave := openPTY(t)
	go io.Copy(io.Discard, master)
	state := filepath.Join(t.TempDir(), "state")
	script := `set -m; "$@" & wait $!; echo "ward $?" >> "$STATE"`
	child := `set -- $(cat /proc/$$/stat); echo "$5 $8" > "$STATE"`
	r := &runningWard{cmd: exec.Command("sh", "-c", script, "sh", wardBin, "run", "--env", "staging", "-f", manifest, "--", "sh", "-c", child), done: make(chan struct{})}
	r.cmd.Env = append(os.Environ(), "WARD_ADDR="+s.Addr, "WARD_TOKEN="+s.Token, "XDG_RUNTIME_DIR="+xdg, "STATE="+state)
	r.cmd.Stdin, r.cmd.Stdout, r.cmd.Stderr = slave, &r.out, &r.errOut
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.cmd.Wait(); close(r.done) }()
	t.Cleanup(func() { r.cmd.Process.Kill(); <-r.done })
	r.wait(t)
	lines := strings.Split(waitFile(t, state), "\n")
	if len(lines) != 2 || lines[1] != "ward 0" {
		t.Fatalf("state %q, want the child's groups and ward's exit 0\nstderr: %s", lines, r.errOut.String())
	}
	if groups := strings.Fields(lines[0]); len(groups) != 2 || groups[0] == groups[1] {
		t.Errorf("child's group and the terminal's foreground group: %q; want the child in the background", groups)
	}
}

// ward run ... | head -1: the child gets SIGPIPE, as in a shell pipeline,
// and ward still cleans up and passes the child's code on.
func TestRunOutputReaderGoes(t *testing.T) {
	s, manifest, xdg := runSetup(t)
	cmd := exec.Command(wardBin, "run", "--env", "staging", "-f", manifest, "--", "sh", "-c", `while :; do echo "line $DB_PASSWORD"; done`)
	cmd.Env = append(os.Environ(), "WARD_ADDR="+s.Addr, "WARD_TOKEN="+s.Token, "XDG_RUNTIME_DIR="+xdg)
	var errOut lockedBuf
	cmd.Stderr = &errOut
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	out.Close()
	err = cmd.Wait()
	if line != "line [masked:payments/db.password]\n" {
		t.Errorf("first line %q", line)
	}
	if code := cmd.ProcessState.ExitCode(); code != 128+int(syscall.SIGPIPE) {
		t.Errorf("ward: %v, exit %d, want 141 (the child's SIGPIPE)\nstderr: %s", err, code, errOut.String())
	}
	if left, _ := os.ReadDir(xdg); len(left) != 0 {
		t.Errorf("secrets directory left: %v", left)
	}
}
