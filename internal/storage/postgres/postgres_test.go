package postgres_test

import (
	"context"
	"testing"

	"github.com/wardhq/ward/internal/pgtest"
	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/storage/postgres"
	"github.com/wardhq/ward/internal/storage/storagetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// open opens a store on a fresh database dropped when t ends.
func open(t testing.TB, opts postgres.Options) (*postgres.DB, string) {
	t.Helper()
	dsn := pgtest.Database(t)
	db, err := postgres.Open(context.Background(), dsn, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, dsn
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
