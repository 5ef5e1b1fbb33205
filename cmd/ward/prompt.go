package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

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

// mfaPrompt answers the client's request for a TOTP code: WARD_MFA if set,
// else a prompt on the terminal. Without either the refusal stands, with a
// hint of how to give a code.
func (g *globals) mfaPrompt(ctx context.Context, refusal *client.ResponseError) (string, error) {
	if c := g.mfaCodeFromEnv(); c != "" {
		return c, nil
	}
	f, ok := stdinTerminal(g.stdin)
	if !ok {
		return "", refusal // apiError gives the hint
	}
	fmt.Fprintf(g.stderr, "ward: %s\nMFA code: ", strings.Join(refusal.Errors, "; "))
	code, err := readBoundedLine(f)
	if err != nil {
		return "", err
	}
	if code = strings.TrimSpace(code); code == "" {
		return "", errors.New("no MFA code given")
	}
	return code, nil
}
