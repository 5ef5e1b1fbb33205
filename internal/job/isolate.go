package job

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"github.com/wardhq/ward/internal/job/sandbox"
)

// Isolation says what Supervise does about Child.Hide: the files (ward's
// token file) the child must not be able to read although it runs as the
// same user.
type Isolation int

const (
	// IsolateAuto hides the files where the system allows it and, where
	// it does not, runs the child anyway after calling Child.Warn.
	IsolateAuto Isolation = iota
	// IsolateRequire refuses to start the child when the files cannot be
	// hidden.
	IsolateRequire
	// IsolateOff never hides anything.
	IsolateOff
)

// ErrIsolationUnavailable is wrapped by the error when the child cannot be
// isolated here: not Linux, or no unprivileged user namespaces (a sysctl,
// an AppArmor rule or a container's seccomp profile forbids them).
var ErrIsolationUnavailable = errors.New("the child cannot be given a private view of the files ward hides")

// startChild starts the command newCmd makes, isolated from c.Hide as
// c.Isolation says.
func startChild(c Child, newCmd func() *exec.Cmd) (*exec.Cmd, error) {
	if len(c.Hide) > 0 && c.Isolation != IsolateOff {
		cmd, err := startIsolated(c, newCmd())
		var se *StartError
		switch {
		case err == nil, errors.As(err, &se), c.Isolation == IsolateRequire:
			return cmd, err
		}
		if c.Warn != nil {
			c.Warn(err)
		}
	}
	cmd := newCmd()
	if err := cmd.Start(); err != nil {
		return nil, &StartError{Program: c.Args[0], Err: err}
	}
	return cmd, nil
}

// startIsolated starts cmd through the isolating init and waits for its
// report: nothing when the child runs, or why it does not (the init has
// then exited without starting it).
func startIsolated(c Child, cmd *exec.Cmd) (*exec.Cmd, error) {
	report, closeW, err := isolate(cmd, c.Hide)
	if err != nil {
		return nil, err
	}
	defer report.Close()
	err = cmd.Start()
	closeW()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrIsolationUnavailable, err)
	}
	msg, _ := io.ReadAll(io.LimitReader(report, 4096))
	if len(msg) == 0 {
		return cmd, nil
	}
	cmd.Wait()
	if m, ok := strings.CutPrefix(string(msg), sandbox.StartedMsg); ok {
		return nil, &StartError{Program: c.Args[0], Err: errors.New(m)}
	}
	return nil, fmt.Errorf("%w: %s", ErrIsolationUnavailable, msg)
}

// CanIsolate reports whether Supervise can hide files from a child here:
// nil, or an error wrapping ErrIsolationUnavailable that says why. It
// starts the isolating init once, with "true" as the child.
func CanIsolate() error {
	cmd := exec.Command("true")
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	cmd.Env = os.Environ()
	cmd, err := startIsolated(Child{Args: cmd.Args, Hide: []string{os.DevNull}}, cmd)
	if err != nil {
		return err
	}
	return cmd.Wait()
}
