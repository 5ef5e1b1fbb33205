// Command dbcreds measures ward's database engine against a real
// PostgreSQL: how many credentials it issues per second at C clients
// (with latency percentiles), and how long revoke-prefix of N live leases
// takes until every user is gone from pg_roles.
//
//	go run ./bench/dbcreds -dsn postgres://postgres:PW@127.0.0.1:5432/postgres?sslmode=disable
//
// The DSN (or $WARD_BENCH_PG_DSN) is a superuser's; the benchmark makes a
// database and an admin role of its own and drops them at the end. It
// drives the engine through its domain API (package dbengine over
// package lease, the barrier and bbolt storage with fsync, as a server
// would), not over HTTP.
//
// Each round measures ward and, interleaved, a reference on the same
// database: the same creation (or revocation) statements sent straight
// to PostgreSQL through pgx by the same number of clients, with no ward in
// between. The ratio ward/reference is what to compare across machines.
//
// With -http it measures ward as a user gets it instead: it builds ward,
// starts a `ward dev` of its own (bbolt with fsync, the audit log on) and
// sends the same requests over HTTP, one token per client, against the
// same reference:
//
//	go run ./bench/dbcreds -dsn ... -http -c 16 -d 10s -rounds 3
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wardhq/ward/bench/internal/loadgen"
	"github.com/wardhq/ward/internal/barrier"
	"github.com/wardhq/ward/internal/dbengine"
	"github.com/wardhq/ward/internal/lease"
	"github.com/wardhq/ward/internal/storage/bolt"
)

func main() {
	dsn := flag.String("dsn", os.Getenv("WARD_BENCH_PG_DSN"), "superuser connection string of the PostgreSQL to use ($WARD_BENCH_PG_DSN)")
	clients := flag.Int("c", 16, "concurrent clients")
	dur := flag.Duration("d", 10*time.Second, "how long each issue round runs")
	n := flag.Int("n", 1000, "live leases revoked by each revoke-prefix round")
	rounds := flag.Int("rounds", 3, "rounds, each measuring ward and the reference")
	grant := flag.String("grant", "group", `"group": users join a group role holding the grants (IN ROLE); "table": each user is granted SELECT on a table`)
	scram := flag.Bool("scram", false, "password_authentication scram-sha-256: ward computes the verifier, the reference sends one too")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the ward rounds to this file (with -http: of the ward dev process, for the whole run)")
	overHTTP := flag.Bool("http", false, "drive a `ward dev` built from this checkout over HTTP instead of the engine's domain API")
	flag.Parse()
	if *dsn == "" {
		fail("no PostgreSQL: give -dsn or set WARD_BENCH_PG_DSN (a superuser's connection string)")
	}
	if *grant != "group" && *grant != "table" {
		fail("-grant is group or table")
	}
	ctx := context.Background()
	b, err := newBench(ctx, *dsn, *clients, *grant, *scram)
	if err != nil {
		fail(err.Error())
	}
	atExit = b.close
	defer b.close()
	mode := "through the domain API"
	if *overHTTP {
		t, err := newHTTPTarget(ctx, b.env.Name, *clients, b.connURL, b.admin, b.adminPw, b.refStmts, *cpuprofile)
		if err != nil {
			fail(err.Error())
		}
		b.http = t
		mode = t.describe()
	}
	fmt.Printf("dbcreds: %d clients, %s per issue round, revoke-prefix of %d, grants by %s, %d rounds, %s\n", *clients, *dur, *n, *grant, *rounds, mode)
	var wardRate, refRate, wardRevoke, refRevoke []float64
	for r := range *rounds {
		res := loadgen.Run(*clients, *dur, b.issueRef)
		report(r, "reference issue", res)
		refRate = append(refRate, okRate(res))
		b.cleanRef(ctx)

		if *cpuprofile != "" && b.http == nil {
			f, err := os.Create(*cpuprofile)
			if err != nil {
				fail(err.Error())
			}
			pprof.StartCPUProfile(f)
		}
		res = loadgen.Run(*clients, *dur, b.issueWard)
		pprof.StopCPUProfile()
		report(r, "ward issue     ", res)
		if e := b.firstErr.Load(); e != nil {
			fmt.Println("  first error:", e)
		}
		wardRate = append(wardRate, okRate(res))
		if _, err := b.revokeWardPrefix(ctx); err != nil {
			fail("cleaning up: " + err.Error())
		}

		rt, err := b.revokeRef(ctx, *n)
		if err != nil {
			fail(err.Error())
		}
		fmt.Printf("round %d  reference revoke %d: %.3f s until gone from pg_roles (returned at %.3f s)\n", r+1, *n, rt.gone.Seconds(), rt.returned.Seconds())
		refRevoke = append(refRevoke, rt.gone.Seconds())
		rt, err = b.revokeWard(ctx, *n)
		if err != nil {
			fail(err.Error())
		}
		fmt.Printf("round %d  ward revoke-prefix %d: %.3f s until gone from pg_roles (returned at %.3f s)\n", r+1, *n, rt.gone.Seconds(), rt.returned.Seconds())
		wardRevoke = append(wardRevoke, rt.gone.Seconds())
	}
	fmt.Printf("median: ward issues %.0f creds/s, reference %.0f/s (ratio %.2f); ward revoke-prefix %.3f s, reference %.3f s (ratio %.2f)\n",
		median(wardRate), median(refRate), median(wardRate)/median(refRate),
		median(wardRevoke), median(refRevoke), median(wardRevoke)/median(refRevoke))
}

