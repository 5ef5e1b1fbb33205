package main

import (
	"context"
	"io"
	"os"
	"strings"
	"time"
)

// testNow is the time of tests that print times or check expiry.
var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// testGlobals are globals for one test: the given streams and an
// environment of env ("K=V" pairs) and the process's PATH only, never the
// process's HOME, token or server, so that tests can run in parallel.
func testGlobals(stdin io.Reader, stdout, stderr io.Writer, env ...string) *globals {
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	environ := append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	m := map[string]string{}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return &globals{
		stdin: stdin, stdout: stdout, stderr: stderr,
		getenv:  func(k string) string { return m[k] },
		environ: func() []string { return append([]string(nil), environ...) },
		wd:      os.TempDir(),
		now:     func() time.Time { return testNow },
	}
}

// runCLI runs one ward command line as main does, with testGlobals.
func runCLI(args []string, stdin io.Reader, stdout, stderr io.Writer, env ...string) int {
	return run(context.Background(), testGlobals(stdin, stdout, stderr, env...), args)
}
