package pgstore

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/pgtest"
)

// startDev runs ward dev on dir and returns it with its root token and
// its unseal key.
func startDev(t *testing.T, dir string) (w *ward, root, key string) {
	t.Helper()
	w = start(t, nil, "dev", "--data", dir)
	tok, err := os.ReadFile(filepath.Join(w.Home, "token"))
	if err != nil {
		t.Fatal(err)
	}
	k, err := os.ReadFile(filepath.Join(dir, "dev-unseal-key"))
	if err != nil {
		t.Fatal(err)
	}
	return w, strings.TrimSpace(string(tok)), strings.TrimSpace(string(k))
}

// writers writes secrets env/load/wN-I over HTTP until stop is closed and
// returns, for each secret whose write was acknowledged, the time of the
// acknowledgement.
func writers(t *testing.T, w *ward, token, env string, stop chan struct{}) func() map[string]time.Time {
	var mu sync.Mutex
	acked := map[string]time.Time{}
	var wg sync.WaitGroup
	for n := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				path := fmt.Sprintf("load/w%d-%d", n, i)
				req, _ := http.NewRequest("POST", w.Addr+"/v1/"+env+"/data/"+path, strings.NewReader(`{"data":{"v":"`+path+`"}}`))
				req.Header.Set("X-Vault-Token", token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Errorf("write %s: %v", path, err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Errorf("write %s: HTTP %d", path, resp.StatusCode)
					return
				}
				mu.Lock()
				acked[path] = time.Now()
				mu.Unlock()
			}
		})
	}
	return func() map[string]time.Time {
		wg.Wait()
		return acked
	}
}

// checkRestored reads every secret acknowledged before cut from w: each
// must be there, with its value.
func checkRestored(t *testing.T, w *ward, token, env string, acked map[string]time.Time, cut time.Time) {
	t.Helper()
	n := 0
	for path, at := range acked {
		if !at.Before(cut) {
			continue
		}
		n++
		out, errOut, code := run(t, w.client(token), "", "kv", "get", "--env", env, "--field", "v", path)
		if code != 0 || out != path+"\n" {
			t.Fatalf("secret %s, written before the snapshot, reads %q (exit %d %s) after the restore", path, out, code, errOut)
		}
		if n >= 40 { // the CLI is slow; 40 spread over the writers is enough
			break
		}
	}
	if n == 0 {
		t.Fatal("no write was acknowledged before the snapshot began")
	}
}

// A snapshot saved through the server while writers go on restores into a
// new data directory, whose server unseals with the old key and holds
// every write acknowledged before the save began.
func TestSnapshotOfBoltWhileWriting(t *testing.T) {
	dir := t.TempDir()
	dev, root, key := startDev(t, dir)
	stop := make(chan struct{})
	wait := writers(t, dev, root, "dev", stop)
	time.Sleep(500 * time.Millisecond)
	file := filepath.Join(t.TempDir(), "ward.snap")
	cut := time.Now()
	out := must(t, dev.client(root), "", "operator", "snapshot", "save", file)
	time.Sleep(200 * time.Millisecond)
	close(stop)
	acked := wait()
	dev.Stop()
	if !strings.Contains(out, "snapshot written to") || !strings.Contains(out, "sha256") {
		t.Errorf("save: %s", out)
	}
	if info, err := os.Stat(file); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("snapshot file: %v, mode %v; want 0600", err, info.Mode())
	}
	if _, errOut, code := run(t, dev.client(root), "", "operator", "snapshot", "save", file); code != 2 || !strings.Contains(errOut, "exists") {
		t.Errorf("save over an existing file: exit %d %s", code, errOut)
	}
	verify := must(t, nil, "", "operator", "snapshot", "verify", file)
	if !strings.Contains(verify, "intact") {
		t.Errorf("verify: %s", verify)
	}
	// A damaged copy is refused.
	raw, _ := os.ReadFile(file)
	raw[len(raw)/2] ^= 1
	bad := filepath.Join(t.TempDir(), "bad.snap")
	os.WriteFile(bad, raw, 0o600)
	if _, errOut, code := run(t, nil, "", "operator", "snapshot", "verify", bad); code != 1 || !strings.Contains(errOut, "damaged") {
		t.Errorf("verify of a damaged file: exit %d %s", code, errOut)
	}

	newDir := t.TempDir()
	must(t, nil, "", "operator", "snapshot", "restore", "--data", newDir, file)
	if _, errOut, code := run(t, nil, "", "operator", "snapshot", "restore", "--data", newDir, file); code != 1 || !strings.Contains(errOut, "not empty") {
		t.Errorf("restore into a non-empty store: exit %d %s", code, errOut)
	}
	restored := start(t, nil, "server", "--data", newDir)
	restored.unseal(key)
	checkRestored(t, restored, root, "dev", acked, cut)
}

