package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/pgtest"
)

// These tests run ward on PostgreSQL (the private server of
// internal/pgtest) and move stores between bbolt and PostgreSQL with
// ward operator migrate and snapshot. The connection string reaches the
// servers and the CLI through WARD_STORAGE_DSN, set with t.Setenv.

// startPG starts `ward server --storage postgres` with data (the audit
// log) in a new directory, on the database in WARD_STORAGE_DSN.
func startPG(t *testing.T, extraArgs ...string) *devServer {
	t.Helper()
	return startWard(t, "server", "", append([]string{"--storage", "postgres"}, extraArgs...)...)
}

// initOneKey initialises a new server with one unseal key, unseals it,
// makes the root token s's token and returns the key.
func initOneKey(t *testing.T, s *devServer) string {
	t.Helper()
	var res struct {
		Keys      []string `json:"keys"`
		RootToken string   `json:"root_token"`
	}
	decodeJSON(t, s.mustWard("", "operator", "init", "--shares", "1", "--threshold", "1", "--format", "json"), &res)
	s.Token = res.RootToken
	unsealWith(t, s, res.Keys[0])
	return res.Keys[0]
}

func unsealWith(t *testing.T, s *devServer, key string) {
	t.Helper()
	if out := s.mustWard(key+"\n", "operator", "unseal"); !strings.Contains(out, "unsealed") {
		t.Fatalf("unseal: %s", out)
	}
}

// devKey is the unseal key ward dev keeps in its data directory.
func devKey(t *testing.T, s *devServer) string {
	t.Helper()
	return strings.TrimSpace(mustRead(t, filepath.Join(s.Data, "dev-unseal-key")))
}

// ward server --storage postgres: the connection string comes from the
// environment or a file and never shows in a log, and two servers on one
// database serve the same secrets.
func TestServerOnPostgres(t *testing.T) {
	dsn := pgtest.Database(t)
	u, _ := url.Parse(dsn)
	password, _ := u.User.Password()
	t.Setenv("WARD_STORAGE_DSN", dsn)
	a := startPG(t)
	if !strings.Contains(a.Logs(), "store postgres://postgres@") || !strings.Contains(a.Logs(), "(tls off)") {
		t.Errorf("banner does not describe the database:\n%s", a.Logs())
	}
	key := initOneKey(t, a)
	a.mustWard("", "env", "create", "prod")
	a.mustWard(`{"password":"canary-on-a"}`, "kv", "put", "--env", "prod", "payments/db")

	// A second server on the same database, its DSN from a file.
	dsnFile := filepath.Join(t.TempDir(), "dsn")
	os.WriteFile(dsnFile, []byte(dsn+"\n"), 0o600)
	t.Setenv("WARD_STORAGE_DSN", "")
	b := startPG(t, "--storage-dsn-file", dsnFile)
	if !strings.Contains(b.Logs(), "sealed") || strings.Contains(b.Logs(), "not initialised") {
		t.Fatalf("second server does not see the initialised store:\n%s", b.Logs())
	}
	b.Token = a.Token
	unsealWith(t, b, key)
	if out := b.mustWard("", "kv", "get", "--env", "prod", "--field", "password", "payments/db"); out != "canary-on-a\n" {
		t.Errorf("second server reads %q", out)
	}
	b.mustWard(`{"password":"canary-on-b"}`, "kv", "put", "--env", "prod", "payments/db")
	if out := a.mustWard("", "kv", "get", "--env", "prod", "--field", "password", "payments/db"); out != "canary-on-b\n" {
		t.Errorf("first server reads %q after the second wrote", out)
	}
	if out := a.mustWard("", "operator", "status"); !strings.Contains(out, "postgres") {
		t.Errorf("status does not name the storage:\n%s", out)
	}
	a.Stop()
	b.Stop()
	for name, logs := range map[string]string{"first": a.Logs(), "second": b.Logs()} {
		if strings.Contains(logs, password) {
			t.Errorf("the %s server's log holds the database password", name)
		}
	}
}

