package bolt

import "github.com/wardhq/ward/internal/storage"

// SetBeforeApply installs a hook run before each write call's ops are
// applied inside a group; an error it returns fails that call.
func SetBeforeApply(db *DB, fn func(ops []storage.Op) error) { db.beforeApply = fn }

// Queued returns how many write calls wait for the commit loop.
func Queued(db *DB) int { return len(db.writes) }
