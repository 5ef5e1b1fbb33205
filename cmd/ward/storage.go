package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/storage/bolt"
	"github.com/wardhq/ward/internal/storage/postgres"
)

// dsnEnv names the environment variable that holds the PostgreSQL
// connection string. It is never taken from argv: it carries a password.
const dsnEnv = "WARD_STORAGE_DSN"

// storageOpts choose and find a store: the embedded bolt file in a data
// directory (the default), or a PostgreSQL database.
type storageOpts struct {
	kind    string              // "bolt" or "postgres"
	dsnFile string              // --storage-dsn-file; "": WARD_STORAGE_DSN
	getenv  func(string) string // reads WARD_STORAGE_DSN (the command's globals)
	where   string              // set by openVault: the store, for messages (no password)
	backend storage.Backend     // set by openVault: the store itself
}

const storageHelp = `Storage: --storage bolt (the default) keeps the store in DATA/ward.db.
--storage postgres keeps it in a PostgreSQL database, which several servers
may share; the connection string comes from the environment variable
WARD_STORAGE_DSN or from the file named by --storage-dsn-file, never from
the command line. TLS to the database is set in the connection string:
  postgres://ward@db.internal:5432/ward?sslmode=verify-full&sslrootcert=/etc/ward/db-ca.pem`

func (s *storageOpts) flags(fs *pflag.FlagSet, getenv func(string) string) {
	s.getenv = getenv
	fs.StringVar(&s.kind, "storage", "bolt", "where the store is: bolt (DATA/ward.db) or postgres")
	fs.StringVar(&s.dsnFile, "storage-dsn-file", "", "file holding the PostgreSQL connection string (default: $"+dsnEnv+")")
}

func (s *storageOpts) check() error {
	switch s.kind {
	case "", "bolt":
		if s.dsnFile != "" {
			return usagef("--storage-dsn-file is for --storage postgres")
		}
	case "postgres":
	default:
		return usagef("--storage must be bolt or postgres, not %q", s.kind)
	}
	return nil
}

// name is what sys/seal-status reports as the storage type.
func (s *storageOpts) name() string {
	if s.kind == "" {
		return "bolt"
	}
	return s.kind
}

// dsn returns the connection string from --storage-dsn-file or the
// environment.
func (s *storageOpts) dsn() (string, error) {
	if s.dsnFile != "" {
		b, err := os.ReadFile(s.dsnFile)
		if err != nil {
			return "", withHint(fmt.Errorf("read --storage-dsn-file: %w", err), "the file holds one line: postgres://USER:PASSWORD@HOST:5432/DB?sslmode=verify-full")
		}
		dsn := strings.TrimSpace(string(b))
		if dsn == "" {
			return "", fmt.Errorf("--storage-dsn-file %s is empty", s.dsnFile)
		}
		return dsn, nil
	}
	if s.getenv != nil {
		if dsn := strings.TrimSpace(s.getenv(dsnEnv)); dsn != "" {
			return dsn, nil
		}
	}
	return "", usageHint(fmt.Errorf("--storage postgres needs a connection string"),
		"set "+dsnEnv+" or give --storage-dsn-file FILE (never on the command line: it carries a password)")
}

// open opens the store: DATA/ward.db for bolt, the database for postgres.
// where describes it for messages, without a password.
func (s *storageOpts) open(ctx context.Context, data string) (b storage.Backend, where string, err error) {
	if s.name() == "bolt" {
		if data == "" {
			return nil, "", usagef("--data DIR is required with --storage bolt")
		}
		if err := os.MkdirAll(data, 0o700); err != nil {
			return nil, "", err
		}
		path := filepath.Join(data, "ward.db")
		db, err := bolt.Open(path, bolt.Options{})
		return db, path, err
	}
	dsn, err := s.dsn()
	if err != nil {
		return nil, "", err
	}
	where = postgres.Describe(dsn)
	db, err := postgres.Open(ctx, dsn, postgres.Options{})
	if errors.Is(err, postgres.ErrBadDSN) {
		return nil, "", withHint(err, "see 'ward server --help' for the form of a connection string")
	}
	if err != nil {
		return nil, "", withHint(err, "is the database at "+where+" up, and may that user create tables in it?")
	}
	return db, where, nil
}

// usageHint is a usage error (exit 2) with a hint line.
func usageHint(err error, hint string) error {
	return withHint(&usageError{err}, hint)
}