// Wrong or missing connection strings fail clearly, exit without serving,
// and never print the password.
func TestServerStorageErrors(t *testing.T) {
	const pw = "Sup3r-secret-pw"
	s := &devServer{t: t, Addr: "http://127.0.0.1:1", Home: t.TempDir()} // for the CLI only
	data := t.TempDir()
	badFile := filepath.Join(t.TempDir(), "dsn")
	os.WriteFile(badFile, []byte("postgres://ward:"+pw+"@127.0.0.1:notaport/ward\n"), 0o600)
	for _, tc := range []struct {
		name     string
		dsn      string
		args     []string
		code     int
		contains string
	}{
		{"NoDSN", "", []string{"--storage", "postgres"}, 2, "WARD_STORAGE_DSN"},
		{"Unparseable", "", []string{"--storage", "postgres", "--storage-dsn-file", badFile}, 1, "cannot be parsed"},
		{"NoServer", "postgres://ward:" + pw + "@127.0.0.1:1/ward?sslmode=disable&connect_timeout=2", []string{"--storage", "postgres"}, 1, "cannot use the database"},
		{"UnknownStorage", "", []string{"--storage", "etcd"}, 2, "bolt or postgres"},
		{"DSNFileWithBolt", "", []string{"--storage-dsn-file", badFile}, 2, "--storage postgres"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("WARD_STORAGE_DSN", tc.dsn)
			args := append([]string{"server", "--data", data, "--listen", "127.0.0.1:0"}, tc.args...)
			_, errOut, code := s.ward("", "", args...)
			if code != tc.code || !strings.Contains(errOut, tc.contains) {
				t.Errorf("exit %d, want %d with %q:\n%s", code, tc.code, tc.contains, errOut)
			}
			if strings.Contains(errOut, pw) {
				t.Errorf("the error shows the password:\n%s", errOut)
			}
		})
	}
}

// load runs 4 clients against s until stop is closed: client n's request
// i is req(n, i) (a method, a path below /v1/ and a body), sent with s's
// token. Each answer goes to got, which returns false to stop its client;
// a request that gets no answer fails the test and stops its client. It
// returns the function that waits for the clients.
func load(t *testing.T, s *devServer, stop chan struct{}, req func(n, i int) (method, path, body string), got func(path string, resp *http.Response, body []byte) bool) (wait func()) {
	var wg sync.WaitGroup
	for n := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				method, path, body := req(n, i)
				r, _ := http.NewRequest(method, s.Addr+"/v1/"+path, strings.NewReader(body))
				r.Header.Set("X-Vault-Token", s.Token)
				resp, err := http.DefaultClient.Do(r)
				if err != nil {
					t.Errorf("%s %s: %v", method, path, err)
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if !got(path, resp, b) {
					return
				}
			}
		})
	}
	return wg.Wait
}

// writers writes secrets env/load/wN-I over HTTP until stop is closed and
// returns, for each secret whose write was acknowledged, the time of the
// acknowledgement.
func writers(t *testing.T, s *devServer, env string, stop chan struct{}) func() map[string]time.Time {
	var mu sync.Mutex
	acked := map[string]time.Time{}
	wait := load(t, s, stop, func(n, i int) (string, string, string) {
		path := fmt.Sprintf("load/w%d-%d", n, i)
		return "POST", env + "/data/" + path, `{"data":{"v":"` + path + `"}}`
	}, func(path string, resp *http.Response, _ []byte) bool {
		if resp.StatusCode != 200 {
			t.Errorf("write %s: HTTP %d", path, resp.StatusCode)
			return false
		}
		mu.Lock()
		acked[strings.TrimPrefix(path, env+"/data/")] = time.Now()
		mu.Unlock()
		return true
	})
	return func() map[string]time.Time {
		wait()
		return acked
	}
}

