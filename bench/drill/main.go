// Command drill measures a breach drill through ward's rotation domain
// (package rotate) against a real PostgreSQL: a prefix holding N secrets —
// KV secrets of mixed types and S PostgreSQL static roles (two alternating
// users each) — and L live database leases, all taken as compromised:
// leases revoked (their users dropped), tokens that read the prefix
// revoked, every secret rotated with no overlap, each old credential
// checked dead (a PostgreSQL login with the old static password fails) and
// each new one working.
//
//	go run ./bench/drill -dsn 'postgres://postgres:PW@127.0.0.1:5432/postgres?sslmode=disable'
//
// The DSN (or $WARD_BENCH_PG_DSN) is a superuser's; the run makes its own
// database, admin and users and drops them at the end. The database engine
// and leases run over the barrier on bbolt with fsync, as a server's
// would. The KV side runs over package rotatetest's in-memory Store and
// Target, since the vault does not implement rotate.Store yet: KV figures
// measure the rotation logic, not ward's KV storage.
//
// Reference, measured after ward's drill in the same run: the PostgreSQL
// work alone, sent straight through pgx by the admin — as many users
// dropped as there were leases, and for each static role the new
// password set and the old user's password cleared — with no ward in
// between. The ratio ward/reference is what compares across machines.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardhq/ward/internal/barrier"
	"github.com/wardhq/ward/internal/dbengine"
	"github.com/wardhq/ward/internal/lease"
	"github.com/wardhq/ward/internal/rotate"
	"github.com/wardhq/ward/internal/rotate/rotatetest"
	"github.com/wardhq/ward/internal/storage/bolt"
)

func main() {
	dsn := flag.String("dsn", os.Getenv("WARD_BENCH_PG_DSN"), "superuser connection string of the PostgreSQL to use ($WARD_BENCH_PG_DSN)")
	secrets := flag.Int("secrets", 100, "secrets under the prefix, static roles included")
	static := flag.Int("static", 20, "of which PostgreSQL static roles")
	leases := flag.Int("leases", 1000, "live database leases under the prefix")
	tokens := flag.Int("tokens", 50, "tokens that read the prefix")
	format := flag.String("format", "text", "the drill report: text or json")
	flag.Parse()
	if *dsn == "" {
		fail("no PostgreSQL: give -dsn or set WARD_BENCH_PG_DSN (a superuser's connection string)")
	}
	if *static > *secrets {
		fail("-static must be at most -secrets")
	}
	ctx := context.Background()
	b, err := setup(ctx, *dsn)
	if err != nil {
		fail(err.Error())
	}
	atExit = b.close
	defer b.close()

	t0 := time.Now()
	if err := b.populate(ctx, *secrets-*static, *static, *leases, *tokens); err != nil {
		fail(err.Error())
	}
	fmt.Printf("drill: %d secrets (%d static roles), %d leases, %d tokens; set up in %s\n",
		*secrets, *static, *leases, *tokens, time.Since(t0).Round(time.Millisecond))

	d := rotate.NewDriller(rotate.DrillConfig{
		Engines: []rotate.Engine{b.kv, b.static},
		Leases:  &rotate.LeaseManager{M: b.leases, Envs: []lease.Env{b.env}},
		Readers: b.readers,
	})
	start := time.Now()
	rep, err := d.Run(ctx, rotate.DrillRequest{Env: b.env.Name, Prefix: "", Since: t0.Add(-time.Hour)})
	if err != nil {
		fail(err.Error())
	}
	wardTook := time.Since(start)
	if *format == "json" {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
	} else {
		rep.WriteText(os.Stdout)
	}
	bad := 0
	for _, s := range rep.Secrets {
		if s.Action == "failed" || s.Action == "rotated" && !strings.Contains(s.Verified, "new works") {
			bad++
		}
	}
	if left := b.leftUsers(ctx); left != 0 {
		fail(fmt.Sprintf("%d leased users left in pg_roles after the drill", left))
	}

	ref, err := b.reference(ctx, *leases, *static)
	if err != nil {
		fail(err.Error())
	}
	fmt.Printf("\nward drill: %s   reference (the PostgreSQL work alone): %s   ratio %.2f   failed secrets: %d\n",
		wardTook.Round(time.Millisecond), ref.Round(time.Millisecond), wardTook.Seconds()/ref.Seconds(), bad)
	if bad > 0 {
		fail("some secrets failed")
	}
}

