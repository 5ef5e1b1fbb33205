package job

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/wardhq/ward/internal/mask"
)

// Control is a request to the child Supervise runs, sent on Child.Control
// (ward run --watch sends them when a secret changes). Its parts are done
// in this order: Mask, then Signal, Restart or Stop.
type Control struct {
	// Mask, when set, becomes the masker of both output streams before
	// anything else, so that the child never prints a value the masker
	// does not know yet. It must mask everything the previous one did.
	Mask *mask.Matcher
	// Signal, when not 0, is sent to the child's process group.
	Signal syscall.Signal
	// Restart stops the child (SIGTERM to its group, SIGKILL after
	// Child.StopGrace) and starts it again, with Env when it is not nil.
	Restart bool
	Env     []string
	// Stop stops the child as Restart does; Supervise then returns its
	// exit status.
	Stop bool
	// Done, when set, is sent the outcome once: nil, or why the request
	// failed (the child could not be started again: Supervise then returns
	// that error). Give it room for one value: Supervise does not wait.
	Done chan<- error
}

// ErrRestart wraps the error of a child that could not be started again.
var ErrRestart = errors.New("restarting the child")

// supervisor runs one child, and its successors when a Control restarts it.
type supervisor struct {
	c      *Child // Supervise's: newCmd reads its Env
	newCmd func() *exec.Cmd
	outs   []*mask.Writer
	tty    int
	sigs   <-chan os.Signal
}

// run waits for cmd to end, forwarding signals and doing what Controls ask
// meanwhile. It returns the last child and its Wait error.
func (sv *supervisor) run(cmd *exec.Cmd) (*exec.Cmd, error) {
	for {
		waited := make(chan error, 1)
		go func() { waited <- cmd.Wait() }()
		err, restart := sv.wait(cmd, waited)
		if restart == nil {
			return cmd, err
		}
		if sv.tty >= 0 {
			takeTerminal(sv.tty)
		}
		if restart.Env != nil {
			sv.c.Env = restart.Env
		}
		next, serr := startChild(*sv.c, sv.newCmd)
		reply(restart, serr)
		if serr != nil {
			return cmd, errors.Join(ErrRestart, serr)
		}
		cmd = next
		if sv.c.Started != nil {
			sv.c.Started(cmd.Process.Pid)
		}
	}
}

// wait waits for the child's end. It returns the Wait error, and the
// Control that asked for a restart, if one did.
func (sv *supervisor) wait(cmd *exec.Cmd, waited <-chan error) (error, *Control) {
	pgid := cmd.Process.Pid
	for {
		select {
		case s := <-sv.sigs:
			syscall.Kill(-pgid, s.(syscall.Signal))
		case err := <-waited:
			return err, nil
		case ctl := <-sv.c.Control:
			if ctl.Mask != nil {
				for _, w := range sv.outs {
					w.SetMatcher(ctl.Mask)
				}
			}
			if ctl.Signal != 0 {
				syscall.Kill(-pgid, ctl.Signal)
			}
			if !ctl.Restart && !ctl.Stop {
				reply(&ctl, nil)
				continue
			}
			err := sv.stop(pgid, waited)
			if ctl.Stop {
				reply(&ctl, nil)
				return err, nil
			}
			return err, &ctl
		}
	}
}

// stop ends the child's process group: SIGTERM, then SIGKILL after the
// grace period. It returns the child's Wait error.
func (sv *supervisor) stop(pgid int, waited <-chan error) error {
	grace := sv.c.StopGrace
	if grace <= 0 {
		grace = DefaultStopGrace
	}
	syscall.Kill(-pgid, syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	for {
		select {
		case err := <-waited:
			return err
		case <-t.C:
			syscall.Kill(-pgid, syscall.SIGKILL)
		case s := <-sv.sigs: // ^C while stopping: pass it on
			syscall.Kill(-pgid, s.(syscall.Signal))
		}
	}
}

func reply(ctl *Control, err error) {
	if ctl.Done != nil {
		select {
		case ctl.Done <- err:
		default:
		}
	}
}