// checkRestored reads secrets acknowledged before cut from s: each must be
// there, with its value.
func checkRestored(t *testing.T, s *devServer, env string, acked map[string]time.Time, cut time.Time) {
	t.Helper()
	n := 0
	for path, at := range acked {
		if !at.Before(cut) {
			continue
		}
		n++
		out, errOut, code := s.ward(s.Token, "", "kv", "get", "--env", env, "--field", "v", path)
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
	dev := startDev(t, "")
	// A token that may read every secret may still not take a snapshot.
	dev.mustWard("rules:\n  - path: dev/*\n    capabilities: [read, list]\n", "policy", "write", "reader", "-f", "-")
	var tok struct {
		ClientToken string `json:"client_token"`
	}
	decodeJSON(t, dev.mustWard("", "token", "create", "--env", "dev", "--policy", "reader", "--format", "json"), &tok)
	denied := filepath.Join(t.TempDir(), "denied.snap")
	if _, errOut, code := dev.ward(tok.ClientToken, "", "operator", "snapshot", "save", denied); code == 0 || !strings.Contains(errOut, "denied") {
		t.Errorf("snapshot with a reader's token: exit %d %s", code, errOut)
	}
	if _, err := os.Stat(denied); err == nil {
		t.Error("a refused snapshot left a file")
	}
	stop := make(chan struct{})
	wait := writers(t, dev, "dev", stop)
	time.Sleep(500 * time.Millisecond)
	file := filepath.Join(t.TempDir(), "ward.snap")
	cut := time.Now()
	out := dev.mustWard("", "operator", "snapshot", "save", file)
	time.Sleep(200 * time.Millisecond)
	close(stop)
	acked := wait()
	dev.Stop()
	if !strings.Contains(out, "snapshot written to") || !strings.Contains(out, "sha256") {
		t.Errorf("save: %s", out)
	}
	if info, err := os.Stat(file); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("snapshot file: %v; want mode 0600", err)
	}
	if _, errOut, code := dev.ward(dev.Token, "", "operator", "snapshot", "save", file); code != 2 || !strings.Contains(errOut, "exists") {
		t.Errorf("save over an existing file: exit %d %s", code, errOut)
	}
	if out := dev.mustWard("", "operator", "snapshot", "verify", file); !strings.Contains(out, "intact") {
		t.Errorf("verify: %s", out)
	}
	raw, _ := os.ReadFile(file)
	raw[len(raw)/2] ^= 1
	bad := filepath.Join(t.TempDir(), "bad.snap")
	os.WriteFile(bad, raw, 0o600)
	if _, errOut, code := dev.ward("", "", "operator", "snapshot", "verify", bad); code != 1 || !strings.Contains(errOut, "damaged") {
		t.Errorf("verify of a damaged file: exit %d %s", code, errOut)
	}

	newDir := t.TempDir()
	dev.mustWard("", "operator", "snapshot", "restore", "--data", newDir, file)
	if _, errOut, code := dev.ward("", "", "operator", "snapshot", "restore", "--data", newDir, file); code != 1 || !strings.Contains(errOut, "not empty") {
		t.Errorf("restore into a non-empty store: exit %d %s", code, errOut)
	}
	restored := startWard(t, "server", newDir)
	restored.Token = dev.Token
	unsealWith(t, restored, devKey(t, dev))
	checkRestored(t, restored, "dev", acked, cut)
}

// A snapshot of PostgreSQL read straight from the database while a server
// writes restores into a new database, which a new server unseals.
func TestSnapshotOfPostgresWhileWriting(t *testing.T) {
	t.Setenv("WARD_STORAGE_DSN", pgtest.Database(t))
	a := startPG(t)
	key := initOneKey(t, a)
	a.mustWard("", "env", "create", "prod")
	stop := make(chan struct{})
	wait := writers(t, a, "prod", stop)
	time.Sleep(500 * time.Millisecond)
	file := filepath.Join(t.TempDir(), "pg.snap")
	cut := time.Now()
	a.mustWard("", "operator", "snapshot", "save", "--storage", "postgres", file)
	close(stop)
	acked := wait()
	a.Stop()

	t.Setenv("WARD_STORAGE_DSN", pgtest.Database(t))
	a.mustWard("", "operator", "snapshot", "restore", "--storage", "postgres", file)
	b := startPG(t)
	b.Token = a.Token
	unsealWith(t, b, key)
	checkRestored(t, b, "prod", acked, cut)
}