type bench struct {
	superDSN, dbDSN string
	dbName, admin   string
	suffix          string
	dir             string
	store           *bolt.DB
	env             lease.Env
	leases          *lease.Manager
	engine          *dbengine.Engine
	kv              *rotate.Rotator
	static          *rotate.StaticRoles
	readers         *rotatetest.Readers
	users           []string // static users, dropped at the end
}

func setup(ctx context.Context, dsn string) (*bench, error) {
	suffix := randHex(4)
	b := &bench{superDSN: dsn, suffix: suffix, env: lease.Env{Name: "drill-" + suffix, ID: "drillenv"}}
	b.dbName, b.admin = "drill_"+suffix, "drill_admin_"+suffix
	adminPw := randHex(16)
	for _, stmt := range []string{"CREATE DATABASE " + b.dbName, "CREATE ROLE " + b.admin + " WITH SUPERUSER LOGIN PASSWORD '" + adminPw + "'"} {
		if err := exec(ctx, dsn, stmt); err != nil {
			return nil, err
		}
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, fmt.Errorf("-dsn must be a postgres:// URL: %v", err)
	}
	dbURL := *u
	dbURL.Path = "/" + b.dbName
	b.dbDSN = dbURL.String()
	if err := exec(ctx, b.dbDSN, "CREATE TABLE items (id int); CREATE ROLE drill_readers_"+suffix+"; GRANT SELECT ON items TO drill_readers_"+suffix); err != nil {
		return nil, err
	}
	if b.dir, err = os.MkdirTemp("", "drill-"); err != nil {
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
	if err := b.engine.WriteConfig(ctx, b.env, "main", dbengine.ConnConfig{PluginName: dbengine.PluginPostgreSQL,
		ConnectionURL: conn, AllowedRoles: []string{"*"}, Username: b.admin, Password: adminPw, MaxOpenConnections: 8}); err != nil {
		return nil, err
	}
	store := rotatetest.NewStore()
	target := rotatetest.NewTarget(false)
	b.kv = rotate.New(rotate.Config{Store: store, Targets: func(*rotate.Secret) rotate.Target { return target }})
	b.static = &rotate.StaticRoles{DB: b.engine, Envs: []lease.Env{b.env}, Owner: func(string, string) string { return "team-db" }}
	b.readers = rotatetest.NewReaders()
	kvSeed = func(path string, meta rotate.Meta, v map[string]any) {
		store.Put(b.env.Name, path, meta, v)
		target.Seed(b.env.Name, path, v)
	}
	return b, nil
}

var kvSeed func(path string, meta rotate.Meta, v map[string]any)

// populate writes kv secrets of mixed types, static roles, leases and
// reads.
func (b *bench) populate(ctx context.Context, kv, static, leases, tokens int) error {
	for i := range kv {
		path := fmt.Sprintf("app/kv-%03d", i)
		switch i % 10 {
		case 0, 1, 2:
			kvSeed(path, rotate.Meta{Type: "password", Owner: "team-app"}, map[string]any{"username": "svc", "password": randHex(16)})
		case 3, 4, 5:
			kvSeed(path, rotate.Meta{Type: "api-token", Owner: "team-app"}, map[string]any{"token": randHex(20)})
		case 6, 7:
			kvSeed(path, rotate.Meta{Type: "jwt-signing-key", Owner: "team-auth"}, map[string]any{"algorithm": "HS256", "key": randHex(32), "kid": "k0"})
		case 8:
			kvSeed(path, rotate.Meta{Type: "jwt-signing-key", Owner: "team-auth"}, map[string]any{"algorithm": "ES256", "key": "placeholder", "kid": "k0"})
		default:
			kvSeed(path, rotate.Meta{Type: "tls", Owner: "team-edge"}, map[string]any{"cert": "c", "key": "k"})
		}
	}
	for i := range static {
		name := fmt.Sprintf("static-%02d", i)
		a, c := fmt.Sprintf("drill_%s_s%02d_a", b.suffix, i), fmt.Sprintf("drill_%s_s%02d_b", b.suffix, i)
		for _, u := range []string{a, c} {
			if err := exec(ctx, b.dbDSN, "CREATE ROLE "+u+" WITH LOGIN; GRANT SELECT ON items TO "+u); err != nil {
				return err
			}
			b.users = append(b.users, u)
		}
		if err := b.engine.WriteStaticRole(ctx, b.env, name, dbengine.StaticRole{DBName: "main", Username: a, AlternateUsername: c}, time.Now()); err != nil {
			return err
		}
	}
	if err := b.engine.WriteRole(ctx, b.env, "app", dbengine.Role{DBName: "main", DefaultTTL: time.Hour, MaxTTL: 24 * time.Hour,
		CreationStatements: []string{`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE drill_readers_` + b.suffix}}); err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < leases; i += 8 {
				if _, err := b.engine.Creds(ctx, b.env, "app", dbengine.Requester{Token: fmt.Sprint("tok-", i%tokens)}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	for i := range tokens {
		b.readers.Read(b.env.Name, fmt.Sprintf("app/kv-%03d", i%max(kv, 1)), fmt.Sprint("acc-", i), fmt.Sprint("ci:job-", i), time.Now())
	}
	return nil
}

// leftUsers counts the leased users still in pg_roles.
func (b *bench) leftUsers(ctx context.Context) int {
	conn, err := pgx.Connect(ctx, b.superDSN)
	if err != nil {
		return -1
	}
	defer conn.Close(ctx)
	var n int
	conn.QueryRow(ctx, `SELECT count(*) FROM pg_roles WHERE starts_with(rolname, $1)`, "v-"+b.env.Name).Scan(&n)
	return n
}

// reference makes n users (untimed), then times dropping them and the
// static roles' password changes, straight through pgx.
func (b *bench) reference(ctx context.Context, n, static int) (time.Duration, error) {
	conn, err := pgx.Connect(ctx, b.dbDSN)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	var names []string
	for i := range n {
		names = append(names, fmt.Sprintf(`"ref_%s_%04d"`, b.suffix, i))
	}
	for i := 0; i < n; i += 256 {
		var sb strings.Builder
		for _, nm := range names[i:min(i+256, n)] {
			fmt.Fprintf(&sb, "CREATE ROLE %s WITH LOGIN PASSWORD '%s' IN ROLE drill_readers_%s;", nm, randHex(16), b.suffix)
		}
		if _, err := conn.Exec(ctx, sb.String()); err != nil {
			return 0, err
		}
	}
	start := time.Now()
	for i := 0; i < n; i += 1024 {
		var sb strings.Builder
		sb.WriteString("BEGIN;")
		for _, nm := range names[i:min(i+1024, n)] {
			fmt.Fprintf(&sb, "DROP ROLE %s;", nm)
		}
		sb.WriteString("COMMIT;")
		if _, err := conn.Exec(ctx, sb.String()); err != nil {
			return 0, err
		}
	}
	for i := range static {
		u := b.users[2*i]
		if _, err := conn.Exec(ctx, fmt.Sprintf(`ALTER ROLE %s WITH LOGIN PASSWORD '%s'`, u, randHex(16))); err != nil {
			return 0, err
		}
		if _, err := conn.Exec(ctx, fmt.Sprintf(`ALTER ROLE %s WITH PASSWORD NULL`, b.users[2*i+1])); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

func (b *bench) close() {
	ctx := context.Background()
	if b.leases != nil {
		b.leases.RevokeEnv(ctx, b.env.ID)
	}
	if b.engine != nil {
		b.engine.Close()
	}
	if b.store != nil {
		b.store.Close()
	}
	if b.dir != "" {
		os.RemoveAll(b.dir)
	}
	exec(ctx, b.superDSN, "DROP DATABASE IF EXISTS "+b.dbName+" WITH (FORCE)")
	for _, u := range append(b.users, "drill_readers_"+b.suffix, b.admin) {
		exec(ctx, b.superDSN, "DROP ROLE IF EXISTS "+u)
	}
}

func exec(ctx context.Context, dsn, sql string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("connecting: %w", err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// atExit, when set, drops what the run made before fail exits.
var atExit func()

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "drill:", msg)
	if atExit != nil {
		atExit()
	}
	os.Exit(1)
}
