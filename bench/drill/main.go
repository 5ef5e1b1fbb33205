// Command drill measures a breach drill through the real ward server
// against a real PostgreSQL: it builds ward, starts `ward dev` on a
// loopback port, and fills environment staging with, under the prefix
// "database", N secrets — KV secrets of mixed types (password, api-token,
// jwt-signing-key HS256 and ES256, and every tenth one untyped, which
// needs a person) and S PostgreSQL static roles (two alternating users
// each) — L live database leases (database/creds/app) and T tokens that
// read the prefix. Then `POST sys/ward/drill/staging` takes them all as
// compromised: leases revoked (their users dropped), tokens revoked, every
// secret rotated with no overlap, each old credential checked dead (a
// PostgreSQL login with the old static password fails) and each new one
// working. The drill's own report gives the per-step times.
//
//	go run ./bench/drill -dsn 'postgres://postgres:PW@127.0.0.1:5432/postgres?sslmode=disable'
//
// The DSN (or $WARD_BENCH_PG_DSN) is a superuser's; the run makes its own
// database, admin and users and drops them at the end.
//
// Reference, measured after ward's drill in the same run: the PostgreSQL
// work alone, sent straight through pgx by the admin — as many users
// dropped as there were leases, and for each static role the new
// password set and the old user's password cleared — with no ward in
// between. The ratio ward/reference is what compares across machines.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardhq/ward/bench/internal/devserver"
	"github.com/wardhq/ward/client"
	"github.com/wardhq/ward/internal/rotate"
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
	if b != nil {
		defer b.close()
		cleanup = b.close // fail exits without running defers
	}
	if err != nil {
		fail(err.Error())
	}
	t0 := time.Now()
	if err := b.populate(ctx, *secrets-*static, *static, *leases, *tokens); err != nil {
		fail(err.Error())
	}
	fmt.Fprintf(os.Stderr, "drill: populated %d KV secrets, %d static roles, %d leases, %d reading tokens in %s\n",
		*secrets-*static, *static, *leases, *tokens, time.Since(t0).Round(time.Millisecond))

	start := time.Now()
	var rep rotate.DrillReport
	err = b.c.Drill(ctx, "staging", client.DrillRequest{Prefix: "database", Since: start.Add(-time.Hour).UTC().Format(time.RFC3339)}, &rep)
	took := time.Since(start)
	if err != nil {
		fail("the drill: " + err.Error())
	}
	if *format == "json" {
		json.NewEncoder(os.Stdout).Encode(rep)
	} else {
		rep.WriteText(os.Stdout)
	}
	summarize(&rep, took)
	if left := b.leftUsers(ctx); left != 0 {
		fail(fmt.Sprintf("%d leased users left in pg_roles after the drill", left))
	}
	ref, err := b.reference(ctx, *leases, *static)
	if err != nil {
		fail(err.Error())
	}
	failed := 0
	for _, s := range rep.Secrets {
		if s.Action == "failed" {
			failed++
		}
	}
	fmt.Printf("\nward drill (HTTP, end to end): %s   reference (the PostgreSQL work alone): %s   ratio %.2f   failed secrets: %d\n",
		took.Round(time.Millisecond), ref.Round(time.Millisecond), float64(took)/float64(ref), failed)
	if failed > 0 {
		fail("some secrets failed")
	}
}

// summarize prints the per-step times and the spread of the per-secret
// reissue times.
func summarize(rep *rotate.DrillReport, took time.Duration) {
	fmt.Printf("\nsteps:")
	for _, s := range rep.Steps {
		fmt.Printf("  %s %s", s.Step, s.Took)
	}
	var re []time.Duration
	rotated, person, dead := 0, 0, 0
	for _, s := range rep.Secrets {
		switch s.Action {
		case "rotated":
			rotated++
			re = append(re, time.Duration(s.ReissuedAfter))
		case "needs a person":
			person++
		}
		if strings.Contains(s.Verified, "old dead") {
			dead++
		}
	}
	sort.Slice(re, func(i, j int) bool { return re[i] < re[j] })
	q := func(p float64) time.Duration {
		if len(re) == 0 {
			return 0
		}
		return re[min(len(re)-1, int(p*float64(len(re))))]
	}
	fmt.Printf("\nleases revoked %d, tokens revoked %d, rotated %d (old proven dead at PostgreSQL: %d), needs a person %d\n",
		rep.Leases, len(rep.Tokens), rotated, dead, person)
	fmt.Printf("reissued after: median %s, p90 %s, max %s; whole drill %s\n", q(0.5).Round(time.Millisecond), q(0.9).Round(time.Millisecond), q(1).Round(time.Millisecond), took.Round(time.Millisecond))
}

