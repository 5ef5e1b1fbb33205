package bolt

import (
	"path/filepath"
	"testing"
)

// TestEverySyncKept guards durability against a speed-up: kill -9 cannot
// tell a skipped fsync (the page cache survives it), so the flags that
// would skip one are checked here, with NoFreelistSync, which would make
// Open walk the file in a goroutine where a damaged page crashes ward.
func TestEverySyncKept(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "ward.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.bdb.NoSync || db.bdb.NoGrowSync || db.bdb.NoFreelistSync {
		t.Errorf("bbolt flags NoSync=%v NoGrowSync=%v NoFreelistSync=%v, want all false", db.bdb.NoSync, db.bdb.NoGrowSync, db.bdb.NoFreelistSync)
	}
}
