package job

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/mask"
)

// lockedBuffer is a bytes.Buffer safe for the masker's flush timer.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

const value = "s3cr3t-value-0123456789"

func supervise(t *testing.T, script string, started func(int)) (code int, stdout, stderr string, err error) {
	t.Helper()
	m, _, err := mask.NewMatcher([]mask.Secret{{Name: "app/db.password", Value: []byte(value)}}, mask.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out, errb lockedBuffer
	code, err = Supervise(Child{
		Args: []string{"sh", "-c", script}, Env: []string{"PATH=" + os.Getenv("PATH"), "V=" + value},
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Mask: m, Started: started,
	})
	return code, out.String(), errb.String(), err
}

func TestSuperviseExitCodes(t *testing.T) {
	for _, tt := range []struct {
		script string
		code   int
	}{
		{"true", 0},
		{"exit 7", 7},
		{"kill -TERM $$", 128 + 15},
		{"kill -KILL $$", 128 + 9},
		{"kill -SEGV $$", 128 + 11},
	} {
		code, _, _, err := supervise(t, tt.script, nil)
		if err != nil || code != tt.code {
			t.Errorf("%s: code %d, err %v; want %d", tt.script, code, err, tt.code)
		}
	}
}

func TestSuperviseMasksBothStreams(t *testing.T) {
	script := `printf 'out %s\n' "$V"; printf '\033[31merr %s\033[0m\n' "$V" >&2; printf %s "$V" | base64; ` +
		`i=1; while [ $i -le ${#V} ]; do printf %s "$V" | cut -c$i | tr -d '\n'; i=$((i+1)); done; echo`
	code, out, errOut, err := supervise(t, script, nil)
	if err != nil || code != 0 {
		t.Fatalf("code %d, err %v\n%s", code, err, errOut)
	}
	if strings.Contains(out+errOut, value) || strings.Contains(out, "czNjcjN0LXZhbHVl") {
		t.Errorf("a value got through:\nstdout: %q\nstderr: %q", out, errOut)
	}
	if !strings.HasPrefix(out, "out [masked:app/db.password]\n") {
		t.Errorf("stdout = %q", out)
	}
	if errOut != "\x1b[31merr [masked:app/db.password]\x1b[0m\n" {
		t.Errorf("stderr = %q, want the colours kept and the value masked", errOut)
	}
}

func TestSuperviseForwardsSignals(t *testing.T) {
	pids := make(chan int, 1)
	type result struct {
		code int
		out  string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		code, out, _, err := supervise(t, `trap 'echo got TERM; exit 3' TERM; echo ready; while :; do sleep 0.05; done`, func(pid int) { pids <- pid })
		done <- result{code, out, err}
	}()
	pid := <-pids
	// Wait until the trap is set, then signal ward (this process) as a user would.
	// The shell catches SIGINT and SIGCHLD before it runs a line, so only
	// the TERM bit of its caught-signal mask says the trap is in place.
	for deadline := time.Now().Add(10 * time.Second); ; {
		if catchesTERM(pid) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the child never set its trap")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if pgid, _ := syscall.Getpgid(pid); pgid != pid {
		t.Errorf("child's process group %d, want its own (%d)", pgid, pid)
	}
	syscall.Kill(os.Getpid(), syscall.SIGTERM)
	r := <-done
	if r.err != nil || r.code != 3 || !strings.Contains(r.out, "got TERM") {
		t.Errorf("code %d, err %v, out %q; want the child to get TERM and exit 3", r.code, r.err, r.out)
	}
}

func TestSuperviseStartError(t *testing.T) {
	_, err := Supervise(Child{Args: []string{"/nonexistent/program"}, Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}})
	var se *StartError
	if !errors.As(err, &se) || se.Program != "/nonexistent/program" {
		t.Errorf("err = %v, want a *StartError", err)
	}
}

// catchesTERM reports whether process pid has a handler for SIGTERM, from
// the SigCgt mask in /proc/PID/status (bit N-1 for signal N).
func catchesTERM(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if hex, ok := strings.CutPrefix(line, "SigCgt:"); ok {
			mask, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
			return err == nil && mask&(1<<(uint(syscall.SIGTERM)-1)) != 0
		}
	}
	return false
}
