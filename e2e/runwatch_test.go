package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The values ward run --watch's tests rotate through; any of them in an
// output is a leak.
const (
	watchPW1 = "watch-pw-one-4f1e9c7a2b"
	watchPW2 = "watch-pw-two-8d3b6a0e5c"
)

// watchSetup starts ward dev with payments/db at version 1 and writes
// manifest (a ward.yaml) to a file. It returns the server, the manifest's
// path, an XDG_RUNTIME_DIR and a directory for the child's marks.
func watchSetup(t *testing.T, manifest string) (s *devServer, file, xdg, marks string) {
	t.Helper()
	s = startDev(t, "")
	s.mustWard(`{"password":"`+watchPW1+`","host":"db.internal"}`, "kv", "put", "--env", "staging", "payments/db")
	file = filepath.Join(t.TempDir(), "ward.yaml")
	if err := os.WriteFile(file, []byte(manifest), 0o600); err != nil {
		t.Fatal(err)
	}
	return s, file, t.TempDir(), t.TempDir()
}

// waitOut waits until the stream holds want.
func waitOut(t *testing.T, r *runningWard, stream *lockedBuf, want string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(stream.String(), want) {
			return
		}
	}
	t.Fatalf("no %q after 30s\nstdout: %s\nstderr: %s", want, r.out.String(), r.errOut.String())
}

// watchFlags poll every second, the minimum.
var watchFlags = []string{"--watch", "--watch-interval", "1s"}

func noWatchValue(t *testing.T, r *runningWard) {
	t.Helper()
	all := r.out.String() + r.errOut.String()
	for _, v := range []string{watchPW1, watchPW2} {
		if strings.Contains(all, v) {
			t.Fatalf("a value reached ward run's output:\nstdout: %s\nstderr: %s", r.out.String(), r.errOut.String())
		}
	}
}

const watchFilesManifest = `version: 1
components:
  api:
    language: other
    files:
      db/password: {from: payments/db, field: password}
`

// A child that prints its password file at start and on each SIGHUP, the
// old value with the new, and leaves its secrets directory in $MARKS/dir.
const hupChild = `old=$(cat "$WARD_SECRETS_DIR/db/password")
echo "$WARD_SECRETS_DIR" > "$MARKS/dir"
trap 'echo "hup: old $old new $(cat "$WARD_SECRETS_DIR/db/password")"' HUP
echo "start $old"
while :; do sleep 0.05; done`

// TestRunWatchSignalsOnNewVersion: a new version of a secret held in a
// file reaches the running child: the file is replaced (0600), the child
// gets SIGHUP and reads it, and both values are masked in its output.
func TestRunWatchSignalsOnNewVersion(t *testing.T) {
	s, manifest, xdg, marks := watchSetup(t, watchFilesManifest)
	r := startRunFlags(t, s, manifest, xdg, []string{"MARKS=" + marks}, nil, watchFlags, "sh", "-c", hupChild)
	waitOut(t, r, &r.out, "start [masked:payments/db.password]")
	s.mustWard(`{"password":"`+watchPW2+`","host":"db.internal"}`, "kv", "put", "--env", "staging", "payments/db")
	waitOut(t, r, &r.out, "hup: old [masked:payments/db.password] new [masked:")
	waitOut(t, r, &r.errOut, "payments/db version 2 is current; replaced db/password; sent SIGHUP to sh")
	dir := strings.TrimSpace(waitFile(t, filepath.Join(marks, "dir")))
	path := filepath.Join(dir, "db/password")
	got, err := os.ReadFile(path)
	if err != nil || string(got) != watchPW2 {
		t.Fatalf("the secret file holds %d bytes (%v), want the new version", len(got), err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("the replaced file's mode is %v, want 0600", fi.Mode().Perm())
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "db")); len(entries) != 1 {
		t.Fatalf("the secrets directory holds %d entries in db/, want 1 (no temporary file left)", len(entries))
	}
	r.cmd.Process.Signal(syscall.SIGTERM)
	if code := r.wait(t); code != 128+int(syscall.SIGTERM) {
		t.Fatalf("exit %d, want 143\nstderr: %s", code, r.errOut.String())
	}
	noWatchValue(t, r)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("the secrets directory outlives ward: %v", err)
	}
}

// TestRunWatchReloadSignal: reload.signal picks the signal.
func TestRunWatchReloadSignal(t *testing.T) {
	s, manifest, xdg, marks := watchSetup(t, watchFilesManifest+"    reload: {signal: SIGUSR1}\n")
	child := strings.Replace(hupChild, "' HUP", "' USR1", 1)
	r := startRunFlags(t, s, manifest, xdg, []string{"MARKS=" + marks}, nil, watchFlags, "sh", "-c", child)
	waitOut(t, r, &r.out, "start [masked:")
	s.mustWard(`{"password":"`+watchPW2+`","host":"db.internal"}`, "kv", "put", "--env", "staging", "payments/db")
	waitOut(t, r, &r.out, "hup: old [masked:payments/db.password] new [masked:")
	waitOut(t, r, &r.errOut, "sent SIGUSR1 to sh")
	r.cmd.Process.Signal(syscall.SIGTERM)
	r.wait(t)
	noWatchValue(t, r)
}

const watchEnvManifest = `version: 1
components:
  api:
    language: other
    env:
      DB_PASSWORD: {from: payments/db, field: password}
`

