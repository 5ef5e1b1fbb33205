package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/wardhq/ward/internal/pgtest"
	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/storage/postgres"
	"github.com/wardhq/ward/internal/storage/storagetest"
)

func TestMain(m *testing.M) {
	if dsn := os.Getenv(lockChildEnv); dsn != "" {
		lockChild(dsn)
		return
	}
	pgtest.Main(m)
}

var ctx = context.Background()

// open opens a store on a fresh database dropped when t ends.
func open(t testing.TB, opts postgres.Options) (*postgres.DB, string) {
	t.Helper()
	dsn := pgtest.Database(t)
	db, err := postgres.Open(ctx, dsn, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, dsn
}

// sql runs statements on dsn as its (superuser) user.
func sql(t testing.TB, dsn string, stmts ...string) {
	t.Helper()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		db, _ := open(t, postgres.Options{})
		return db
	})
}

func TestDumper(t *testing.T) {
	storagetest.RunDumper(t, func(t *testing.T) storage.Backend {
		db, _ := open(t, postgres.Options{})
		return db
	})
}

// 16 concurrent writers share commits: fewer PostgreSQL transactions than
// calls, and every call's write is there.
func TestGroupCommit(t *testing.T) {
	db, _ := open(t, postgres.Options{})
	const writers, each = 16, 40
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := db.Put(ctx, &storage.Entry{Key: fmt.Sprintf("w%02d/%03d", w, i), Value: []byte("v")}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	st := db.Stats()
	if st.Writes != writers*each {
		t.Fatalf("Stats.Writes = %d, want %d", st.Writes, writers*each)
	}
	t.Logf("%d writes in %d commits: %.1f calls per commit", st.Writes, st.Commits, float64(st.Writes)/float64(st.Commits))
	if st.Commits*2 > st.Writes {
		t.Errorf("%d writes took %d commits: concurrent writers are not sharing commits", st.Writes, st.Commits)
	}
	for w := range writers {
		names, err := db.List(ctx, fmt.Sprintf("w%02d/", w))
		if err != nil || len(names) != each {
			t.Errorf("List(w%02d/) = %d names, %v; want %d", w, len(names), err, each)
		}
	}
}

func TestSchema(t *testing.T) {
	db, dsn := open(t, postgres.Options{})
	db.Put(ctx, &storage.Entry{Key: "k", Value: []byte("kept")})
	db.Close()
	version := func() int {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var v int
		if err := conn.QueryRow(ctx, "SELECT version FROM ward_schema_version").Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := version(); v != postgres.SchemaVersion {
		t.Errorf("schema version %d after Open, want %d", v, postgres.SchemaVersion)
	}
	t.Run("ReopenKeepsData", func(t *testing.T) {
		db, err := postgres.Open(ctx, dsn, postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if e, err := db.Get(ctx, "k"); err != nil || string(e.Value) != "kept" {
			t.Errorf("after reopening: %v, %v", e, err)
		}
	})
	t.Run("ConcurrentOpens", func(t *testing.T) {
		dsn := pgtest.Database(t)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				db, err := postgres.Open(ctx, dsn, postgres.Options{})
				if err != nil {
					t.Errorf("concurrent Open of a new database: %v", err)
					return
				}
				db.Close()
			})
		}
		wg.Wait()
	})
	t.Run("NewerIsRefused", func(t *testing.T) {
		sql(t, dsn, "UPDATE ward_schema_version SET version = 999")
		_, err := postgres.Open(ctx, dsn, postgres.Options{})
		if !errors.Is(err, postgres.ErrSchemaTooNew) {
			t.Fatalf("Open of a database at schema 999 = %v, want ErrSchemaTooNew", err)
		}
		if !strings.Contains(err.Error(), "999") {
			t.Errorf("error does not name the version: %v", err)
		}
	})
}

func TestNotDurableIsRefused(t *testing.T) {
	dsn := pgtest.Database(t)
	db := dsn[strings.LastIndex(dsn, "/")+1 : strings.Index(dsn, "?")]
	sql(t, dsn, "ALTER DATABASE "+db+" SET synchronous_commit = off")
	if _, err := postgres.Open(ctx, dsn, postgres.Options{}); !errors.Is(err, postgres.ErrNotDurable) {
		t.Fatalf("Open with synchronous_commit=off = %v, want ErrNotDurable", err)
	}
}

// No error quotes the password of the connection string.
func TestErrorsHideThePassword(t *testing.T) {
	const pw = "hunter2-Pa55word"
	u, err := url.Parse(pgtest.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword("postgres", pw)
	wrong := u.String()
	for name, dsn := range map[string]string{
		"WrongPassword": wrong,
		"Unparseable":   "postgres://postgres:" + pw + "@127.0.0.1:notaport/db",
		"KeyValue":      "host=127.0.0.1 port=1 password=" + pw + " sslmode=bogus",
		"NoServer":      "postgres://postgres:" + pw + "@127.0.0.1:1/db?sslmode=disable&connect_timeout=2",
	} {
		t.Run(name, func(t *testing.T) {
			db, err := postgres.Open(ctx, dsn, postgres.Options{})
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded")
			}
			if strings.Contains(err.Error(), pw) {
				t.Errorf("error quotes the password: %v", err)
			}
			if d := postgres.Describe(dsn); strings.Contains(d, pw) {
				t.Errorf("Describe quotes the password: %s", d)
			}
		})
	}
}

func contextWithCancel() (context.Context, context.CancelFunc) { return context.WithCancel(ctx) }
