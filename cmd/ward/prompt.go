package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"golang.org/x/term"

	"github.com/wardhq/ward/client"
)

// stdinTerminal returns stdin's file when it is a terminal.
func stdinTerminal(r io.Reader) (*os.File, bool) {
	f, ok := r.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, false
	}
	return f, true
}

// readPasswordInput reads a password: without echo from the terminal (twice
// when confirm, to catch a typo), or the first line of stdin when it is
// not a terminal. Passwords never come from argv.
func readPasswordInput(g *globals, prompt string, confirm bool) (string, error) {
	if f, ok := stdinTerminal(g.stdin); ok {
		fmt.Fprint(g.stderr, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(g.stderr)
		if err != nil {
			return "", err
		}
		if confirm {
			fmt.Fprint(g.stderr, "again: ")
			again, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(g.stderr)
			if err != nil {
				return "", err
			}
			if string(again) != string(b) {
				return "", usagef("the two passwords differ")
			}
		}
		return string(b), nil
	}
	line, err := readBoundedLine(g.stdin)
	if err != nil {
		return "", err
	}
	if line == "" {
		return "", withHint(usagef("no password on stdin"), "pipe it in (printf '%s\\n' \"$PW\" | ward ...) or run on a terminal to be asked")
	}
	return line, nil
}

// readBoundedLine reads one line of at most 4 KiB, without its line ending.
func readBoundedLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// mfaCodeFromEnv is WARD_MFA, the code for a command that needs step-up
// MFA when no terminal can ask for one (codes stay out of argv too).
func (g *globals) mfaCodeFromEnv() string { return g.getenv("WARD_MFA") }

// totpStep is the life of one TOTP code.
const totpStep = 30

// nextCodeIn is how long until an authenticator app shows its next code.
func (g *globals) nextCodeIn() int { return totpStep - int(g.now().Unix()%totpStep) }

// mfaPrompter answers a client's requests for a TOTP code: WARD_MFA if set,
// else a prompt on the terminal. Without either the refusal stands, with a
// hint of how to give a code. The client asks again when the server refuses
// a code (wrong, or already used: a code works once, and 'ward mfa confirm'
// uses the one it is given): on a terminal the prompt says so and when the
// next code comes; WARD_MFA's code is not sent twice.
func (g *globals) mfaPrompter() func(context.Context, *client.ResponseError) (string, error) {
	var mu sync.Mutex
	asked := 0
	return func(ctx context.Context, refusal *client.ResponseError) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		asked++
		if c := g.mfaCodeFromEnv(); c != "" {
			if asked > 1 {
				return "", refusal // apiError gives the hint
			}
			return c, nil
		}
		tty, ok := g.terminal()
		if !ok {
			return "", refusal
		}
		if asked > 1 {
			fmt.Fprintf(g.stderr, "ward: that code was refused: %s\n", strings.Join(refusal.Errors, "; "))
			fmt.Fprintf(g.stderr, "ward: a code works once (also the one 'ward mfa confirm' took); your app shows the next one in %ds\n", g.nextCodeIn())
		} else {
			fmt.Fprintf(g.stderr, "ward: %s\n", strings.Join(refusal.Errors, "; "))
		}
		fmt.Fprint(g.stderr, "MFA code: ")
		code, err := readBoundedLine(tty)
		if err != nil {
			return "", err
		}
		if code = strings.TrimSpace(code); code == "" {
			return "", errors.New("no MFA code given")
		}
		return code, nil
	}
}

// terminal is where a prompt reads its answer: globals.tty when set, else
// stdin when it is a terminal.
func (g *globals) terminal() (io.Reader, bool) {
	if g.tty != nil {
		return g.tty, true
	}
	return stdinTerminal(g.stdin)
}