var admin = lease.Caller{Token: "bench-admin", Admin: true}

type bench struct {
	superDSN string
	dbName   string
	admin    string
	dir      string
	store    *bolt.DB
	leases   *lease.Manager
	engine   *dbengine.Engine
	env      lease.Env
	ref      *pgxpool.Pool // the reference: straight to PostgreSQL as the admin
	grant    string
	refStmts []string // the role's creation statements
	suffix   string
	scram    bool
	connURL  string      // the config's connection_url, with {{username}}/{{password}}
	adminPw  string      // the admin's password
	http     *httpTarget // -http: ward dev over HTTP instead of the domain API
	refSeq   atomic.Int64
	firstErr atomic.Value // the first error of an issue call, for the report
}

func newBench(ctx context.Context, dsn string, clients int, grant string, scram bool) (*bench, error) {
	suffix := randHex(4)
	// Names carry the run's suffix, so that runs never touch each other's.
	b := &bench{superDSN: dsn, grant: grant, scram: scram, env: lease.Env{Name: "bench-" + suffix, ID: "benchenv"}, suffix: suffix}
	b.dbName, b.admin = "dbcreds_"+suffix, "dbcreds_admin_"+suffix
	adminPw := randHex(16)
	b.adminPw = adminPw
	for _, stmt := range []string{
		"CREATE DATABASE " + b.dbName,
		"CREATE ROLE " + b.admin + " WITH SUPERUSER LOGIN PASSWORD '" + adminPw + "'",
	} {
		if err := b.super(ctx, dsn, stmt); err != nil {
			return nil, err
		}
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, fmt.Errorf("-dsn must be a postgres:// URL: %v", err)
	}
	dbURL := *u
	dbURL.Path = "/" + b.dbName
	if err := b.super(ctx, dbURL.String(), "CREATE TABLE items (id int); CREATE ROLE dbcreds_readers_"+suffix+"; GRANT SELECT ON items TO dbcreds_readers_"+suffix); err != nil {
		return nil, err
	}

	if b.dir, err = os.MkdirTemp("", "dbcreds-"); err != nil {
		return nil, err
	}
	if b.store, err = bolt.Open(filepath.Join(b.dir, "ward.db"), bolt.Options{}); err != nil {
		return nil, err
	}
	bar := barrier.New(barrier.Config{Storage: b.store})
	shares, err := bar.Init(ctx, 1, 1)
	if err != nil {
		return nil, err
	}
	if _, err := bar.Unseal(ctx, shares[0]); err != nil {
		return nil, err
	}
	if err := bar.CreateEnvKey(ctx, b.env.ID); err != nil {
		return nil, err
	}
	quiet := slog.New(slog.DiscardHandler)
	b.leases = lease.New(lease.Config{Storage: bar, Logger: quiet})
	b.engine = dbengine.New(dbengine.Config{Storage: bar, Leases: b.leases, Logger: quiet})

	tmpl := dbURL
	tmpl.User = nil
	conn := strings.Replace(tmpl.String(), "postgres://", "postgres://{{username}}:{{password}}@", 1)
	b.connURL = conn
	auth := dbengine.PasswordAuthPlain
	if scram {
		auth = dbengine.PasswordAuthSCRAM
	}
	err = b.engine.WriteConfig(ctx, b.env, "main", dbengine.ConnConfig{
		PluginName: dbengine.PluginPostgreSQL, ConnectionURL: conn, AllowedRoles: []string{"app"},
		Username: b.admin, Password: adminPw, MaxOpenConnections: clients,
		PasswordAuthentication: auth,
	})
	if err != nil {
		return nil, err
	}
	b.refStmts = b.creation("dbcreds_readers_" + suffix)
	if err := b.engine.WriteRole(ctx, b.env, "app", dbengine.Role{
		DBName: "main", CreationStatements: b.refStmts,
		DefaultTTL: time.Hour, MaxTTL: 24 * time.Hour,
	}); err != nil {
		return nil, err
	}
	adminURL := dbURL
	adminURL.User = url.UserPassword(b.admin, adminPw)
	pc, err := pgxpool.ParseConfig(adminURL.String())
	if err != nil {
		return nil, err
	}
	pc.MaxConns = int32(clients)
	if b.ref, err = pgxpool.NewWithConfig(ctx, pc); err != nil {
		return nil, err
	}
	return b, nil
}