type bench struct {
	superDSN, dbDSN, dbName, admin, suffix string
	dir                                    string
	ward                                   *devserver.Server
	c                                      *client.Client
	users                                  []string // static roles' users, pairs
}

// setup makes the database and its admin, builds ward and starts ward dev.
func setup(ctx context.Context, dsn string) (*bench, error) {
	suffix := randHex(4)
	b := &bench{superDSN: dsn, dbName: "ward_drill_" + suffix, admin: "ward_drill_admin_" + suffix, suffix: suffix}
	adminPw := randHex(16)
	for _, stmt := range []string{"CREATE DATABASE " + b.dbName, "CREATE ROLE " + b.admin + " WITH SUPERUSER LOGIN PASSWORD '" + adminPw + "'"} {
		if err := execSQL(ctx, dsn, stmt); err != nil {
			return b, err
		}
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return b, fmt.Errorf("-dsn must be a postgres:// URL: %v", err)
	}
	dbURL := *u
	dbURL.Path = "/" + b.dbName
	b.dbDSN = dbURL.String()
	if err := execSQL(ctx, b.dbDSN, "CREATE TABLE items (id int); CREATE ROLE drill_readers_"+suffix+"; GRANT SELECT ON items TO drill_readers_"+suffix); err != nil {
		return b, err
	}
	if b.dir, err = os.MkdirTemp("", "drill-"); err != nil {
		return b, err
	}
	bin := filepath.Join(b.dir, "ward")
	if err := devserver.Build("", "./cmd/ward", bin); err != nil {
		return b, fmt.Errorf("%v (run from the repository's root)", err)
	}
	if b.ward, err = devserver.Start(bin, filepath.Join(b.dir, "data"), filepath.Join(b.dir, "home"), "--log-level", "warn"); err != nil {
		return b, err
	}
	tok, err := b.ward.Token()
	if err != nil {
		return b, err
	}
	if b.c, err = client.New(client.Config{Address: b.ward.Addr, Token: tok}); err != nil {
		return b, err
	}
	tmpl := dbURL
	tmpl.User = nil
	conn := strings.Replace(tmpl.String(), "postgres://", "postgres://{{username}}:{{password}}@", 1)
	return b, b.c.Do(ctx, "PUT", "staging/database/config/main", map[string]any{"plugin_name": "postgresql-database-plugin",
		"connection_url": conn, "allowed_roles": "*", "username": b.admin, "password": adminPw, "max_open_connections": 8}, nil)
}

