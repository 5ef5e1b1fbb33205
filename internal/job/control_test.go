package job

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/mask"
)

// waitFor waits until out holds want: the child runs for real, so its
// output is what tells where it is.
func waitFor(t *testing.T, out *lockedBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the child's output:\n%s", want, out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// controlled starts script under Supervise with a Control channel.
func controlled(t *testing.T, script string, env []string, m *mask.Matcher) (ctl chan Control, out *lockedBuffer, pids func() []int, wait func() (int, error)) {
	t.Helper()
	ctl = make(chan Control)
	out = &lockedBuffer{}
	var mu sync.Mutex
	var started []int
	done := make(chan struct{})
	var code int
	var err error
	go func() {
		defer close(done)
		code, err = Supervise(Child{
			Args: []string{"sh", "-c", script}, Env: append([]string{"PATH=" + os.Getenv("PATH")}, env...),
			Stdin: strings.NewReader(""), Stdout: out, Stderr: out, Mask: m, Control: ctl,
			StopGrace: 200 * time.Millisecond,
			Started: func(pid int) {
				mu.Lock()
				started = append(started, pid)
				mu.Unlock()
			},
		})
	}()
	pids = func() []int {
		mu.Lock()
		defer mu.Unlock()
		return append([]int(nil), started...)
	}
	wait = func() (int, error) {
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatal("Supervise did not return")
		}
		return code, err
	}
	return ctl, out, pids, wait
}

func send(t *testing.T, ctl chan<- Control, c Control) {
	t.Helper()
	done := make(chan error, 1)
	c.Done = done
	ctl <- c
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestControlSignalAndMask: the masker learns the new value before the
// signal makes the child print it; the old value stays masked.
func TestControlSignalAndMask(t *testing.T) {
	const oldV, newV = "old-value-0123456789", "new-value-9876543210"
	dir := t.TempDir()
	file := filepath.Join(dir, "password")
	os.WriteFile(file, []byte(oldV), 0o600)
	m1, _, _ := mask.NewMatcher([]mask.Secret{{Name: "db", Value: []byte(oldV)}}, mask.Options{})
	m2, _, _ := mask.NewMatcher([]mask.Secret{{Name: "db", Value: []byte(oldV)}, {Name: "db", Value: []byte(newV)}}, mask.Options{})
	ctl, out, _, wait := controlled(t, `trap 'echo "hup $(cat "$F")"; echo "old $OLD"' HUP; echo "ready $(cat "$F")"; while :; do sleep 0.02; done`,
		[]string{"F=" + file, "OLD=" + oldV}, m1)
	waitFor(t, out, "ready [masked:db]")
	os.WriteFile(file, []byte(newV), 0o600)
	send(t, ctl, Control{Mask: m2, Signal: syscall.SIGHUP})
	waitFor(t, out, "hup [masked:db]\nold [masked:db]")
	send(t, ctl, Control{Stop: true})
	code, err := wait()
	if err != nil || code != 128+int(syscall.SIGTERM) {
		t.Fatalf("stopped: code %d, %v; want %d", code, err, 128+int(syscall.SIGTERM))
	}
	if s := out.String(); strings.Contains(s, oldV) || strings.Contains(s, newV) {
		t.Fatalf("a value leaked:\n%s", s)
	}
}

// TestControlRestart: a restart ends the child and starts it again with
// the new environment; Started sees both.
func TestControlRestart(t *testing.T) {
	ctl, out, pids, wait := controlled(t, `trap 'echo "bye $X"; exit 0' TERM; echo "start $X"; while :; do sleep 0.02; done`, []string{"X=1"}, nil)
	waitFor(t, out, "start 1")
	send(t, ctl, Control{Restart: true, Env: []string{"PATH=" + os.Getenv("PATH"), "X=2"}})
	waitFor(t, out, "bye 1\nstart 2")
	send(t, ctl, Control{Stop: true})
	if code, err := wait(); code != 0 || err != nil {
		t.Fatalf("code %d, %v; want 0: the child exits 0 on SIGTERM", code, err)
	}
	if p := pids(); len(p) != 2 || p[0] == p[1] {
		t.Fatalf("started %v, want two children", p)
	}
	if !strings.Contains(out.String(), "bye 2") {
		t.Fatalf("the second child was not stopped with SIGTERM:\n%s", out.String())
	}
}

// TestControlStopKillsAfterGrace: a child that ignores SIGTERM is killed.
func TestControlStopKillsAfterGrace(t *testing.T) {
	ctl, out, _, wait := controlled(t, `trap '' TERM; echo up; while :; do sleep 0.02; done`, nil, nil)
	waitFor(t, out, "up")
	send(t, ctl, Control{Stop: true})
	if code, err := wait(); code != 128+int(syscall.SIGKILL) || err != nil {
		t.Fatalf("code %d, %v; want %d", code, err, 128+int(syscall.SIGKILL))
	}
}

// TestControlChildExitsAlone: without any Control, the child's own end
// ends Supervise, as without a channel.
func TestControlChildExitsAlone(t *testing.T) {
	_, _, _, wait := controlled(t, `exit 3`, nil, nil)
	if code, err := wait(); code != 3 || err != nil {
		t.Fatalf("code %d, %v; want 3", code, err)
	}
}
