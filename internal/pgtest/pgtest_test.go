package pgtest_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/wardhq/ward/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestPasswordsAreChecked proves the private cluster checks passwords over
// TCP, which the database engine's tests rely on to show that a revoked
// credential no longer logs in.
func TestPasswordsAreChecked(t *testing.T) {
	dsn := pgtest.Database(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE ROLE pgtest_probe LOGIN PASSWORD 'right-password'"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Exec(context.Background(), "DROP ROLE IF EXISTS pgtest_probe") })

	as := func(password string) error {
		u, _ := url.Parse(dsn)
		u.User = url.UserPassword("pgtest_probe", password)
		c, err := pgx.Connect(ctx, u.String())
		if err == nil {
			c.Close(ctx)
		}
		return err
	}
	if err := as("right-password"); err != nil {
		t.Fatalf("login with the right password: %v", err)
	}
	if err := as("wrong-password"); err == nil {
		t.Fatal("login with a wrong password succeeded: the cluster does not check passwords")
	}
}

// TestDatabasesAreSeparate checks that each call gives a database of its own.
func TestDatabasesAreSeparate(t *testing.T) {
	a, b := pgtest.Database(t), pgtest.Database(t)
	if a == b {
		t.Fatalf("two calls gave the same database %q", a)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var name string
	if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	if "/"+name != mustPath(t, a) {
		t.Fatalf("connected to %q, want the database of %q", name, a)
	}
}

func mustPath(t *testing.T, dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}

// A private cluster stops and starts again on the same address, keeping
// its data.
func TestClusterRestart(t *testing.T) {
	c := pgtest.NewCluster(t)
	ctx := context.Background()
	exec := func(sql string) error {
		conn, err := pgx.Connect(ctx, c.DSN())
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := exec("CREATE TABLE kept (n int); INSERT INTO kept VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	c.Stop()
	if err := exec("SELECT 1"); err == nil {
		t.Fatal("a stopped server answers")
	}
	c.Start()
	if err := exec("SELECT n FROM kept"); err != nil {
		t.Fatalf("after the restart: %v", err)
	}
}