// TestRunWatchEnvRestarts: a secret held in an env var cannot change in a
// running process: ward says so and restarts the child with the new value.
func TestRunWatchEnvRestarts(t *testing.T) {
	s, manifest, xdg, marks := watchSetup(t, watchEnvManifest)
	child := `echo $$ >> "$MARKS/pids"; echo "start $DB_PASSWORD"; trap 'exit 0' TERM; while :; do sleep 0.05; done`
	r := startRunFlags(t, s, manifest, xdg, []string{"MARKS=" + marks}, nil, watchFlags, "sh", "-c", child)
	waitOut(t, r, &r.errOut, "ward: note: env vars cannot change in a running process: a new version of payments/db (env DB_PASSWORD) restarts sh")
	waitOut(t, r, &r.out, "start [masked:")
	s.mustWard(`{"password":"`+watchPW2+`","host":"db.internal"}`, "kv", "put", "--env", "staging", "payments/db")
	waitOut(t, r, &r.errOut, "env DB_PASSWORD cannot change in a running process: restarting sh")
	for deadline := time.Now().Add(30 * time.Second); strings.Count(r.out.String(), "start [masked:") < 2; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the child was not started again:\n%s\n%s", r.out.String(), r.errOut.String())
		}
	}
	if pids := strings.Fields(waitFile(t, filepath.Join(marks, "pids"))); len(pids) != 2 || pids[0] == pids[1] {
		t.Fatalf("child PIDs %v, want two different", pids)
	}
	r.cmd.Process.Signal(syscall.SIGTERM)
	if code := r.wait(t); code != 0 {
		t.Fatalf("exit %d, want the restarted child's 0\nstderr: %s", code, r.errOut.String())
	}
	noWatchValue(t, r)
}

// TestRunWatchEnvRefused: with reload.env refuse, a watched secret in an
// env var is refused before the child starts.
func TestRunWatchEnvRefused(t *testing.T) {
	s, manifest, xdg, marks := watchSetup(t, watchEnvManifest+"    reload: {env: refuse}\n")
	r := startRunFlags(t, s, manifest, xdg, nil, nil, []string{"--watch"}, "sh", "-c", "touch "+filepath.Join(marks, "ran"))
	if code := r.wait(t); code != 1 {
		t.Fatalf("exit %d, want 1\nstderr: %s", code, r.errOut.String())
	}
	for _, want := range []string{"reads payments/db (env DB_PASSWORD) through env vars, which cannot change in a running process, and its reload.env is refuse; sh not started", "hint: deliver them as files"} {
		if !strings.Contains(r.errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.errOut.String())
		}
	}
	if _, err := os.Stat(filepath.Join(marks, "ran")); err == nil {
		t.Fatal("the child ran")
	}
}

// TestRunWatchRevokedStops: a secret deleted under a running child stops
// it (reload.revoked defaults to stop) and ward fails.
func TestRunWatchRevokedStops(t *testing.T) {
	s, manifest, xdg, marks := watchSetup(t, watchFilesManifest)
	r := startRunFlags(t, s, manifest, xdg, []string{"MARKS=" + marks}, nil, watchFlags, "sh", "-c", hupChild)
	waitOut(t, r, &r.out, "start [masked:")
	s.mustWard("", "kv", "delete", "--env", "staging", "payments/db")
	if code := r.wait(t); code != 1 {
		t.Fatalf("exit %d, want 1\nstderr: %s", code, r.errOut.String())
	}
	for _, want := range []string{"--watch: revoked: payments/db: revoked: its current version 1 is deleted or destroyed", "--watch: stopping sh: payments/db was revoked", "ward: sh stopped: payments/db was revoked"} {
		if !strings.Contains(r.errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.errOut.String())
		}
	}
	noWatchValue(t, r)
}

// TestRunWatchRevokedSignal: with reload.revoked signal, the revoked
// secret's file is removed and the child is signalled; it keeps running.
func TestRunWatchRevokedSignal(t *testing.T) {
	s, manifest, xdg, marks := watchSetup(t, watchFilesManifest+"    reload: {revoked: signal}\n")
	child := `echo "$WARD_SECRETS_DIR" > "$MARKS/dir"; trap 'test -e "$WARD_SECRETS_DIR/db/password" || echo "password withdrawn"' HUP; echo up; while :; do sleep 0.05; done`
	r := startRunFlags(t, s, manifest, xdg, []string{"MARKS=" + marks}, nil, watchFlags, "sh", "-c", child)
	waitOut(t, r, &r.out, "up")
	deleteMetadata(t, s, "staging", "payments/db")
	waitOut(t, r, &r.out, "password withdrawn")
	waitOut(t, r, &r.errOut, "--watch: removed db/password; sent SIGHUP to sh (reload.revoked: signal)")
	if !strings.Contains(r.errOut.String(), "payments/db: revoked: 404") {
		t.Errorf("stderr does not give the 404:\n%s", r.errOut.String())
	}
	select {
	case <-r.done:
		t.Fatalf("ward ended: %s", r.errOut.String())
	default:
	}
	r.cmd.Process.Signal(syscall.SIGTERM)
	r.wait(t)
}

// TestRunWatchBadInterval: an interval below 1s is a usage error.
func TestRunWatchBadInterval(t *testing.T) {
	s, manifest, xdg, _ := watchSetup(t, watchFilesManifest)
	r := startRunFlags(t, s, manifest, xdg, nil, nil, []string{"--watch", "--watch-interval", "100ms"}, "true")
	if code := r.wait(t); code != 2 || !strings.Contains(r.errOut.String(), "--watch-interval 100ms is below the minimum of 1s") {
		t.Fatalf("exit %d, want 2 with the minimum named\nstderr: %s", code, r.errOut.String())
	}
}

// deleteMetadata destroys every version of a secret and its metadata (no
// CLI command does): a read then answers 404.
func deleteMetadata(t *testing.T, s *devServer, env, path string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, s.Addr+"/v1/"+env+"/metadata/"+path, nil)
	req.Header.Set("X-Vault-Token", s.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE metadata: %d", resp.StatusCode)
	}
}
