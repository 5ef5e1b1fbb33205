package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrSchemaTooNew is wrapped by the error from Open when the database was
// last upgraded by a newer ward than this one.
var ErrSchemaTooNew = errors.New("postgres: database schema is newer than this ward")

// migrations are the schema's versions, in order: migrations[i] takes the
// schema from version i to i+1. Append only; never edit one that has
// shipped. ward_schema_version holds one row, the version reached.
var migrations = []string{
	// 1: the entries. Keys are bytea so that ordering is byte order
	// whatever the database's collation; the primary key's B-tree serves
	// Get, List's seeks and Dump's ordered scan.
	`CREATE TABLE ward_entries (
		key   bytea PRIMARY KEY,
		value bytea NOT NULL
	)`,
}

// SchemaVersion is the version of the schema this ward creates.
var SchemaVersion = len(migrations)

// schemaLock is the advisory lock key that serializes schema changes, so
// that several servers starting at once upgrade the schema once.
const schemaLock = 0x77617264_00000001 // "ward", 1

// migrate brings the database's schema to SchemaVersion in one
// transaction, holding schemaLock.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(schemaLock)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "CREATE TABLE IF NOT EXISTS ward_schema_version (version integer NOT NULL)"); err != nil {
			return err
		}
		version := 0
		err := tx.QueryRow(ctx, "SELECT version FROM ward_schema_version").Scan(&version)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			if _, err := tx.Exec(ctx, "INSERT INTO ward_schema_version (version) VALUES (0)"); err != nil {
				return err
			}
		case err != nil:
			return err
		}
		if version > SchemaVersion {
			return fmt.Errorf("%w: the database is at version %d, this ward knows up to %d; run the newer ward, or restore a snapshot into a new database", ErrSchemaTooNew, version, SchemaVersion)
		}
		for v := version; v < SchemaVersion; v++ {
			if _, err := tx.Exec(ctx, migrations[v]); err != nil {
				return fmt.Errorf("schema version %d: %w", v+1, err)
			}
		}
		_, err = tx.Exec(ctx, "UPDATE ward_schema_version SET version = $1", SchemaVersion)
		return err
	})
	if err != nil && !errors.Is(err, ErrSchemaTooNew) {
		return fmt.Errorf("postgres: create or upgrade ward's tables: %w", err)
	}
	return err
}
