package rotate_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardhq/ward/internal/dbengine"
	"github.com/wardhq/ward/internal/lease"
	"github.com/wardhq/ward/internal/lease/leasetest"
	"github.com/wardhq/ward/internal/pgtest"
	"github.com/wardhq/ward/internal/rotate"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var staging = lease.Env{Name: "staging", ID: "e5a1"}

type pgFixture struct {
	t      *testing.T
	dsn    string
	host   string
	db     string
	clock  *leasetest.Clock
	leases *lease.Manager
	e      *dbengine.Engine
}

func newPG(t *testing.T) *pgFixture {
	dsn := pgtest.Database(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	// PostgreSQL checks VALID UNTIL against its own clock: start now.
	f := &pgFixture{t: t, dsn: dsn, host: u.Host, db: strings.TrimPrefix(u.Path, "/"), clock: leasetest.NewClock(time.Now().UTC())}
	w := strings.ToLower(fmt.Sprint(time.Now().UnixNano() % 1e9))
	admin, pw := "rot_admin_"+w, "admin-pw-"+w
	f.sql(fmt.Sprintf(`CREATE ROLE %s WITH SUPERUSER LOGIN PASSWORD '%s'`, admin, pw))
	f.sql(`CREATE TABLE items (id int)`)
	b, _ := leasetest.Barrier(t, staging.ID)
	f.leases = lease.New(lease.Config{Storage: b, Now: f.clock.Now, After: f.clock.After})
	f.e = dbengine.New(dbengine.Config{Storage: b, Leases: f.leases, ConnectTimeout: 3 * time.Second})
	t.Cleanup(func() {
		f.leases.RevokeEnv(ctx, staging.ID)
		f.e.Close()
		for _, r := range f.roles("static_") {
			f.sql(`DROP OWNED BY ` + r)
			f.sql(`DROP ROLE ` + r)
		}
		f.sql(`DROP OWNED BY ` + admin)
		f.sql(`DROP ROLE ` + admin)
	})
	err = f.e.WriteConfig(ctx, staging, "main", dbengine.ConnConfig{PluginName: dbengine.PluginPostgreSQL,
		ConnectionURL: "postgres://{{username}}:{{password}}@" + f.host + "/" + f.db + "?sslmode=disable",
		AllowedRoles:  []string{"*"}, Username: admin, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *pgFixture) sql(stmt string) {
	f.t.Helper()
	conn, err := pgx.Connect(ctx, f.dsn)
	if err != nil {
		f.t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, stmt); err != nil {
		f.t.Fatalf("%s: %v", stmt, err)
	}
}

func (f *pgFixture) roles(prefix string) []string {
	f.t.Helper()
	conn, err := pgx.Connect(ctx, f.dsn)
	if err != nil {
		f.t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, _ := conn.Query(ctx, `SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1)`, prefix)
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

// staticRole makes two users and static role name over them.
func (f *pgFixture) staticRole(name string, period time.Duration) {
	f.t.Helper()
	for _, u := range []string{"static_" + name + "_a", "static_" + name + "_b"} {
		f.sql(`CREATE ROLE ` + u + ` WITH LOGIN`)
		f.sql(`GRANT SELECT ON items TO ` + u)
	}
	r := dbengine.StaticRole{DBName: "main", Username: "static_" + name + "_a", AlternateUsername: "static_" + name + "_b",
		RotationPeriod: period, Overlap: time.Hour}
	if err := f.e.WriteStaticRole(ctx, staging, name, r, f.clock.Now()); err != nil {
		f.t.Fatal(err)
	}
}

func (f *pgFixture) loginWorks(user, password string) bool {
	u := &url.URL{Scheme: "postgres", User: url.UserPassword(user, password), Host: f.host, Path: "/" + f.db, RawQuery: "sslmode=disable"}
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		return false
	}
	conn.Close(ctx)
	return true
}

func TestScheduledStaticRoleKeepsOldThroughOverlap(t *testing.T) {
	f := newPG(t)
	f.staticRole("orders", time.Hour)
	sr := &rotate.StaticRoles{DB: f.e, Envs: []lease.Env{staging}, Now: f.clock.Now, Owner: func(string, string) string { return "team-orders" }}
	s := rotate.NewScheduler(rotate.SchedulerConfig{Engines: []rotate.Engine{sr}, Now: f.clock.Now})
	first, err := f.e.StaticCredentials(ctx, staging, "orders")
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour)
	if rep, err := s.Tick(ctx); err != nil || rep.Rotated != 1 {
		t.Fatalf("tick: %+v %v", rep, err)
	}
	second, _ := f.e.StaticCredentials(ctx, staging, "orders")
	if second.Username == first.Username || !f.loginWorks(second.Username, second.Password) || !f.loginWorks(first.Username, first.Password) {
		t.Fatal("during the overlap the new and the old credential must both log in")
	}
	f.clock.Advance(30 * time.Minute)
	if rep, _ := s.Tick(ctx); rep.Retired != 0 {
		t.Fatal("retired before the overlap ended")
	}
	f.clock.Advance(30 * time.Minute)
	if rep, _ := s.Tick(ctx); rep.Retired != 1 {
		t.Fatalf("not retired at the overlap's end: %+v", rep)
	}
	if f.loginWorks(first.Username, first.Password) {
		t.Fatal("the retired credential still logs in")
	}
	if !f.loginWorks(second.Username, second.Password) {
		t.Fatal("the current credential stopped working")
	}
}

func TestDrillOnPostgreSQL(t *testing.T) {
	f := newPG(t)
	f.staticRole("billing", 0)
	if err := f.e.WriteRole(ctx, staging, "app", dbengine.Role{DBName: "main",
		CreationStatements: []string{`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'`}}); err != nil {
		t.Fatal(err)
	}
	var issued []*dbengine.Creds
	for i := range 5 {
		c, err := f.e.Creds(ctx, staging, "app", dbengine.Requester{Token: fmt.Sprint("tok", i)})
		if err != nil {
			t.Fatal(err)
		}
		issued = append(issued, c)
	}
	before, _ := f.e.StaticCredentials(ctx, staging, "billing")
	d := rotate.NewDriller(rotate.DrillConfig{
		Engines: []rotate.Engine{&rotate.StaticRoles{DB: f.e, Envs: []lease.Env{staging}, Now: f.clock.Now}},
		Leases:  &rotate.LeaseManager{M: f.leases, Envs: []lease.Env{staging}}, Now: time.Now,
	})
	dry, err := d.Run(ctx, rotate.DrillRequest{Env: "staging", Prefix: "database/", DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if dry.Leases != 5 || len(dry.Secrets) != 1 || dry.Secrets[0].Action != "would rotate" {
		t.Fatalf("dry run: %+v", dry)
	}
	if !f.loginWorks(issued[0].Username, issued[0].Password) || !f.loginWorks(before.Username, before.Password) {
		t.Fatal("the dry run changed something")
	}
	rep, err := d.Run(ctx, rotate.DrillRequest{Env: "staging", Prefix: "database/"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Leases != 5 || len(rep.Secrets) != 1 || rep.Secrets[0].Verified != "new works, old dead" {
		t.Fatalf("drill: %+v", rep)
	}
	for _, c := range issued {
		if f.loginWorks(c.Username, c.Password) {
			t.Fatal("a revoked lease's user still logs in")
		}
	}
	after, _ := f.e.StaticCredentials(ctx, staging, "billing")
	if f.loginWorks(before.Username, before.Password) || !f.loginWorks(after.Username, after.Password) {
		t.Fatal("after the drill the old static password must be dead and the new one work")
	}
}
