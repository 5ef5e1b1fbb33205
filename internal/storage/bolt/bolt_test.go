package bolt_test

import (
	"path/filepath"
	"testing"

	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/storage/bolt"
	"github.com/wardhq/ward/internal/storage/storagetest"
)

// openTemp opens a new data file in a directory removed when t ends.
func openTemp(t testing.TB, opts bolt.Options) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "ward.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Backend { return openTemp(t, bolt.Options{}) })
}

func TestDumper(t *testing.T) {
	storagetest.RunDumper(t, func(t *testing.T) storage.Backend { return openTemp(t, bolt.Options{}) })
}

func TestViewer(t *testing.T) {
	storagetest.RunViewer(t, func(t *testing.T) storage.Backend { return openTemp(t, bolt.Options{}) })
}
