package dbengine_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/dbengine"
)

// staticUsers makes two login users with SELECT on items and drops them
// after the test.
func (f *fixture) staticUsers() (a, b string) {
	f.t.Helper()
	w := randomWord(f.t)
	a, b = "static_a_"+w, "static_b_"+w
	for _, u := range []string{a, b} {
		f.sql(fmt.Sprintf(`CREATE ROLE %s WITH LOGIN`, u))
		f.sql(fmt.Sprintf(`GRANT SELECT ON items TO %s`, u))
		f.t.Cleanup(func() {
			f.sqlQuiet(`DROP OWNED BY ` + u)
			f.sqlQuiet(`DROP ROLE IF EXISTS ` + u)
		})
	}
	return a, b
}

func (f *fixture) staticSetup(alternate bool) (dbengine.StaticRole, string, string) {
	f.t.Helper()
	cfg := f.config()
	cfg.AllowedRoles = []string{"*"}
	if err := f.e.WriteConfig(ctx, staging, "main", cfg); err != nil {
		f.t.Fatal(err)
	}
	a, b := f.staticUsers()
	r := dbengine.StaticRole{DBName: "main", Username: a, RotationPeriod: time.Hour, Overlap: 24 * time.Hour}
	if alternate {
		r.AlternateUsername = b
	}
	if err := f.e.WriteStaticRole(ctx, staging, "app", r, t0); err != nil {
		f.t.Fatalf("WriteStaticRole: %v", err)
	}
	return r, a, b
}

