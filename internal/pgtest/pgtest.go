// Package pgtest gives tests a real, private PostgreSQL server.
//
// A test package that needs PostgreSQL calls [Main] from its TestMain and
// [Database] from each test:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		dsn := pgtest.Database(t) // a fresh, empty database, dropped after the test
//		...
//	}
//
// The server is found in this order:
//
//  1. WARD_TEST_PG_DSN, the connection string of a running server whose user
//     may create databases and roles (a superuser): used as it is.
//  2. Otherwise a private cluster is made with initdb in a temporary directory
//     and started on a free loopback port, once per test binary, and stopped
//     and removed when the tests end. PostgreSQL refuses to run as root, so
//     when the tests run as root the cluster runs as the "postgres" user.
//     Connections over TCP need a password (scram-sha-256), so a role's
//     password is really checked: a test can prove that a revoked or expired
//     credential no longer logs in.
//
// Where neither is possible, [Database] skips the test and says why; with
// WARD_TEST_PG_REQUIRED=1 (set by `make test` after it installed PostgreSQL)
// it fails instead, so CI cannot pass by skipping.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

var (
	startOnce sync.Once
	server    *cluster
	startErr  error
)

// cluster is a private PostgreSQL cluster started by this package.
type cluster struct {
	dir      string // data directory and Unix socket directory
	bin      string // directory holding initdb, pg_ctl and postgres
	cred     *syscall.Credential
	adminDSN string
	port     int  // the TCP port it listens on
	owned    bool // started here, so stopped here
}

// Main runs the tests and then stops the private cluster, if one was started.
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run is Main for a TestMain that has more to clean up: it runs the tests,
// stops the private cluster and returns the exit code.
func Run(m *testing.M) int {
	code := m.Run()
	if server != nil && server.owned {
		server.stop()
	}
	return code
}

// AdminDSN returns the connection string of a superuser on the test server,
// starting the server on first use. It skips (or fails, see the package doc)
// the test when no PostgreSQL can be had.
func AdminDSN(t testing.TB) string {
	t.Helper()
	startOnce.Do(func() { server, startErr = start() })
	if startErr != nil {
		if os.Getenv("WARD_TEST_PG_REQUIRED") == "1" {
			t.Fatalf("pgtest: PostgreSQL is required (WARD_TEST_PG_REQUIRED=1) but could not be started: %v", startErr)
		}
		t.Skipf("pgtest: skipped, no PostgreSQL: %v\nhint: `make test` installs and starts one; or set WARD_TEST_PG_DSN", startErr)
	}
	return server.adminDSN
}

// Database creates a fresh database for the test and returns a superuser's
// connection string to it. The database is dropped when the test ends.
func Database(t testing.TB) string {
	t.Helper()
	admin := AdminDSN(t)
	name := "t_" + randomHex(6)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Logf("pgtest: drop database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("pgtest: drop database %s: %v", name, err)
		}
	})
	return WithDatabase(admin, name)
}

// WithDatabase returns dsn with its database replaced by name.
func WithDatabase(dsn, name string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	u.Path = "/" + name
	return u.String()
}

func start() (*cluster, error) {
	if dsn := os.Getenv("WARD_TEST_PG_DSN"); dsn != "" {
		return &cluster{adminDSN: dsn}, nil
	}
	return startPrivate()
}

// startPrivate makes a cluster with initdb in a new temporary directory
// and starts it.
func startPrivate() (*cluster, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	c := &cluster{bin: bin, owned: true}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root and there is no postgres user to run the server as: %w", err)
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	dir, err := os.MkdirTemp("", "ward-pgtest-")
	if err != nil {
		return nil, err
	}
	c.dir = dir
	if err := c.init(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

func (c *cluster) init() error {
	if c.cred != nil {
		if err := os.Chown(c.dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return err
		}
	}
	password := randomHex(16)
	pwfile := filepath.Join(c.dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(password+"\n"), 0o600); err != nil {
		return err
	}
	if c.cred != nil {
		if err := os.Chown(pwfile, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return err
		}
	}
	data := filepath.Join(c.dir, "data")
	if out, err := c.run("initdb", "-D", data, "-U", "postgres", "--pwfile", pwfile,
		"--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8", "--no-instructions"); err != nil {
		return fmt.Errorf("initdb: %v: %s", err, lastLines(out))
	}
	os.Remove(pwfile)
	port, err := freePort()
	if err != nil {
		return err
	}
	c.port = port
	if err := c.startServer(); err != nil {
		return err
	}
	c.adminDSN = (&url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword("postgres", password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		Path:     "/postgres",
		RawQuery: "sslmode=disable",
	}).String()
	return nil
}

// startServer starts the server on the cluster's data and port.
func (c *cluster) startServer() error {
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c max_connections=200 -c shared_buffers=64MB", c.port, c.dir)
	if out, err := c.run("pg_ctl", "start", "-w", "-t", "60", "-D", filepath.Join(c.dir, "data"), "-l", filepath.Join(c.dir, "log"), "-o", opts); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		return fmt.Errorf("pg_ctl start: %v: %s %s", err, lastLines(out), lastLines(log))
	}
	return nil
}

func (c *cluster) stop() {
	c.run("pg_ctl", "stop", "-m", "immediate", "-D", filepath.Join(c.dir, "data"))
	os.RemoveAll(c.dir)
}

func (c *cluster) run(tool string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(c.bin, tool), args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd.CombinedOutput()
}

// findBin finds the directory of a working initdb: on PATH, or in Debian's
// versioned directories, newest first.
func findBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("initdb not found on PATH or in /usr/lib/postgresql/*/bin")
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func lastLines(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.Join(lines, " | ")
}
