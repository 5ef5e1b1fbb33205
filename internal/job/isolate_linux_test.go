package job

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// isolatedRun supervises script under sh with tok hidden, skipping the
// test where the kernel allows no isolation.
func isolatedRun(t *testing.T, tok, script string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code, err := Supervise(Child{
		Args: []string{"sh", "-c", script}, Env: append(os.Environ(), "TOK="+tok),
		Stdout: &out, Stderr: &out, Hide: []string{tok}, Isolation: IsolateRequire,
	})
	if errors.Is(err, ErrIsolationUnavailable) {
		t.Skipf("no isolation here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return code, out.String()
}

// A child running as the same user cannot read a hidden token file: not
// directly, not by unmounting what hides it (from its own namespace or a
// new one), not through /proc/PID/root of a process outside.
func TestIsolatedChildCannotReadTokenFile(t *testing.T) {
	const secret = "wtok_" + "0123456789abcdefTOKENVALUE"
	// A name the list of files to hide must carry as it is.
	tok := filepath.Join(t.TempDir(), "12:to ken:")
	if err := os.WriteFile(tok, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	script := `
cat "$TOK"; echo "cat:$?"
umount "$TOK" 2>&1; cat "$TOK"
command -v unshare >/dev/null && unshare -U -m -r sh -c 'umount "$TOK"; cat "$TOK"' 2>&1
for p in /proc/[0-9]*; do cat "$p/root$TOK" 2>/dev/null; done
echo "pids:$(ls -d /proc/[0-9]* | wc -l)"
cat "$(dirname "$TOK")"/* 2>/dev/null
exit 7`
	code, out := isolatedRun(t, tok, script)
	t.Logf("child output:\n%s", out)
	if strings.Contains(out, "TOKENVALUE") {
		t.Fatalf("the child read the token:\n%s", out)
	}
	if code != 7 || !strings.Contains(out, "cat:0") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
	// The real file is untouched.
	if b, _ := os.ReadFile(tok); string(b) != secret+"\n" {
		t.Fatalf("token file now %q", b)
	}
}

// Without Hide the same child reads the file: the test above is not
// passing for want of a readable file.
func TestUnisolatedChildReadsTokenFile(t *testing.T) {
	tok := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tok, []byte("wtok_visible"), 0o600)
	var out bytes.Buffer
	if _, err := Supervise(Child{Args: []string{"cat", tok}, Env: os.Environ(), Stdout: &out, Stderr: &out}); err != nil {
		t.Fatal(err)
	}
	if out.String() != "wtok_visible" {
		t.Fatalf("got %q", out.String())
	}
}

// A missing program is still a StartError under isolation (ward run's
// exit 127), not an isolation failure; signals still end the child.
func TestIsolatedStartErrorAndSignals(t *testing.T) {
	tok := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tok, []byte("x"), 0o600)
	_, err := Supervise(Child{Args: []string{"no-such-program-ward-test"}, Env: os.Environ(), Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Hide: []string{tok}, Isolation: IsolateRequire})
	if errors.Is(err, ErrIsolationUnavailable) {
		t.Skipf("no isolation here: %v", err)
	}
	var se *StartError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), `"no-such-program-ward-test": executable file not found in $PATH`) {
		t.Fatalf("missing program: %v", err)
	}
	if code, out := isolatedRun(t, tok, `kill -TERM $$`); code != 128+15 {
		t.Fatalf("a child ending on SIGTERM: exit %d (%s)", code, out)
	}
}

// The init's own variables do not reach the child, which sees the
// environment it was given.
func TestIsolatedChildEnvironment(t *testing.T) {
	tok := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tok, []byte("x"), 0o600)
	code, out := isolatedRun(t, tok, `env | grep -c WARD_JOB_SANDBOX; echo "tok=$TOK"`)
	if code != 0 || out != "0\ntok="+tok+"\n" {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
}
