package job

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"github.com/wardhq/ward/internal/mask"
)

// Forwarded are the signals Supervise passes on to the child's process group.
var Forwarded = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// DrainTimeout is how long Supervise keeps reading the child's output after
// the child has exited, when a process it started still holds it open.
const DrainTimeout = 2 * time.Second

// Child is a command to supervise.
type Child struct {
	Args   []string // the program and its arguments; never a secret value
	Env    []string // the whole environment, from ChildEnv
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Mask hides secrets in both output streams; nil copies them as they are.
	Mask *mask.Matcher
	// MaskLater, when set, is used instead of Mask: it waits for a masker
	// still being built and returns it (nil: nothing to mask). Supervise
	// starts the child first and holds its output back until MaskLater
	// returns, so that building the masker and starting the child overlap
	// and still no byte leaves unmasked. When it returns an error, the
	// child's process group is killed and Supervise returns that error.
	// It is called once, on Supervise's goroutine.
	MaskLater func() (*mask.Matcher, error)
	// Started, when set, is called with the child's PID once it runs.
	Started func(pid int)
	// Hide lists files the child must not read (ward's token file): on
	// Linux, where unprivileged user namespaces are allowed, the child
	// gets a private view in which they are empty (see isolate_linux.go).
	// Isolation says what happens where that cannot be done; with
	// IsolateAuto, Warn (if set) is told why and the child runs anyway.
	Hide      []string
	Isolation Isolation
	Warn      func(error)
	// Control, when set, carries requests to the running child: a new
	// masker, a signal, a restart or a stop (see Control). nil: none.
	Control <-chan Control
	// StopGrace is how long a child has to exit after SIGTERM, when a
	// Control restarts or stops it, before SIGKILL. 0: DefaultStopGrace.
	StopGrace time.Duration
}

// DefaultStopGrace is Child.StopGrace's default.
const DefaultStopGrace = 10 * time.Second

// StartError says the child could not be started: the program is missing
// or not executable. ward run exits 127 for it, like a shell.
type StartError struct {
	Program string
	Err     error
}

func (e *StartError) Error() string { return fmt.Sprintf("starting %s: %v", e.Program, e.Err) }
func (e *StartError) Unwrap() error { return e.Err }

// Supervise runs the child to its end and returns its exit code, 128+N when
// signal N ended it. See the package documentation for signals, the
// terminal and output.
func Supervise(c Child) (int, error) {
	if len(c.Args) == 0 {
		return 0, errors.New("no command to run")
	}
	outs := newOutputs(&c)
	tty := foregroundTTY(c.Stdin)
	newCmd := func() *exec.Cmd {
		cmd := exec.Command(c.Args[0], c.Args[1:]...)
		cmd.Env = c.Env
		cmd.Stdin = c.Stdin
		cmd.WaitDelay = DrainTimeout
		cmd.Stdout, cmd.Stderr = outs.stdout, outs.stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Foreground: tty >= 0, Ctty: max(tty, 0)}
		return cmd
	}

	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, Forwarded...)
	defer signal.Stop(sigs)
	// A reader of ward's output that goes away (ward run ... | head -1) must
	// not kill ward before it cleans up: the write fails with EPIPE instead,
	// and the child's next write gets SIGPIPE, as in a shell pipeline.
	pipes := make(chan os.Signal, 1)
	signal.Notify(pipes, syscall.SIGPIPE)
	defer signal.Stop(pipes)
	cmd, err := startChild(c, newCmd)
	if err != nil {
		outs.release(&c) // a masker built meanwhile is not needed
		return 0, err
	}
	if err := outs.release(&c); err != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
		if tty >= 0 {
			takeTerminal(tty)
		}
		return 0, err
	}
	if c.Started != nil {
		c.Started(cmd.Process.Pid)
	}
	sv := &supervisor{c: &c, newCmd: newCmd, outs: outs.masked, tty: tty, sigs: sigs}
	cmd, err = sv.run(cmd)
	if tty >= 0 {
		takeTerminal(tty)
	}
	for _, w := range outs.masked {
		if cerr := w.Close(); err == nil {
			err = cerr
		}
	}
	st, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok {
		return 0, fmt.Errorf("waiting for %s: %w", c.Args[0], err)
	}
	code := st.ExitStatus()
	if st.Signaled() {
		code = 128 + int(st.Signal())
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) || errors.Is(err, exec.ErrWaitDelay) || errors.Is(err, syscall.EPIPE) {
		err = nil // the status says it; a grandchild holding the output, or a reader gone, is not ward's failure
	}
	return code, err
}

// foregroundTTY returns stdin's descriptor when it is a terminal whose
// foreground process group is ward's, else -1. A ward started in the
// background (ward run ... &) leaves its child in the background too:
// giving the terminal away is not its to do.
func foregroundTTY(stdin io.Reader) int {
	f, ok := stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return -1
	}
	fd := int(f.Fd())
	if pg, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP); err != nil || pg != unix.Getpgrp() {
		return -1
	}
	return fd
}

// takeTerminal makes ward's process group the terminal's foreground group
// again, ignoring the SIGTTOU that a background group gets for asking.
func takeTerminal(fd int) {
	signal.Ignore(syscall.SIGTTOU)
	defer signal.Reset(syscall.SIGTTOU)
	unix.IoctlSetPointerInt(fd, unix.TIOCSPGRP, unix.Getpgrp())
}
