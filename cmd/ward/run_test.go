package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/job"
)

const runManifest = `version: 1
components:
  api:
    language: go
    env:
      DB_URL:     {from: payments/db, field: url}
      DB_PORT:    {from: payments/db, field: port}
      SENTRY_DSN: {from: shared/sentry, field: dsn, optional: true}
    files:
      tls/client.pem: {from: payments/tls, field: cert}
`

// runRunTest runs ward run's runRun against the fake server at addr, with
// secret files under a temporary base, and returns what it printed.
func runRunTest(t *testing.T, addr, manifestText string, args ...string) (stdout, stderr string, code int, base string) {
	t.Helper()
	base = t.TempDir()
	o := &runOpts{
		env: "staging", file: writeManifest(t, manifestText), args: args,
		dir: job.Config{Base: base},
	}
	var out, errb syncBuffer
	g := testGlobals(nil, &out, &errb, "WARD_TOKEN=test-token-hunter", "WARD_ADDR="+addr, "KEEP=kept")
	code = exitCode(runRun(context.Background(), g, o), &errb)
	s := out.String() + errb.String()
	if strings.Contains(s, "hunter2") || strings.Contains(s, "5432") || strings.Contains(s, "test-token-hunter") {
		t.Errorf("a value was printed:\nstdout: %s\nstderr: %s", out.String(), errb.String())
	}
	return out.String(), errb.String(), code, base
}

func TestRunInjectsAndMasks(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(checkFixture())
	defer srv.Close()
	script := `echo "url=$DB_URL port=$DB_PORT"; printf %s "$DB_URL" | base64; echo "missing=$WARD_MISSING keep=$KEEP token=${WARD_TOKEN-unset} addr=${WARD_ADDR-unset}"
cat "$WARD_SECRETS_DIR/tls/client.pem"; echo; stat -c %a "$WARD_SECRETS_DIR" "$WARD_SECRETS_DIR/tls/client.pem" >&2; exit 5`
	out, errOut, code, base := runRunTest(t, srv.URL, runManifest, "sh", "-c", script)
	if code != 5 {
		t.Fatalf("exit %d, want the child's 5\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	want := "url=[masked:payments/db.url] port=[masked:DB_PORT]\n[masked:payments/db.url]\n" +
		"missing=SENTRY_DSN keep=kept token=unset addr=unset\n[masked:payments/tls.cert]\n"
	if out != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", out, want)
	}
	if !strings.Contains(errOut, "700\n600\n") {
		t.Errorf("stderr %q: want the modes 700 and 600", errOut)
	}
	if !strings.Contains(errOut, "ward: warning: staging/shared/sentry: no secret at this path (needed by SENTRY_DSN, optional: left unset)") {
		t.Errorf("stderr %q: want a warning for the optional secret", errOut)
	}
	if left, _ := os.ReadDir(base); len(left) != 0 {
		t.Errorf("secrets directory left behind: %v", left)
	}
}

func TestRunReplacementAndNoFiles(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(checkFixture())
	defer srv.Close()
	file := writeManifest(t, "version: 1\ncomponents:\n  api:\n    language: go\n    env:\n      K: {from: payments/stripe, field: secret_key}\n")
	var out, errb syncBuffer
	g := testGlobals(nil, &out, &errb, "WARD_ADDR="+srv.URL)
	o := &runOpts{env: "staging", file: file, replacement: "***", args: []string{"sh", "-c", `echo "k=$K dir=${WARD_SECRETS_DIR-unset}"`}}
	if code := exitCode(runRun(context.Background(), g, o), &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if out.String() != "k=*** dir=unset\n" {
		t.Errorf("stdout %q", out.String())
	}
}

func TestRunRefusesFailedSecrets(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(checkFixture())
	defer srv.Close()
	marker := filepath.Join(t.TempDir(), "started")
	out, errOut, code, base := runRunTest(t, srv.URL, strings.Replace(runManifest, "    files:", "      ROOT: {from: admin/root, field: key}\n    files:", 1), "touch", marker)
	if code != 1 || out != "" {
		t.Errorf("exit %d, stdout %q; want 1 and nothing", code, out)
	}
	for _, want := range []string{
		"staging/admin/root: permission denied: the token's policy does not allow reading it (needed by ROOT) — hint: your token's policy needs read on staging/admin/root",
		"4 secrets checked for component api in staging: 1 failed, 1 warning",
		"ward: touch not started: a required secret failed",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the child was started")
	}
	if left, _ := os.ReadDir(base); len(left) != 0 {
		t.Errorf("secrets directory made: %v", left)
	}
}

func TestRunServerDown(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(checkFixture())
	srv.Close()
	marker := filepath.Join(t.TempDir(), "started")
	out, errOut, code, _ := runRunTest(t, srv.URL, runManifest, "touch", marker)
	if code != 1 || out != "" || !strings.Contains(errOut, "ward: touch not started:") || !strings.Contains(errOut, "hint: is a ward server running there?") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the child was started")
	}
}

func TestRunCommandLine(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(checkFixture())
	defer srv.Close()
	file := writeManifest(t, "version: 1\ncomponents:\n  api:\n    language: go\n    env:\n      K: {from: payments/stripe, field: secret_key}\n")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"run", "--env", "staging", "-f", file}, 2, "ward run needs a command to run"},
		{[]string{"run", "-f", file, "--", "true"}, 2, "missing --env"},
		{[]string{"run", "--env", "staging", "-f", file, "--", "/nonexistent/cmd"}, 127, "starting /nonexistent/cmd"},
		// Flags after the command are the command's.
		{[]string{"run", "--env", "staging", "-f", file, "sh", "-c", "exit 4", "--env"}, 4, ""},
	} {
		var out, errb bytes.Buffer
		code := runCLI(tc.args, strings.NewReader(""), &out, &errb, "WARD_ADDR="+srv.URL)
		if code != tc.code || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", tc.args, code, errb.String(), tc.code, tc.want)
		}
	}
}