// creation is the role's creation statements, and the reference's.
func (b *bench) creation(group string) []string {
	create := `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'`
	if b.grant == "group" {
		return []string{create + ` IN ROLE ` + group}
	}
	return []string{create, `GRANT SELECT ON items TO "{{name}}"`}
}

func (b *bench) issueWard(ctx context.Context, client, _ int) error {
	if b.http != nil {
		err := b.http.issue(ctx, client)
		if err != nil && ctx.Err() == nil {
			b.firstErr.CompareAndSwap(nil, err.Error())
		}
		return err
	}
	tok := fmt.Sprintf("bench-token-%d", client)
	_, err := b.engine.Creds(ctx, b.env, "app", dbengine.Requester{Token: tok, Identity: "bench:" + tok})
	if err != nil && ctx.Err() == nil {
		b.firstErr.CompareAndSwap(nil, err.Error())
	}
	return err
}

// refStatements renders the creation statements as ward would for a user
// of the reference (named r-bench-…).
func (b *bench) refStatements(name string) []string {
	exp := time.Now().Add(time.Hour).UTC().Format("2006-01-02 15:04:05-0700")
	out := make([]string, len(b.refStmts))
	for i, s := range b.refStmts {
		out[i] = strings.NewReplacer("{{name}}", name, "{{password}}", b.refPassword(), "{{expiration}}", exp).Replace(s)
	}
	return out
}

// refPassword is what the reference puts in PASSWORD '…': a password, or
// with -scram a fixed SCRAM verifier (the reference does not compute one,
// so it measures the database alone).
func (b *bench) refPassword() string {
	if b.scram {
		return "SCRAM-SHA-256$4096:c2FsdHNhbHRzYWx0c2FsdA==$ZmFrZWZha2VmYWtlZmFrZWZha2VmYWtlZmFrZWZha2U=:ZmFrZWZha2VmYWtlZmFrZWZha2VmYWtlZmFrZWZha2U="
	}
	return randHex(16)
}

