// Command ward is a secrets manager for CI/CD pipelines: an encrypted,
// audited vault (ward server, ward dev) and the CI side that checks, injects,
// masks and scans for secrets (ward check, ward run, ward mask, ward scan).
//
// Output rules for every command: results go to stdout; errors, warnings and
// progress go to stderr, prefixed "ward:", lowercase, with "hint:" lines for
// advice. A secret value never appears in argv, an error or a log line.
// Every result can also be printed as JSON (--format json).
//
// How the code is laid out: newRootCmd (root.go) lists every command.
// Each command's file has a cobra constructor, newXCmd(g), and the work
// in runX(ctx, g, opts), which tests call without cobra. globals (g) holds
// all that a command may take from the process: its streams, environment
// variables (through getenv only), working directory, clock, and the
// client built from them (g.client). g.show prints a result as text or
// JSON; run (below) is the one place where errors become exit codes.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/wardhq/ward/internal/startgc"
)

func main() { os.Exit(mainCode()) }

// mainCode runs ward with the process's arguments and streams, cancelling
// the command's context on SIGINT or SIGTERM.
func mainCode() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, processGlobals(os.Stdin, os.Stdout, os.Stderr), os.Args[1:])
}

// run executes one ward command line and returns the process exit code. It is
// the single place where errors become exit codes.
func run(ctx context.Context, g *globals, args []string) int {
	root := newRootCmd(g)
	root.SetIn(g.stdin)
	root.SetOut(g.stdout)
	root.SetErr(g.stderr)
	root.SetArgs(args)
	// Collection has been off since the packages initialised (startgc);
	// ward run turns it back on once its child has started, every other
	// command now.
	if c, _, err := root.Find(args); err != nil || c.Name() != "run" || c.Parent() != root {
		startgc.Resume()
	}
	err := root.ExecuteContext(ctx)
	return exitCode(err, g.stderr)
}

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError marks an error as the caller's misuse of the command line: exit 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// exitError carries a specific exit code with no message of its own, for a
// command whose result is a status (ward scan found something: 1; a child
// process exited 3: 3). Msg, when set, is printed like an error.
type exitError struct {
	Code int
	Msg  string
}

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// hintError adds advice printed on "hint:" lines after the error.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

func withHint(err error, hint string) error {
	if err == nil {
		return nil
	}
	return &hintError{err: err, hint: hint}
}

func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.Msg != "" {
			fmt.Fprintf(stderr, "ward: %s\n", ee.Msg)
		}
		return ee.Code
	}
	fmt.Fprintf(stderr, "ward: %s\n", err)
	var he *hintError
	if errors.As(err, &he) {
		fmt.Fprintf(stderr, "hint: %s\n", he.hint)
	}
	var ue *usageError
	if errors.As(err, &ue) {
		if !errors.As(err, &he) {
			fmt.Fprintf(stderr, "hint: run 'ward help' or add --help to the command\n")
		}
		return exitUsage
	}
	return exitFailure
}