// With nothing injected, the child still runs, its output copied as is.
func TestRunNothingToMask(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(checkFixture())
	defer srv.Close()
	text := "version: 1\ncomponents:\n  api:\n    language: go\n    env:\n      SENTRY_DSN: {from: shared/none, field: dsn, optional: true}\n"
	out, errOut, code, _ := runRunTest(t, srv.URL, text, "sh", "-c", `printf 'missing=%s\n' "$WARD_MISSING"; printf 'e\033[1m\n' >&2`)
	if code != 0 || out != "missing=SENTRY_DSN\n" || !strings.HasSuffix(errOut, "e\x1b[1m\n") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// With --format json, the problems found before CMD starts are one JSON
// report on stderr, as ward check --format json writes it.
func TestRunReportJSON(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(checkFixture())
	defer srv.Close()
	for _, tc := range []struct {
		name     string
		manifest string
		code     int
		ok       bool
	}{
		{"a required secret fails", strings.Replace(runManifest, "    files:", "      ROOT: {from: admin/root, field: key}\n    files:", 1), 1, false},
		{"an optional one is missing", runManifest, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &runOpts{env: "staging", file: writeManifest(t, tc.manifest), args: []string{"true"}, format: formatJSON, dir: job.Config{Base: t.TempDir()}}
			var out, errb syncBuffer
			g := testGlobals(nil, &out, &errb, "WARD_TOKEN=test-token", "WARD_ADDR="+srv.URL)
			code := exitCode(runRun(context.Background(), g, o), &errb)
			var rep checkReport
			if err := json.Unmarshal([]byte(errb.String()), &rep); err != nil {
				t.Fatalf("stderr is not one JSON report: %v\n%s", err, errb.String())
			}
			if code != tc.code || rep.OK != tc.ok || len(rep.Problems) == 0 || rep.Env != "staging" {
				t.Fatalf("exit %d, report %+v", code, rep)
			}
		})
	}
}