// migrate moves a bolt store into PostgreSQL and back, verified, and each
// new store unseals with the old key and serves the old secrets.
func TestMigrateBoltToPostgresAndBack(t *testing.T) {
	dev := startDev(t, "")
	for i := range 5 {
		dev.mustWard(fmt.Sprintf(`{"v":"value-%d"}`, i), "kv", "put", "--env", "staging", fmt.Sprintf("app/s%d", i))
	}
	boltFile := filepath.Join(dev.Data, "ward.db")
	t.Setenv("WARD_STORAGE_DSN", pgtest.Database(t))
	if _, errOut, code := dev.ward("", "", "operator", "migrate", "--from", boltFile, "--to", "postgres"); code != 1 || !strings.Contains(errOut, "stop the ward server") {
		t.Errorf("migrate from a file in use: exit %d %s", code, errOut)
	}
	dev.Stop()
	if out := dev.mustWard("", "operator", "migrate", "--from", boltFile, "--to", "postgres"); !strings.Contains(out, "migrated") || !strings.Contains(out, "verified") {
		t.Errorf("migrate: %s", out)
	}
	if _, errOut, code := dev.ward("", "", "operator", "migrate", "--from", boltFile, "--to", "postgres"); code != 1 || !strings.Contains(errOut, "not empty") {
		t.Errorf("second migrate into the same database: exit %d %s", code, errOut)
	}
	pg := startPG(t)
	pg.Token = dev.Token
	unsealWith(t, pg, devKey(t, dev))
	if got := pg.mustWard("", "kv", "get", "--env", "staging", "--field", "v", "app/s3"); got != "value-3\n" {
		t.Errorf("after migrating to postgres: %q", got)
	}
	pg.mustWard(`{"v":"written-on-postgres"}`, "kv", "put", "--env", "staging", "app/new")
	pg.Stop()

	back := t.TempDir()
	pg.mustWard("", "operator", "migrate", "--from", "postgres", "--to", filepath.Join(back, "ward.db"))
	b := startWard(t, "server", back)
	b.Token = dev.Token
	unsealWith(t, b, devKey(t, dev))
	if got := b.mustWard("", "kv", "get", "--env", "staging", "--field", "v", "app/new"); got != "written-on-postgres\n" {
		t.Errorf("after migrating back to bolt: %q", got)
	}
	if _, errOut, code := b.ward("", "", "operator", "migrate", "--from", "/nonexistent/ward.db", "--to", "postgres"); code != 1 || !strings.Contains(errOut, "no such file") {
		t.Errorf("migrate from a missing file: exit %d %s", code, errOut)
	}
}

// waitLog waits up to d for a server's log to contain s.
func logShowsWithin(s *devServer, want string, d time.Duration) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(s.Logs(), want) {
			return true
		}
	}
	return false
}

// Of two servers on one database, one runs the run-once work (token
// tidying); when it is killed with SIGKILL the other takes it over within
// 10 s.
func TestRunOnceWorkFailsOverOnKill(t *testing.T) {
	t.Setenv("WARD_STORAGE_DSN", pgtest.Database(t))
	const leading = "this server now runs the run-once work"
	a := startPG(t)
	if !logShowsWithin(a, leading, 10*time.Second) {
		t.Fatalf("the only server does not run the run-once work:\n%s", a.Logs())
	}
	b := startPG(t)
	if logShowsWithin(b, leading, time.Second) {
		t.Fatalf("both servers run the run-once work:\n%s", b.Logs())
	}
	killed := time.Now()
	a.Kill()
	if !logShowsWithin(b, leading, 10*time.Second) {
		t.Fatalf("the second server did not take over within 10s of the first's kill -9:\n%s", b.Logs())
	}
	t.Logf("run-once work moved %v after kill -9", time.Since(killed).Round(time.Millisecond))
}