// populate writes KV secrets of mixed types, static roles, leases and
// reads, through the API.
func (b *bench) populate(ctx context.Context, kv, static, leases, tokens int) error {
	es, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKCS8PrivateKey(es)
	if err != nil {
		return err
	}
	esPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	for i := range kv {
		path := fmt.Sprintf("database/kv/s-%03d", i)
		var typ, owner string
		var v map[string]any
		switch i % 10 {
		case 0, 1, 2:
			typ, owner, v = "password", "team-app", map[string]any{"username": "svc", "password": randHex(16)}
		case 3, 4, 5:
			typ, owner, v = "api-token", "team-app", map[string]any{"token": randHex(20)}
		case 6, 7:
			typ, owner, v = "jwt-signing-key", "team-auth", map[string]any{"algorithm": "HS256", "key": randHex(32), "kid": "k0"}
		case 8:
			typ, owner, v = "jwt-signing-key", "team-auth", map[string]any{"algorithm": "ES256", "key": esPEM, "kid": "k0"}
		default:
			owner, v = "team-edge", map[string]any{"note": randHex(8)}
		}
		meta := map[string]string{"owner": owner}
		if typ != "" {
			meta["type"] = typ
		}
		if err := b.c.Do(ctx, "POST", "staging/metadata/"+path, map[string]any{"custom_metadata": meta}, nil); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if err := b.c.Do(ctx, "POST", "staging/data/"+path, map[string]any{"data": v}, nil); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	for i := range static {
		name := fmt.Sprintf("static-%02d", i)
		a, c := fmt.Sprintf("drill_%s_s%02d_a", b.suffix, i), fmt.Sprintf("drill_%s_s%02d_b", b.suffix, i)
		for _, u := range []string{a, c} {
			if err := execSQL(ctx, b.dbDSN, "CREATE ROLE "+u+" WITH LOGIN; GRANT SELECT ON items TO "+u); err != nil {
				return err
			}
			b.users = append(b.users, u)
		}
		if err := b.c.Do(ctx, "PUT", "staging/database/static-roles/"+name, map[string]any{"db_name": "main", "username": a, "alternate_username": c}, nil); err != nil {
			return fmt.Errorf("static role %s: %w", name, err)
		}
	}
	if err := b.c.Do(ctx, "PUT", "staging/database/roles/app", map[string]any{"db_name": "main", "default_ttl": 3600, "max_ttl": 86400,
		"creation_statements": []string{`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE drill_readers_` + b.suffix}}, nil); err != nil {
		return err
	}
	if err := b.c.Do(ctx, "PUT", "sys/policies/acl/drill-reader", map[string]any{"policy": "rules:\n  - path: staging/database/**\n    capabilities: [read]\n"}, nil); err != nil {
		return err
	}
	// The reading tokens: each reads a KV secret and takes its share of
	// the leases.
	readers := make([]*client.Client, tokens)
	for i := range readers {
		var out struct {
			Auth struct {
				ClientToken string `json:"client_token"`
			} `json:"auth"`
		}
		if err := b.c.Do(ctx, "POST", "auth/token/create", map[string]any{"env": "staging", "policies": []string{"drill-reader"}, "ttl": "2h"}, &out); err != nil {
			return err
		}
		r := b.c.WithToken(out.Auth.ClientToken)
		readers[i] = r
		if err := r.Do(ctx, "GET", fmt.Sprintf("staging/data/database/kv/s-%03d", i%max(kv, 1)), nil, nil); err != nil {
			return err
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < leases; i += 8 {
				if err := readers[i%tokens].Do(ctx, "GET", "staging/database/creds/app", nil, nil); err != nil {
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

// leftUsers counts the leased users still in pg_roles.
func (b *bench) leftUsers(ctx context.Context) int {
	conn, err := pgx.Connect(ctx, b.superDSN)
	if err != nil {
		return -1
	}
	defer conn.Close(ctx)
	var n int
	conn.QueryRow(ctx, `SELECT count(*) FROM pg_roles WHERE starts_with(rolname, $1)`, "v-staging-app").Scan(&n)
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
		if _, err := conn.Exec(ctx, fmt.Sprintf(`ALTER ROLE %s WITH LOGIN PASSWORD '%s'`, b.users[2*i], randHex(16))); err != nil {
			return 0, err
		}
		if _, err := conn.Exec(ctx, fmt.Sprintf(`ALTER ROLE %s WITH PASSWORD NULL`, b.users[2*i+1])); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

// close stops ward and drops what the run made.
func (b *bench) close() {
	ctx := context.Background()
	if b.ward != nil {
		b.ward.Stop()
	}
	if b.dir != "" {
		os.RemoveAll(b.dir)
	}
	conn, err := pgx.Connect(ctx, b.superDSN)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	conn.Exec(ctx, "DROP DATABASE IF EXISTS "+b.dbName+" WITH (FORCE)")
	rows, err := conn.Query(ctx, `SELECT rolname FROM pg_roles WHERE starts_with(rolname, 'drill_') OR starts_with(rolname, 'v-staging-app') OR starts_with(rolname, 'ref_') OR rolname = $1`, b.admin)
	if err == nil {
		names, _ := pgx.CollectRows(rows, pgx.RowTo[string])
		for _, n := range names {
			conn.Exec(ctx, fmt.Sprintf("DROP ROLE IF EXISTS %q", n))
		}
	}
}

func execSQL(ctx context.Context, dsn, sql string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
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

// cleanup, when set, stops ward and drops what the run made before fail
// exits.
var cleanup func()

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "drill:", msg)
	if cleanup != nil {
		cleanup()
	}
	os.Exit(1)
}
