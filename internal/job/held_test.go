package job

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/mask"
)

// superviseLater runs script with its masker given by maskLater, and with
// $DONE, a file the script may create to say it got this far.
func superviseLater(t *testing.T, script string, hide []string, maskLater func(done string, out, errb *lockedBuffer) (*mask.Matcher, error)) (int, string, string, error) {
	t.Helper()
	done := filepath.Join(t.TempDir(), "done")
	var out, errb lockedBuffer
	code, err := Supervise(Child{
		Args: []string{"sh", "-c", script}, Env: []string{"PATH=" + os.Getenv("PATH"), "V=" + value, "DONE=" + done},
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Hide: hide, Isolation: IsolateRequire,
		MaskLater: func() (*mask.Matcher, error) { return maskLater(done, &out, &errb) },
	})
	return code, out.String(), errb.String(), err
}

// waitFile waits for the child to create path, failing after a minute.
func waitFile(t *testing.T, path string) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
	}
	t.Fatal("the child did not run")
}

// The child runs before its masker is ready, but what it prints waits for
// the masker and comes out masked; with Hide too, through the isolating
// init.
func TestMaskLaterHoldsOutputBack(t *testing.T) {
	tok := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tok, []byte("x"), 0o600)
	for _, hide := range [][]string{nil, {tok}} {
		code, out, errs, err := superviseLater(t, `printf '%s\n' "$V"; printf 'e:%s\n' "$V" >&2; : > "$DONE"; exit 3`, hide,
			func(done string, out, errb *lockedBuffer) (*mask.Matcher, error) {
				waitFile(t, done)
				if out.String() != "" || errb.String() != "" {
					t.Errorf("output before the masker: %q, %q", out.String(), errb.String())
				}
				m, _, err := mask.NewMatcher([]mask.Secret{{Name: "app/db.password", Value: []byte(value)}}, mask.Options{})
				return m, err
			})
		if errors.Is(err, ErrIsolationUnavailable) {
			t.Skipf("no isolation here: %v", err)
		}
		if err != nil || code != 3 || out != "[masked:app/db.password]\n" || errs != "e:[masked:app/db.password]\n" {
			t.Fatalf("hide %q: exit %d, %v; stdout %q, stderr %q", hide, code, err, out, errs)
		}
	}
}

// No masker: the output passes as it is, once MaskLater has said so.
func TestMaskLaterNil(t *testing.T) {
	code, out, errs, err := superviseLater(t, `echo plain; echo other >&2`, nil,
		func(string, *lockedBuffer, *lockedBuffer) (*mask.Matcher, error) { return nil, nil })
	if err != nil || code != 0 || out != "plain\n" || errs != "other\n" {
		t.Fatalf("exit %d, %v; stdout %q, stderr %q", code, err, out, errs)
	}
}

// A masker that cannot be built stops the child, which printed nothing
// that got out, and Supervise returns why.
func TestMaskLaterError(t *testing.T) {
	failed := errors.New("no masker")
	start := time.Now()
	_, out, errs, err := superviseLater(t, `printf '%s\n' "$V"; : > "$DONE"; exec sleep 60`, nil,
		func(done string, _, _ *lockedBuffer) (*mask.Matcher, error) {
			waitFile(t, done)
			return nil, failed
		})
	if !errors.Is(err, failed) || out != "" || errs != "" {
		t.Fatalf("%v; stdout %q, stderr %q", err, out, errs)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Fatalf("the child ran on: Supervise took %v", d)
	}
}
