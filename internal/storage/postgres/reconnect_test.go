package postgres_test

import (
	"testing"

	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/storage/postgres"
)

// When every connection of the pool is cut (as by a PostgreSQL restart),
// the next reads and writes go through on new connections.
func TestRecoversFromCutConnections(t *testing.T) {
	db, dsn := open(t, postgres.Options{})
	for i := range 5 {
		if err := db.Put(ctx, &storage.Entry{Key: "k" + string(rune('0'+i)), Value: []byte("v")}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Get(ctx, "k0"); err != nil {
			t.Fatal(err)
		}
	}
	for round := range 3 {
		sql(t, dsn, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
		if _, err := db.Get(ctx, "k1"); err != nil {
			t.Errorf("round %d: Get after the connections were cut: %v", round, err)
		}
		if names, err := db.List(ctx, ""); err != nil || len(names) < 5 {
			t.Errorf("round %d: List after the connections were cut: %q, %v", round, names, err)
		}
		if err := db.Put(ctx, &storage.Entry{Key: "after", Value: []byte("v")}); err != nil {
			t.Errorf("round %d: Put after the connections were cut: %v", round, err)
		}
	}
}