func (b *bench) issueRef(ctx context.Context, _, _ int) error {
	name := fmt.Sprintf("r-%s-app-%d-%s", b.suffix, b.refSeq.Add(1), randHex(3))
	tx, err := b.ref.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	for _, s := range b.refStatements(name) {
		if _, err := tx.Exec(ctx, s); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// refNames lists the reference's users.
func (b *bench) refNames(ctx context.Context) ([]string, error) {
	rows, err := b.ref.Query(ctx, `SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1)`, "r-"+b.suffix+"-")
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// cleanRef drops every user the reference made.
func (b *bench) cleanRef(ctx context.Context) {
	names, err := b.refNames(ctx)
	if err != nil {
		fail(err.Error())
	}
	if err := b.dropRef(ctx, names); err != nil {
		fail(err.Error())
	}
}

// dropRef drops users in batches of 1,024, as ward's engine does.
func (b *bench) dropRef(ctx context.Context, names []string) error {
	for start := 0; start < len(names); start += 1024 {
		part := names[start:min(start+1024, len(names))]
		ids := make([]string, len(part))
		for i, n := range part {
			ids[i] = pgx.Identifier{n}.Sanitize()
		}
		list := strings.Join(ids, ", ")
		if _, err := b.ref.Exec(ctx, "BEGIN; DROP OWNED BY "+list+"; DROP ROLE "+list+"; COMMIT"); err != nil {
			return err
		}
	}
	return nil
}

// fill issues n users with 16 clients through issue, retrying failures.
func fill(ctx context.Context, n, clients int, issue func(context.Context, int, int) error) error {
	var left atomic.Int64
	left.Store(int64(n))
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for left.Add(-1) >= 0 {
				var err error
				for range 20 { // GRANTs on one table race (-grant table): try again
					if err = issue(ctx, c, 0); err == nil {
						break
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func (b *bench) revokeRef(ctx context.Context, n int) (revokeTimes, error) {
	if err := fill(ctx, n, 16, b.issueRef); err != nil {
		return revokeTimes{}, err
	}
	// A call cut off at the end of an issue round may have committed
	// after that round's clean-up: count at least n.
	names, err := b.refNames(ctx)
	if err != nil || len(names) < n {
		return revokeTimes{}, fmt.Errorf("reference made %d users, want %d: %v", len(names), n, err)
	}
	return b.timeRevoke(ctx, "r-"+b.suffix+"-", func() error { return b.dropRef(ctx, names) })
}

func (b *bench) revokeWard(ctx context.Context, n int) (revokeTimes, error) {
	// Leases spread over many tokens, as many CI jobs would hold them.
	if err := fill(ctx, n, 16, func(ctx context.Context, c, _ int) error { return b.issueWard(ctx, int(b.refSeq.Add(1)%64), 0) }); err != nil {
		return revokeTimes{}, err
	}
	return b.timeRevoke(ctx, b.userPrefix(), func() error {
		got, err := b.revokeWardPrefix(ctx)
		if err == nil && got >= 0 && got < n {
			err = fmt.Errorf("revoke-prefix revoked %d leases, want %d", got, n)
		}
		return err
	})
}

// revokeWardPrefix revokes every lease of role app through ward and
// returns how many it revoked (-1 over HTTP, which does not say).
func (b *bench) revokeWardPrefix(ctx context.Context) (int, error) {
	if b.http != nil {
		return b.http.revokePrefix(ctx)
	}
	return b.leases.RevokePrefix(ctx, admin, b.env.Name+"/database/creds/app")
}

// userPrefix starts the name of every user ward makes for role app.
func (b *bench) userPrefix() string {
	if b.http != nil {
		return b.http.userPrefix()
	}
	return "v-" + b.env.Name + "-app-"
}

// timeRevoke runs revoke and returns how long it took until no user named
// prefix… was left in pg_roles, watched from another connection while
// revoke runs, and until revoke returned.
func (b *bench) timeRevoke(ctx context.Context, prefix string, revoke func() error) (revokeTimes, error) {
	t0 := time.Now()
	gone := make(chan error, 1)
	var goneAt time.Duration
	go func() {
		d, err := b.untilGone(ctx, prefix, t0)
		goneAt = d
		gone <- err
	}()
	err := revoke()
	returned := time.Since(t0)
	if gerr := <-gone; err == nil {
		err = gerr
	}
	return revokeTimes{gone: goneAt, returned: returned}, err
}

type revokeTimes struct{ gone, returned time.Duration }

// untilGone waits until no user named prefix… is in pg_roles and returns
// the time since t0.
func (b *bench) untilGone(ctx context.Context, prefix string, t0 time.Time) (time.Duration, error) {
	for {
		var left int
		if err := b.ref.QueryRow(ctx, `SELECT count(*) FROM pg_roles WHERE starts_with(rolname, $1)`, prefix).Scan(&left); err != nil {
			return 0, err
		}
		if left == 0 {
			return time.Since(t0), nil
		}
		if time.Since(t0) > time.Minute {
			return 0, fmt.Errorf("%d users %s… still in pg_roles after a minute", left, prefix)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (b *bench) close() {
	ctx := context.Background()
	if b.http != nil {
		b.http.close()
	}
	b.leases.RevokePrefix(ctx, admin, b.env.Name)
	if names, err := b.refNames(ctx); err == nil {
		b.dropRef(ctx, names)
	}
	b.engine.Close()
	b.ref.Close()
	b.store.Close()
	os.RemoveAll(b.dir)
	b.super(ctx, b.superDSN, "DROP DATABASE IF EXISTS "+b.dbName+" WITH (FORCE)")
	b.super(ctx, b.superDSN, "DROP ROLE IF EXISTS dbcreds_readers_"+strings.TrimPrefix(b.dbName, "dbcreds_"))
	b.super(ctx, b.superDSN, "DROP ROLE IF EXISTS "+b.admin)
}

func (b *bench) super(ctx context.Context, dsn, stmt string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("connecting as the superuser: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, stmt); err != nil {
		return fmt.Errorf("setting up: %w", err)
	}
	return nil
}

func report(round int, what string, r *loadgen.Result) {
	fmt.Printf("round %d  %s: %6.0f creds/s  p50 %s  p99 %s  failed calls %d (not counted)\n",
		round+1, what, okRate(r), loadgen.Ms(r.Percentile(0.50)), loadgen.Ms(r.Percentile(0.99)), r.Errors)
}

// okRate is credentials made per second: calls that succeeded.
func okRate(r *loadgen.Result) float64 {
	return float64(len(r.Lat)-r.Errors) / r.Wall.Seconds()
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// atExit, when set, drops what the run made before fail exits.
var atExit func()

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "dbcreds:", msg)
	if atExit != nil {
		atExit()
	}
	os.Exit(1)
}
