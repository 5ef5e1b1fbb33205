package dbengine_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wardhq/ward/internal/barrier"
	"github.com/wardhq/ward/internal/dbengine"
	"github.com/wardhq/ward/internal/lease"
	"github.com/wardhq/ward/internal/lease/leasetest"
	"github.com/wardhq/ward/internal/pgtest"
	"github.com/wardhq/ward/internal/storage/memory"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var (
	ctx     = context.Background()
	staging = lease.Env{Name: "staging", ID: "5a1b2c"}
	prod    = lease.Env{Name: "prod", ID: "9f8e7d"}
	// t0 is the fake clock's start: now, since PostgreSQL checks VALID
	// UNTIL against its own clock.
	t0 = time.Now().UTC().Truncate(time.Second)
)

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type fixture struct {
	t        *testing.T
	dsn      string // the test database, as the cluster's superuser
	host     string // host:port
	db       string
	admin    string // a superuser made for the test, the engine's admin
	adminPw  string
	clock    *leasetest.Clock
	mem      *memory.Backend
	b        *barrier.Barrier
	leases   *lease.Manager
	e        *dbengine.Engine
	logs     *syncBuffer
	leaseCfg lease.Config
}

func newFixture(t *testing.T, tune ...func(*lease.Config)) *fixture {
	t.Helper()
	dsn := pgtest.Database(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, dsn: dsn, host: u.Host, db: strings.TrimPrefix(u.Path, "/"), clock: leasetest.NewClock(t0), logs: &syncBuffer{}}
	f.admin = "ward_admin_" + strings.ToLower(randomWord(t))
	f.adminPw = "adminpw-" + randomWord(t)
	f.sql(fmt.Sprintf(`CREATE ROLE %s WITH SUPERUSER LOGIN PASSWORD '%s'`, f.admin, f.adminPw))
	t.Cleanup(func() {
		// Revoke everything the engine made, then its admin.
		f.leases.RevokeEnv(ctx, staging.ID)
		f.leases.RevokeEnv(ctx, prod.ID)
		f.e.Close()
		f.sqlQuiet(`DROP OWNED BY ` + f.admin)
		f.sqlQuiet(`DROP ROLE IF EXISTS ` + f.admin)
	})
	b, mem := leasetest.Barrier(t, staging.ID, prod.ID)
	f.mem, f.b = mem, b
	logger := slog.New(slog.NewTextHandler(f.logs, nil))
	f.leaseCfg = lease.Config{
		Storage: b, Now: f.clock.Now, After: f.clock.After,
		RetryBase: time.Second, RetryMax: 4 * time.Second, Logger: logger,
	}
	for _, fn := range tune {
		fn(&f.leaseCfg)
	}
	f.leases = lease.New(f.leaseCfg)
	f.e = dbengine.New(dbengine.Config{Storage: b, Leases: f.leases, Logger: logger, ConnectTimeout: 3 * time.Second})
	f.sql(`CREATE TABLE items (id int PRIMARY KEY, name text)`)
	f.sql(`INSERT INTO items VALUES (1, 'one')`)
	return f
}

func randomWord(t *testing.T) string {
	s, err := dbengine.RandomString(rand.Reader, 8, "abcdefghijklmnopqrstuvwxyz0123456789")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// url returns a connection URL template to the test database.
func (f *fixture) url() string {
	return "postgres://{{username}}:{{password}}@" + f.host + "/" + f.db + "?sslmode=disable"
}

func (f *fixture) config() dbengine.ConnConfig {
	return dbengine.ConnConfig{
		PluginName: dbengine.PluginPostgreSQL, ConnectionURL: f.url(),
		AllowedRoles: []string{"app", "ro", "bad"}, Username: f.admin, Password: f.adminPw,
	}
}

var appRole = dbengine.Role{
	DBName: "main",
	CreationStatements: []string{
		`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'`,
		`GRANT SELECT ON items TO "{{name}}"`,
	},
	DefaultTTL: time.Hour, MaxTTL: 4 * time.Hour,
}

// setup writes config "main" and role "app" in env.
func (f *fixture) setup(env lease.Env) {
	f.t.Helper()
	if err := f.e.WriteConfig(ctx, env, "main", f.config()); err != nil {
		f.t.Fatalf("WriteConfig: %v", err)
	}
	if err := f.e.WriteRole(ctx, env, "app", appRole); err != nil {
		f.t.Fatalf("WriteRole: %v", err)
	}
}

func (f *fixture) creds(env lease.Env, role, token string) *dbengine.Creds {
	f.t.Helper()
	c, err := f.e.Creds(ctx, env, role, dbengine.Requester{Token: token, Identity: "ci:" + token})
	if err != nil {
		f.t.Fatalf("Creds(%s, %s): %v", env.Name, role, err)
	}
	return c
}

func (f *fixture) sql(stmt string, args ...any) {
	f.t.Helper()
	if err := f.exec(stmt, args...); err != nil {
		f.t.Fatalf("%s: %v", stmt, err)
	}
}

func (f *fixture) sqlQuiet(stmt string) { f.exec(stmt) }

func (f *fixture) exec(stmt string, args ...any) error {
	conn, err := pgx.Connect(ctx, f.dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, stmt, args...)
	return err
}

// roleExists reports whether name is in pg_roles.
func (f *fixture) roleExists(name string) bool {
	f.t.Helper()
	conn, err := pgx.Connect(ctx, f.dsn)
	if err != nil {
		f.t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_roles WHERE rolname = $1`, name).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n == 1
}

// rolesLike counts roles whose name starts with prefix.
func (f *fixture) rolesLike(prefix string) int {
	f.t.Helper()
	conn, err := pgx.Connect(ctx, f.dsn)
	if err != nil {
		f.t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_roles WHERE starts_with(rolname, $1)`, prefix).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// login connects over TCP as user with password.
func (f *fixture) login(user, password string) (*pgx.Conn, error) {
	u := &url.URL{Scheme: "postgres", User: url.UserPassword(user, password), Host: f.host, Path: "/" + f.db, RawQuery: "sslmode=disable&connect_timeout=5"}
	return pgx.Connect(ctx, u.String())
}

func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// deadURL is a connection URL template to a port nothing listens on.
func deadURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "postgres://{{username}}:{{password}}@" + addr + "/x?sslmode=disable"
}

// randReader is crypto/rand as an io.Reader value.
type randReader struct{}

func (randReader) Read(p []byte) (int, error) { return rand.Read(p) }