// A snapshot of PostgreSQL read straight from the database while a server
// writes restores into a new database, which a new server unseals.
func TestSnapshotOfPostgresWhileWriting(t *testing.T) {
	dsn := pgtest.Database(t)
	env := []string{"WARD_STORAGE_DSN=" + dsn}
	a := start(t, env, "server", "--storage", "postgres", "--data", t.TempDir())
	key, root := a.initUnseal()
	must(t, a.client(root), "", "env", "create", "prod")
	stop := make(chan struct{})
	wait := writers(t, a, root, "prod", stop)
	time.Sleep(500 * time.Millisecond)
	file := filepath.Join(t.TempDir(), "pg.snap")
	cut := time.Now()
	must(t, env, "", "operator", "snapshot", "save", "--storage", "postgres", file)
	close(stop)
	acked := wait()
	a.Stop()

	newEnv := []string{"WARD_STORAGE_DSN=" + pgtest.Database(t)}
	must(t, newEnv, "", "operator", "snapshot", "restore", "--storage", "postgres", file)
	b := start(t, newEnv, "server", "--storage", "postgres", "--data", t.TempDir())
	b.unseal(key)
	checkRestored(t, b, root, "prod", acked, cut)
}

// migrate moves a bolt store into PostgreSQL and back, verified, and each
// new store unseals with the old key and serves the old secrets.
func TestMigrateBoltToPostgresAndBack(t *testing.T) {
	dir := t.TempDir()
	dev, root, key := startDev(t, dir)
	for i := range 5 {
		must(t, dev.client(root), fmt.Sprintf(`{"v":"value-%d"}`, i), "kv", "put", "--env", "staging", fmt.Sprintf("app/s%d", i))
	}
	boltFile := filepath.Join(dir, "ward.db")
	env := []string{"WARD_STORAGE_DSN=" + pgtest.Database(t)}
	if _, errOut, code := run(t, env, "", "operator", "migrate", "--from", boltFile, "--to", "postgres"); code != 1 || !strings.Contains(errOut, "stop the ward server") {
		t.Errorf("migrate from a file in use: exit %d %s", code, errOut)
	}
	dev.Stop()
	out := must(t, env, "", "operator", "migrate", "--from", boltFile, "--to", "postgres")
	if !strings.Contains(out, "migrated") || !strings.Contains(out, "verified") {
		t.Errorf("migrate: %s", out)
	}
	if _, errOut, code := run(t, env, "", "operator", "migrate", "--from", boltFile, "--to", "postgres"); code != 1 || !strings.Contains(errOut, "not empty") {
		t.Errorf("second migrate into the same database: exit %d %s", code, errOut)
	}
	pg := start(t, env, "server", "--storage", "postgres", "--data", t.TempDir())
	pg.unseal(key)
	if got := must(t, pg.client(root), "", "kv", "get", "--env", "staging", "--field", "v", "app/s3"); got != "value-3\n" {
		t.Errorf("after migrating to postgres: %q", got)
	}
	must(t, pg.client(root), `{"v":"written-on-postgres"}`, "kv", "put", "--env", "staging", "app/new")
	pg.Stop()

	back := filepath.Join(t.TempDir(), "ward.db")
	must(t, env, "", "operator", "migrate", "--from", "postgres", "--to", back)
	b := start(t, nil, "server", "--data", filepath.Dir(back))
	b.unseal(key)
	if got := must(t, b.client(root), "", "kv", "get", "--env", "staging", "--field", "v", "app/new"); got != "written-on-postgres\n" {
		t.Errorf("after migrating back to bolt: %q", got)
	}
	if _, errOut, code := run(t, nil, "", "operator", "migrate", "--from", "/nonexistent/ward.db", "--to", "postgres"); code != 1 || !strings.Contains(errOut, "no such file") {
		t.Errorf("migrate from a missing file: exit %d %s", code, errOut)
	}
}