// works says whether user/password logs in and can read items.
func (f *fixture) works(user, password string) bool {
	f.t.Helper()
	conn, err := f.login(user, password)
	if err != nil {
		if s := sqlState(err); s != "28P01" && s != "28000" {
			f.t.Fatalf("login as %s failed for another reason: %v", user, err)
		}
		return false
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM items`).Scan(&n); err != nil {
		f.t.Fatalf("%s cannot read items: %v", user, err)
	}
	return true
}

func (f *fixture) staticCreds() *dbengine.StaticCreds {
	f.t.Helper()
	c, err := f.e.StaticCredentials(ctx, staging, "app")
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func TestStaticRoleAlternatingOverlap(t *testing.T) {
	f := newFixture(t)
	_, a, b := f.staticSetup(true)
	first := f.staticCreds()
	if first.Username != a || !f.works(a, first.Password) {
		t.Fatalf("first credential: user %s", first.Username)
	}
	second, err := f.e.RotateStatic(ctx, staging, "app", t0.Add(time.Hour), false)
	if err != nil {
		t.Fatal(err)
	}
	if second.Username != b || !f.works(b, second.Password) {
		t.Fatalf("second credential: user %s", second.Username)
	}
	if second.PreviousUsername != a || !second.PreviousRetireAt.Equal(t0.Add(25*time.Hour)) {
		t.Fatalf("previous %s until %v", second.PreviousUsername, second.PreviousRetireAt)
	}
	// Through the overlap the old credential keeps working.
	if !f.works(a, first.Password) {
		t.Fatal("the previous credential stopped working during the overlap")
	}
	if done, err := f.e.RetireStatic(ctx, staging, "app", t0.Add(24*time.Hour), false); err != nil || done {
		t.Fatalf("retired before the overlap ended: %v %v", done, err)
	}
	if !f.works(a, first.Password) {
		t.Fatal("the previous credential stopped working before the overlap ended")
	}
	if done, err := f.e.RetireStatic(ctx, staging, "app", t0.Add(25*time.Hour), false); err != nil || !done {
		t.Fatalf("not retired at the overlap's end: %v %v", done, err)
	}
	if f.works(a, first.Password) {
		t.Fatal("the retired credential still logs in")
	}
	if !f.works(b, second.Password) {
		t.Fatal("the current credential stopped working")
	}
	// A compromise: no overlap, the old one dies at once.
	third, err := f.e.RotateStatic(ctx, staging, "app", t0.Add(26*time.Hour), true)
	if err != nil {
		t.Fatal(err)
	}
	if third.Username != a || !f.works(a, third.Password) || f.works(b, second.Password) || third.PreviousUsername != "" {
		t.Fatal("a rotation without overlap left the old credential working or the new one not")
	}
}

func TestStaticRoleInPlace(t *testing.T) {
	f := newFixture(t)
	_, a, _ := f.staticSetup(false)
	first := f.staticCreds()
	second, err := f.e.RotateStatic(ctx, staging, "app", t0.Add(time.Hour), false)
	if err != nil {
		t.Fatal(err)
	}
	if second.Username != a || second.Password == first.Password || !f.works(a, second.Password) || f.works(a, first.Password) {
		t.Fatal("in-place rotation: new must work and old must not")
	}
	if err := f.e.StaticLogin(ctx, staging, "app", a, first.Password); !errors.Is(err, dbengine.ErrLoginRefused) {
		t.Fatalf("StaticLogin with the old password: %v", err)
	}
	if err := f.e.StaticLogin(ctx, staging, "app", a, second.Password); err != nil {
		t.Fatal(err)
	}
}

func TestStaticRoleInterruptedRotation(t *testing.T) {
	f := newFixture(t)
	_, a, b := f.staticSetup(true)
	cur := f.staticCreds()
	// Interrupted before the database changed: dropped, current stays.
	if err := dbengine.SetStaticPending(f.e, staging, "app", b, "never-set-in-the-database-123"); err != nil {
		t.Fatal(err)
	}
	if got := f.staticCreds(); got.Username != a || got.Password != cur.Password {
		t.Fatal("a pending password the database never took became current")
	}
	// Interrupted after the database changed: kept.
	f.sql(fmt.Sprintf(`ALTER ROLE %s WITH PASSWORD 'set-in-the-database-456'`, b))
	if err := dbengine.SetStaticPending(f.e, staging, "app", b, "set-in-the-database-456"); err != nil {
		t.Fatal(err)
	}
	got := f.staticCreds()
	if got.Username != b || got.Password != "set-in-the-database-456" || got.PreviousUsername != a {
		t.Fatalf("a pending password the database took was not kept: user %s", got.Username)
	}
	if !f.works(a, cur.Password) || !f.works(b, got.Password) {
		t.Fatal("after recovery both must work through the overlap")
	}
}

func TestStaticRoleDatabaseDown(t *testing.T) {
	f := newFixture(t)
	_, a, _ := f.staticSetup(true)
	cur := f.staticCreds()
	cfg := f.config()
	cfg.AllowedRoles = []string{"*"}
	cfg.ConnectionURL = deadURL(t)
	no := false
	cfg.VerifyConnection = &no
	if err := f.e.WriteConfig(ctx, staging, "main", cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.RotateStatic(ctx, staging, "app", t0.Add(time.Hour), false); !errors.Is(err, dbengine.ErrUnavailable) {
		t.Fatalf("got %v; want ErrUnavailable", err)
	}
	cfg = f.config()
	cfg.AllowedRoles = []string{"*"}
	if err := f.e.WriteConfig(ctx, staging, "main", cfg); err != nil {
		t.Fatal(err)
	}
	if got := f.staticCreds(); got.Username != a || got.Password != cur.Password || !f.works(a, cur.Password) {
		t.Fatal("a failed rotation changed the current credential")
	}
}

func TestStaticRoleBadInput(t *testing.T) {
	f := newFixture(t)
	cfg := f.config()
	if err := f.e.WriteConfig(ctx, staging, "main", cfg); err != nil {
		t.Fatal(err)
	}
	cases := map[string]dbengine.StaticRole{
		"no username":    {DBName: "main"},
		"same alternate": {DBName: "main", Username: "x", AlternateUsername: "x"},
		"short period":   {DBName: "main", Username: "x", RotationPeriod: time.Second},
		"no config":      {DBName: "nope", Username: "x"},
	}
	for name, r := range cases {
		if err := f.e.WriteStaticRole(ctx, staging, "app", r, t0); !errors.Is(err, dbengine.ErrInvalid) {
			t.Errorf("%s: %v; want ErrInvalid", name, err)
		}
	}
	if err := f.e.WriteStaticRole(ctx, staging, "other", dbengine.StaticRole{DBName: "main", Username: "x"}, t0); !errors.Is(err, dbengine.ErrRoleNotAllowed) {
		t.Errorf("role not allowed: %v", err)
	}
}
