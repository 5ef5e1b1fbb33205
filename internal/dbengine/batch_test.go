package dbengine_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wardhq/ward/internal/dbengine"
	"github.com/wardhq/ward/internal/lease"
)

// pool is a connection pool to the test database as its superuser.
func (f *fixture) pool() *pgxpool.Pool {
	f.t.Helper()
	p, err := pgxpool.New(ctx, f.dsn)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(p.Close)
	return p
}

func (f *fixture) acquire() *pgxpool.Conn {
	f.t.Helper()
	conn, err := f.pool().Acquire(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(conn.Release)
	return conn
}

func TestACLRevokesNameEveryHolderOncePerObject(t *testing.T) {
	f := newFixture(t)
	f.sql(`CREATE SCHEMA s`)
	f.sql(`CREATE SEQUENCE s.seq`)
	f.sql(`CREATE TABLE "odd ""name""" (id int)`)
	f.sql(`CREATE ROLE "acl-a"; CREATE ROLE "acl-b"; CREATE ROLE "acl-c"`)
	t.Cleanup(func() { f.sqlQuiet(`DROP OWNED BY "acl-a", "acl-b", "acl-c"; DROP ROLE "acl-a", "acl-b", "acl-c"`) })
	f.sql(`GRANT SELECT ON items TO "acl-a", "acl-b"`)
	f.sql(`GRANT SELECT (name) ON items TO "acl-c"`) // a column: left to DROP OWNED BY
	f.sql(`GRANT USAGE ON SCHEMA s TO "acl-b", "acl-c"`)
	f.sql(`GRANT USAGE ON SEQUENCE s.seq TO "acl-a"`)
	f.sql(`GRANT INSERT ON "odd ""name""" TO "acl-c"`)

	got, err := dbengine.ACLRevokes(ctx, f.acquire(), []string{"acl-a", "acl-b", "acl-c", "acl-none"})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	want := []string{
		`REVOKE ALL ON SCHEMA s FROM "acl-b", "acl-c"`,
		`REVOKE ALL ON SEQUENCE s.seq FROM "acl-a"`,
		`REVOKE ALL ON TABLE public."odd ""name""" FROM "acl-c"`,
		`REVOKE ALL ON TABLE public.items FROM "acl-a", "acl-b"`,
	}
	if !slices.Equal(got, want) {
		t.Fatalf("ACLRevokes =\n%q\nwant\n%q", got, want)
	}
	if got, err := dbengine.ACLRevokes(ctx, f.acquire(), []string{"acl-a"}); err != nil || got != nil {
		t.Fatalf("ACLRevokes of one user = %q, %v; want none (DROP OWNED BY is as quick)", got, err)
	}
}

func TestRevokePrefixTakesSharedGrantsOffEveryObject(t *testing.T) {
	f := newFixture(t)
	f.sql(`CREATE SCHEMA s`)
	f.sql(`CREATE TABLE s.t (id int)`)
	f.sql(`CREATE ROLE acl_owner`)
	t.Cleanup(func() { f.sqlQuiet(`DROP OWNED BY acl_owner; DROP ROLE acl_owner`) })
	f.sql(`CREATE TABLE theirs (id int)`)
	f.sql(`ALTER TABLE theirs OWNER TO acl_owner`)
	f.setup(staging)
	role := appRole
	role.CreationStatements = append(slices.Clone(appRole.CreationStatements),
		`GRANT USAGE ON SCHEMA s TO "{{name}}"`, `GRANT SELECT ON s.t TO "{{name}}"`,
		`GRANT SELECT (name) ON items TO "{{name}}"`, `GRANT SELECT ON theirs TO "{{name}}"`)
	if err := f.e.WriteRole(ctx, staging, "app", role); err != nil {
		t.Fatal(err)
	}
	for range 12 {
		f.creds(staging, "app", "tokA")
	}
	n, err := f.leases.RevokePrefix(ctx, lease.Caller{EnvID: staging.ID, Admin: true}, "staging/database/creds/app")
	if err != nil || n != 12 {
		t.Fatalf("RevokePrefix = %d, %v; want 12", n, err)
	}
	if left := f.rolesLike("v-staging-app-"); left != 0 {
		t.Fatalf("%d users left", left)
	}
	conn, err := f.pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	var acls string
	if err := conn.QueryRow(ctx, `SELECT concat_ws(' ', (SELECT nspacl::text FROM pg_namespace WHERE nspname = 's'),
		(SELECT string_agg(coalesce(relacl::text, ''), ' ') FROM pg_class WHERE relname IN ('t', 'items', 'theirs')),
		(SELECT string_agg(coalesce(attacl::text, ''), ' ') FROM pg_attribute WHERE attrelid = 'items'::regclass))`).Scan(&acls); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(acls, "v-staging") {
		t.Fatalf("privileges of dropped users are left: %s", acls)
	}
}

func TestCommitOutlivesACancelledRequest(t *testing.T) {
	f := newFixture(t)
	conn := f.acquire()
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	name := fmt.Sprintf("v-commit-%s", randomWord(t))
	t.Cleanup(func() { f.sqlQuiet(fmt.Sprintf(`DROP ROLE IF EXISTS %q`, name)) })
	// The client hangs up after the lease is stored, before the COMMIT:
	// the COMMIT still runs, so the outcome is known and the lease stays
	// true to the database.
	err := dbengine.ExecCreation(cctx, conn, name, []string{`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}'`}, func() error {
		cancel()
		return nil
	})
	if err != nil {
		t.Fatalf("creation whose request was cancelled before COMMIT: %v; want it committed", err)
	}
	if !f.roleExists(name) {
		t.Fatal("the user is not there after its COMMIT")
	}
}
